// RPM-family versions: rpmvercmp() segment compare plus [epoch:]version[-release] (rpmio/rpmvercmp.c,
// lib/rpmver.c). Used for Red Hat, AlmaLinux, Rocky Linux, SUSE, openSUSE, Mageia, Mariner, …
import { InvalidVersionError, type Comparator } from './comparator.js';
import { compareDigits, compareStrings, isAlphaCode, isDigitCode } from './digits.js';

const TILDE = 126;
const CARET = 94;
const isAlnum = (c: number): boolean => isDigitCode(c) || isAlphaCode(c);

/** rpmvercmp: the raw segment comparison, no epoch/release split. */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): number => (k < s.length ? s.charCodeAt(k) : 0);
  for (;;) {
    while (i < a.length && !isAlnum(at(a, i)) && at(a, i) !== TILDE && at(a, i) !== CARET) i++;
    while (j < b.length && !isAlnum(at(b, j)) && at(b, j) !== TILDE && at(b, j) !== CARET) j++;
    const ca = at(a, i);
    const cb = at(b, j);
    // '~' sorts before everything, even the end of the string.
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    // '^' sorts after the end of the string but before anything else.
    if (ca === CARET || cb === CARET) {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    const si = i;
    const sj = j;
    const numeric = isDigitCode(ca);
    const inSeg = numeric ? isDigitCode : isAlphaCode;
    while (i < a.length && inSeg(at(a, i))) i++;
    while (j < b.length && inSeg(at(b, j))) j++;
    // A numeric segment is newer than an alpha one.
    if (j === sj) return numeric ? 1 : -1;
    const r = numeric ? compareDigits(a.slice(si, i), b.slice(sj, j)) : compareStrings(a.slice(si, i), b.slice(sj, j));
    if (r !== 0) return r;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface Evr {
  epoch?: string;
  version: string;
  release?: string;
}

/** rpm's EVR split: digits then ':' is the epoch; the last '-' starts the release. */
export function parseEvr(s: string): Evr {
  const m = /^([0-9]*):/.exec(s);
  const epoch = m ? m[1] || '0' : undefined;
  const rest = m ? s.slice(m[0].length) : s;
  const dash = rest.lastIndexOf('-');
  if (dash < 0) return { epoch, version: rest };
  return { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) };
}

function compareValues(a: string | undefined, b: string | undefined): -1 | 0 | 1 {
  if (a === undefined && b === undefined) return 0;
  if (b === undefined) return 1;
  if (a === undefined) return -1;
  return rpmvercmp(a, b);
}

export function rpmEvrCompare(a: string, b: string): -1 | 0 | 1 {
  const x = parseEvr(a);
  const y = parseEvr(b);
  return (
    compareValues(x.epoch ?? '0', y.epoch ?? '0') || compareValues(x.version, y.version) || compareValues(x.release, y.release)
  );
}

export function rpmInvalidReason(v: string): string | undefined {
  if (v.trim() === '') return 'version string is empty';
  if (/[\s\x00-\x1f]/.test(v)) return 'version string has whitespace or control characters';
  return undefined;
}

export class RpmComparator implements Comparator {
  constructor(readonly ecosystem = 'Red Hat') {}

  valid(v: string): boolean {
    return rpmInvalidReason(v) === undefined;
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    for (const v of [a, b]) {
      const why = rpmInvalidReason(v);
      if (why) throw new InvalidVersionError(this.ecosystem, v, why);
    }
    return rpmEvrCompare(a, b);
  }
}

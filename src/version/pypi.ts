// PyPI versions: PEP 440 (https://peps.python.org/pep-0440/) as `packaging.version.Version` parses,
// normalises and orders them. Strings that are not PEP 440 are "legacy" versions, ordered before
// every PEP 440 version the way `packaging`'s former LegacyVersion did (setuptools' old scheme).
import { InvalidVersionError, type Comparator } from './comparator.js';
import { compareDigits, compareStrings, stripZeros } from './digits.js';
import { memoizeParse } from './memo.js';

// PEP 440 appendix B, case-insensitive, surrounding whitespace allowed.
const PEP440 = new RegExp(
  '^\\s*v?' +
    '(?:([0-9]+)!)?' +
    '([0-9]+(?:\\.[0-9]+)*)' +
    '(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?' +
    '(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?' +
    '(?:[-_.]?(dev)[-_.]?([0-9]+)?)?' +
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?' +
    '\\s*$',
  'i',
);

export interface Pep440 {
  epoch: string;
  release: string[];
  pre?: { label: 'a' | 'b' | 'rc'; n: string };
  post?: string;
  dev?: string;
  local?: string[];
}

const PRE_LABEL: Record<string, 'a' | 'b' | 'rc'> = { a: 'a', alpha: 'a', b: 'b', beta: 'b', c: 'rc', rc: 'rc', pre: 'rc', preview: 'rc' };

export function parsePep440(v: string): Pep440 | undefined {
  const m = PEP440.exec(v);
  if (!m) return undefined;
  const out: Pep440 = { epoch: stripZeros(m[1] ?? '0'), release: m[2]!.split('.').map(stripZeros) };
  if (m[3]) out.pre = { label: PRE_LABEL[m[3].toLowerCase()]!, n: stripZeros(m[4] ?? '0') };
  if (m[5] !== undefined) out.post = stripZeros(m[5]);
  else if (m[6]) out.post = stripZeros(m[7] ?? '0');
  if (m[8]) out.dev = stripZeros(m[9] ?? '0');
  if (m[10]) out.local = m[10].toLowerCase().split(/[-_.]/);
  return out;
}

/** The canonical string `str(packaging.version.Version(v))`, or undefined when not PEP 440. */
export function normalizePypi(v: string): string | undefined {
  const p = parsePep440(v);
  if (!p) return undefined;
  let s = p.epoch !== '0' ? `${p.epoch}!` : '';
  s += p.release.join('.');
  if (p.pre) s += p.pre.label + p.pre.n;
  if (p.post !== undefined) s += `.post${p.post}`;
  if (p.dev !== undefined) s += `.dev${p.dev}`;
  if (p.local) s += `+${p.local.map((x) => (/^[0-9]+$/.test(x) ? stripZeros(x) : x)).join('.')}`;
  return s;
}

// Sort-key pieces: "below everything" and "above everything" markers as packaging uses.
const NEG = -1;
const POS = 1;
type Key = typeof NEG | typeof POS | string[];

function cmpRelease(a: string[], b: string[]): -1 | 0 | 1 {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const r = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (r !== 0) return r;
  }
  return 0;
}

function cmpOpt(a: string | undefined, b: string | undefined, missing: 'low' | 'high'): -1 | 0 | 1 {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return missing === 'low' ? -1 : 1;
  if (b === undefined) return missing === 'low' ? 1 : -1;
  return compareDigits(a, b);
}

function preKey(p: Pep440): Key {
  // 1.0.dev0 sorts before 1.0a0: a dev release without pre/post goes below every pre-release.
  if (!p.pre && p.post === undefined && p.dev !== undefined) return NEG;
  if (!p.pre) return POS;
  return [p.pre.label, p.pre.n];
}

function cmpKey(a: Key, b: Key): -1 | 0 | 1 {
  if (typeof a === 'number' || typeof b === 'number') {
    const x = typeof a === 'number' ? a : 0;
    const y = typeof b === 'number' ? b : 0;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return compareStrings(a[0]!, b[0]!) || compareDigits(a[1]!, b[1]!);
}

function cmpLocal(a: string[] | undefined, b: string[] | undefined): -1 | 0 | 1 {
  if (!a && !b) return 0;
  if (!a) return -1;
  if (!b) return 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const an = /^[0-9]+$/.test(a[i]!);
    const bn = /^[0-9]+$/.test(b[i]!);
    // Numeric local segments sort above alphanumeric ones.
    const r = an && bn ? compareDigits(a[i]!, b[i]!) : an ? 1 : bn ? -1 : compareStrings(a[i]!, b[i]!);
    if (r !== 0) return r;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function comparePep440(x: Pep440, y: Pep440): -1 | 0 | 1 {
  return (
    compareDigits(x.epoch, y.epoch) ||
    cmpRelease(x.release, y.release) ||
    cmpKey(preKey(x), preKey(y)) ||
    cmpOpt(x.post, y.post, 'low') ||
    cmpOpt(x.dev, y.dev, 'high') ||
    cmpLocal(x.local, y.local)
  );
}

// --- legacy (pre-PEP 440) ordering: packaging<22 LegacyVersion._legacy_cmpkey ---
const LEGACY_SPLIT = /(\d+|[a-z]+|\.|-)/;
const LEGACY_REPLACE: Record<string, string> = { pre: 'c', preview: 'c', '-': 'final-', rc: 'c', dev: '@' };

export function legacyKey(v: string): string[] {
  const parts: string[] = [];
  for (let raw of v.toLowerCase().split(LEGACY_SPLIT)) {
    raw = LEGACY_REPLACE[raw] ?? raw;
    if (raw === '' || raw === '.') continue;
    const part = /^[0-9]/.test(raw) ? raw.padStart(8, '0') : `*${raw}`;
    if (part.startsWith('*')) {
      if (part < '*final') while (parts.length > 0 && parts[parts.length - 1] === '*final-') parts.pop();
      while (parts.length > 0 && parts[parts.length - 1] === '00000000') parts.pop();
    }
    parts.push(part);
  }
  parts.push('*final');
  return parts;
}

function compareTuple(a: string[], b: string[]): -1 | 0 | 1 {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const r = compareStrings(a[i]!, b[i]!);
    if (r !== 0) return r;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

type Parsed = { pep: Pep440 } | { legacy: string[] };

// Parsed versions are read-only, so one parse per distinct string serves every comparison.
const parsePypiCached = memoizeParse((v: string): Parsed => {
  const pep = parsePep440(v);
  return pep ? { pep } : { legacy: legacyKey(v) };
});

export class PypiComparator implements Comparator {
  readonly ecosystem = 'PyPI';

  private parse(v: string): Parsed {
    if (v.trim() === '') throw new InvalidVersionError(this.ecosystem, v, 'empty version');
    return parsePypiCached(v);
  }

  /**
   * PEP 440 versions only, as `packaging.version.Version` accepts them. compare() still orders
   * legacy strings (below every PEP 440 version, for display and sorting), but a version that is
   * not PEP 440 is never placed in an advisory's range: `plone 4.3b1.0` is not "0 <= v < fix".
   */
  valid(v: string): boolean {
    return parsePep440(v) !== undefined;
  }

  /** Equal keys exactly when packaging's Version objects are equal (`5.0.0 == 5.0 == 0!5.00`). */
  equalityKey(v: string): string | undefined {
    const p = parsePep440(v);
    if (!p) return undefined;
    const release = [...p.release];
    while (release.length > 1 && release[release.length - 1] === '0') release.pop();
    let key = `${p.epoch}!${release.join('.')}`;
    if (p.pre) key += p.pre.label + p.pre.n;
    if (p.post !== undefined) key += `.post${p.post}`;
    if (p.dev !== undefined) key += `.dev${p.dev}`;
    if (p.local) key += `+${p.local.map((x) => (/^[0-9]+$/.test(x) ? stripZeros(x) : x)).join('.')}`;
    return key;
  }

  isPep440(v: string): boolean {
    return parsePep440(v) !== undefined;
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    const x = this.parse(a);
    const y = this.parse(b);
    if ('pep' in x && 'pep' in y) return comparePep440(x.pep, y.pep);
    if ('legacy' in x && 'legacy' in y) return compareTuple(x.legacy, y.legacy);
    return 'legacy' in x ? -1 : 1;
  }
}

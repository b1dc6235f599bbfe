// Debian / Ubuntu versions, as dpkg orders them (deb-version(7), lib/dpkg/version.c).
import { InvalidVersionError, type Comparator } from './comparator.js';
import { compareDigits, isAlphaCode, isDigitCode } from './digits.js';


interface DebVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

const INT_MAX = '2147483647';

/** dpkg's parseversion: returns the parts or a reason why dpkg rejects the string. */
export function parseDebian(input: string): DebVersion | string {
  const s = input.trim();
  if (s === '') return 'version string is empty';
  if (/\s/.test(s)) return 'version string has embedded spaces';
  let epoch = '0';
  let rest = s;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    epoch = s.slice(0, colon);
    if (epoch === '') return 'epoch in version is empty';
    if (!/^[0-9]+$/.test(epoch)) return 'epoch in version is not number';
    if (compareDigits(epoch, INT_MAX) > 0) return 'epoch in version is too big';
    rest = s.slice(colon + 1);
  }
  let upstream = rest;
  let revision = '';
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) {
    upstream = rest.slice(0, dash);
    revision = rest.slice(dash + 1);
    if (revision === '') return 'revision number is empty';
  }
  if (upstream === '') return 'version number is empty';
  // dpkg only warns about a non-digit start or odd characters and still compares
  // (`dpkg --compare-versions` accepts them), so they are valid here too.
  return { epoch, upstream, revision };
}

// dpkg's order(): '~' below everything (even the end), letters below other symbols.
function order(c: number): number {
  if (isDigitCode(c)) return 0;
  if (isAlphaCode(c)) return c;
  if (c === 126) return -1;
  if (Number.isNaN(c)) return 0;
  return c + 256;
}

/** dpkg's verrevcmp over one upstream or revision string. */
export function verrevcmp(a: string, b: string): -1 | 0 | 1 {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigitCode(a.charCodeAt(i))) || (j < b.length && !isDigitCode(b.charCodeAt(j)))) {
      const ac = order(i < a.length ? a.charCodeAt(i) : NaN);
      const bc = order(j < b.length ? b.charCodeAt(j) : NaN);
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    const si = i;
    while (i < a.length && isDigitCode(a.charCodeAt(i))) i++;
    const sj = j;
    while (j < b.length && isDigitCode(b.charCodeAt(j))) j++;
    const r = compareDigits(a.slice(si, i) || '0', b.slice(sj, j) || '0');
    if (r !== 0) return r;
  }
  return 0;
}

export class DebianComparator implements Comparator {
  constructor(readonly ecosystem = 'Debian') {}

  private parse(v: string): DebVersion {
    const p = parseDebian(v);
    if (typeof p === 'string') throw new InvalidVersionError(this.ecosystem, v, p);
    return p;
  }

  valid(v: string): boolean {
    return typeof parseDebian(v) !== 'string';
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    const x = this.parse(a);
    const y = this.parse(b);
    return compareDigits(x.epoch, y.epoch) || verrevcmp(x.upstream, y.upstream) || verrevcmp(x.revision, y.revision);
  }
}

// Packagist (Composer) versions: Composer strips a leading `v` and then PHP's version_compare()
// decides: parts split at '.', '-', '_', '+' and at digit/letter changes; numbers compare as
// numbers; the special forms order dev < alpha = a < beta = b < RC = rc < (number) < pl = p
// (so `-patch` and `-pl` are post-releases); any other word sorts below dev.
import { InvalidVersionError, type Comparator } from './comparator.js';
import { compareDigits } from './digits.js';
import { memoizeParse } from './memo.js';

// PHP's special_forms table, matched as prefixes in this order.
const SPECIAL: [string, number][] = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];

function formOrder(s: string): number {
  for (const [name, order] of SPECIAL) if (s.startsWith(name)) return order;
  return -1;
}

/** php_canonicalize_version after Composer's `v` strip, split into parts at '.'. */
export function packagistParts(v: string): string[] {
  const s = v.trim().replace(/^[vV]/, '');
  if (s === '') return [];
  const isDig = (c: string): boolean => c >= '0' && c <= '9';
  const isNdig = (c: string): boolean => !isDig(c) && c !== '.';
  let out = s[0]!;
  let lp = s[0]!;
  for (const c of s.slice(1)) {
    const lq = out[out.length - 1];
    if (c === '-' || c === '_' || c === '+') {
      if (lq !== '.') out += '.';
    } else if ((isNdig(lp) && isDig(c)) || (isDig(lp) && isNdig(c))) {
      if (lq !== '.') out += '.';
      out += c;
    } else if (!/[A-Za-z0-9]/.test(c)) {
      if (lq !== '.') out += c;
    } else {
      out += c;
    }
    lp = c;
  }
  return out.split('.');
}

// PHP looks only at the first character to decide "this part is a number".
const isNum = (s: string): boolean => s.length > 0 && s[0]! >= '0' && s[0]! <= '9';

function comparePart(a: string, b: string): number {
  if (isNum(a) && isNum(b)) return compareDigits(/^[0-9]*/.exec(a)![0], /^[0-9]*/.exec(b)![0]);
  const x = isNum(a) ? 4 : formOrder(a);
  const y = isNum(b) ? 4 : formOrder(b);
  return Math.sign(x - y);
}

function compareParts(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const r = comparePart(a[i]!, b[i]!);
    if (r !== 0) return r;
  }
  // Leftover parts: a number makes it newer, otherwise compare the rest with "#" (a number).
  if (a.length > n) return isNum(a[n]!) ? 1 : compareParts(a.slice(n), ['#']);
  if (b.length > n) return isNum(b[n]!) ? -1 : compareParts(['#'], b.slice(n));
  return 0;
}

// Shared between callers: compareParts only reads (slices) them.
const partsOf = memoizeParse(packagistParts);

export class PackagistComparator implements Comparator {
  readonly ecosystem = 'Packagist';

  valid(v: string): boolean {
    return partsOf(v).length > 0;
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    for (const v of [a, b]) if (!this.valid(v)) throw new InvalidVersionError(this.ecosystem, v, 'no version parts');
    const r = compareParts(partsOf(a), partsOf(b));
    return r < 0 ? -1 : r > 0 ? 1 : 0;
  }
}

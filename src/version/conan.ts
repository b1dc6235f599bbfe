// ConanCenter versions, ordered as Conan 2's own `Version` model orders them (the docs' "Conan
// extends semver to any number of digits and letters"): `main[-pre][+build]`, the LAST `+` opens
// the build and then the LAST `-` the pre-release; each of main, pre and build is a `.`-separated
// list whose items compare as integers when both are integers, else as strings; trailing zero items
// of the main list do not count (`1.0` == `1.0.0`). A pre-release sorts below its release; the
// build orders versions whose main and pre-release are equal, a version without one first.
// osv.dev has no ordering for ConanCenter; this is Conan's.
import { InvalidVersionError, type Comparator } from './comparator.js';
import { compareDigits, compareStrings } from './digits.js';
import { memoizeParse } from './memo.js';

interface ConanVersion {
  main: string[];
  pre?: ConanVersion;
  build?: ConanVersion;
}

const VALID = /^[0-9A-Za-z_.+-]+$/;

function parseConan(v: string, depth = 0): ConanVersion | undefined {
  if (v === '' || !VALID.test(v) || depth > 2) return undefined;
  let rest = v;
  let build: ConanVersion | undefined;
  let pre: ConanVersion | undefined;
  const plus = rest.lastIndexOf('+');
  if (plus >= 0) {
    build = parseConan(rest.slice(plus + 1), depth + 1);
    if (!build) return undefined;
    rest = rest.slice(0, plus);
  }
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) {
    pre = parseConan(rest.slice(dash + 1), depth + 1);
    if (!pre) return undefined;
    rest = rest.slice(0, dash);
  }
  const items = rest.split('.');
  if (items.some((i) => i === '')) return undefined;
  const main = [...items];
  while (main.length > 0 && /^0+$/.test(main[main.length - 1]!)) main.pop();
  return { main, ...(pre ? { pre } : {}), ...(build ? { build } : {}) };
}

const isInt = (s: string): boolean => /^[0-9]+$/.test(s);

function compareItem(a: string, b: string): -1 | 0 | 1 {
  if (isInt(a) && isInt(b)) return compareDigits(a, b);
  // Python compares str(int) with a string: an integer item is read without its leading zeros.
  return compareStrings(isInt(a) ? a.replace(/^0+(?=.)/, '') : a, isInt(b) ? b.replace(/^0+(?=.)/, '') : b);
}

function compareList(x: string[], y: string[]): -1 | 0 | 1 {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const r = compareItem(x[i]!, y[i]!);
    if (r !== 0) return r;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

function compareOptional(x: ConanVersion | undefined, y: ConanVersion | undefined): -1 | 0 | 1 {
  if (!x || !y) return x === y ? 0 : x ? 1 : -1;
  return compareConan(x, y);
}

function compareConan(x: ConanVersion, y: ConanVersion): -1 | 0 | 1 {
  const main = compareList(x.main, y.main);
  if (main !== 0) return main;
  if (x.pre && !y.pre) return -1;
  if (!x.pre && y.pre) return 1;
  return compareOptional(x.pre, y.pre) || compareOptional(x.build, y.build);
}

export class ConanComparator implements Comparator {
  readonly ecosystem = 'ConanCenter';
  private readonly parsed = memoizeParse((v: string) => parseConan(v));

  private parse(v: string): ConanVersion {
    const p = this.parsed(v);
    if (!p) throw new InvalidVersionError(this.ecosystem, v, 'not a Conan version');
    return p;
  }

  valid(v: string): boolean {
    return this.parsed(v) !== undefined;
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    return compareConan(this.parse(a), this.parse(b));
  }
}

// Versions that are lists of non-negative integers, compared element by element with a shorter
// list ordering below any longer list it is a prefix of (`1.2` < `1.2.0`). Hackage (Cabal's
// `Version`: `.`-separated) and CRAN (R's `numeric_version`: `.` or `-` separated) are both this;
// osv.dev orders both the same way (a tuple of ints).
import { InvalidVersionError, type Comparator } from './comparator.js';
import { compareDigits } from './digits.js';
import { memoizeParse } from './memo.js';

export class NumericListComparator implements Comparator {
  private readonly parse: (v: string) => string[] | undefined;

  constructor(
    readonly ecosystem: string,
    /** What one version looks like (anchored), e.g. /^\d+(?:\.\d+)*$/. */
    pattern: RegExp,
    /** Between the numbers. */
    separator: RegExp,
  ) {
    this.parse = memoizeParse((v) => (pattern.test(v) ? v.split(separator) : undefined));
  }

  private parts(v: string): string[] {
    const p = this.parse(v);
    if (!p) throw new InvalidVersionError(this.ecosystem, v, 'not a list of non-negative integers');
    return p;
  }

  valid(v: string): boolean {
    return this.parse(v) !== undefined;
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    const x = this.parts(a);
    const y = this.parts(b);
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const r = compareDigits(x[i]!, y[i]!);
      if (r !== 0) return r;
    }
    return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
  }
}

/** Hackage: Cabal's `Version`, digits separated by `.`. */
export const hackageComparator = (): Comparator => new NumericListComparator('Hackage', /^[0-9]+(?:\.[0-9]+)*$/, /\./);

/** CRAN: R's `numeric_version`, digits separated by `.` or `-` (`1.2-3` = `1.2.3`). */
export const cranComparator = (): Comparator => new NumericListComparator('CRAN', /^[0-9]+(?:[.-][0-9]+)*$/, /[.-]/);

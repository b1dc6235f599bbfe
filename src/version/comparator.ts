/** One ecosystem's version ordering, exactly as that ecosystem's own tool decides it. */
export interface Comparator {
  /** OSV ecosystem name this comparator serves (`Debian`, `npm`, `PyPI`, …). */
  readonly ecosystem: string;
  /** Whether `v` is a version this ecosystem accepts (invalid ones are "not comparable"). */
  valid(v: string): boolean;
  /** -1 when a < b, 0 when equal, 1 when a > b. Throws InvalidVersionError for an invalid version. */
  compare(a: string, b: string): -1 | 0 | 1;
  /**
   * A string equal for exactly the versions compare() calls equal (`5.0` and `5.00` in PyPI,
   * `1.0.0` and `v1.0.0+build` in npm); undefined for an invalid version. OSV `versions` lists are
   * matched by it. Absent: the ecosystem's equality is string equality.
   */
  equalityKey?(v: string): string | undefined;
}

export class InvalidVersionError extends Error {
  constructor(readonly ecosystem: string, readonly version: string, detail?: string) {
    super(`invalid ${ecosystem} version ${JSON.stringify(version)}${detail ? `: ${detail}` : ''}`);
    this.name = 'InvalidVersionError';
  }
}

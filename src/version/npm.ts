// npm versions via node-semver itself, in loose mode as npm parses registry versions
// (npm-package-arg / npm-pick-manifest use `loose: true`). node-semver rejects numeric parts above
// Number.MAX_SAFE_INTEGER, and so does npm: such strings are invalid here too.
import semver from 'semver';
import { InvalidVersionError, type Comparator } from './comparator.js';

export class NpmComparator implements Comparator {
  readonly ecosystem = 'npm';

  constructor(private readonly loose = true) {}

  private parse(v: string): semver.SemVer {
    try {
      return new semver.SemVer(v, { loose: this.loose });
    } catch (err) {
      throw new InvalidVersionError(this.ecosystem, v, err instanceof Error ? err.message : undefined);
    }
  }

  valid(v: string): boolean {
    return semver.valid(v, { loose: this.loose }) !== null;
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    return this.parse(a).compare(this.parse(b));
  }
}

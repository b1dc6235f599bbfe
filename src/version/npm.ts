// npm versions via node-semver itself, in loose mode as npm parses registry versions
// (npm-package-arg / npm-pick-manifest use `loose: true`). node-semver rejects numeric parts above
// Number.MAX_SAFE_INTEGER, and so does npm: such strings are invalid here too.
import type semver from 'semver';
import { lazyRequire } from '../util/lazy-require.js';
import { InvalidVersionError, type Comparator } from './comparator.js';

const nodeSemver = lazyRequire<typeof semver>('semver');

export class NpmComparator implements Comparator {
  readonly ecosystem = 'npm';

  constructor(private readonly loose = true) {}

  private parse(v: string): semver.SemVer {
    try {
      return new (nodeSemver().SemVer)(v, { loose: this.loose });
    } catch (err) {
      throw new InvalidVersionError(this.ecosystem, v, err instanceof Error ? err.message : undefined);
    }
  }

  valid(v: string): boolean {
    return nodeSemver().valid(v, { loose: this.loose }) !== null;
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    return this.parse(a).compare(this.parse(b));
  }

  /** node-semver's own normal form: no `v`/`=` prefix, no build metadata (`semver.eq` ignores it). */
  equalityKey(v: string): string | undefined {
    if (!this.valid(v)) return undefined;
    return this.parse(v).version;
  }
}

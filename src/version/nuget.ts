// NuGet versions (NuGet.Versioning): up to four numeric parts (missing ones are 0), an optional
// SemVer 2.0 prerelease compared case-insensitively, build metadata ignored.
import { InvalidVersionError, type Comparator } from './comparator.js';
import { memoizeParse } from './memo.js';
import { compareSemverParts, type SemverParts } from './semver2.js';

const NUGET = /^\s*([0-9]+(?:\.[0-9]+){0,3})(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?\s*$/;

// Four numeric parts and a lower-cased prerelease: from there SemVer 2.0's precedence rules apply.
// Parsed parts are shared between callers (compareSemverParts only reads them).
const parse = memoizeParse((v: string): SemverParts | undefined => {
  const m = NUGET.exec(v);
  if (!m) return undefined;
  const release = m[1]!.split('.');
  while (release.length < 4) release.push('0');
  return { release, prerelease: m[2] ? m[2].toLowerCase().split('.') : [] };
});

export class NugetComparator implements Comparator {
  readonly ecosystem = 'NuGet';

  valid(v: string): boolean {
    return parse(v) !== undefined;
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    const x = parse(a);
    const y = parse(b);
    if (!x) throw new InvalidVersionError(this.ecosystem, a);
    if (!y) throw new InvalidVersionError(this.ecosystem, b);
    return compareSemverParts(x, y);
  }
}

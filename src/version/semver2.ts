// SemVer 2.0.0 (https://semver.org) with numbers of any size, in three strictness profiles:
//  - strict:  MAJOR.MINOR.PATCH exactly, no leading zeros, no prefix (crates.io / Cargo)
//  - go:      Go modules (golang.org/x/mod/semver): optional `v`, `vX` / `vX.Y` shorthands,
//             `+incompatible` is build metadata, pseudo-versions are ordinary prereleases
//  - range:   OSV `SEMVER` range events: leading `v`/`=` and spaces tolerated, any number of
//             numeric parts (missing ones are 0), as OSV's reference implementation accepts.
import { InvalidVersionError, type Comparator } from './comparator.js';
import { compareDigits, compareStrings, stripZeros } from './digits.js';
import { memoizeParse } from './memo.js';

export type SemverProfile = 'strict' | 'go' | 'range';

export interface SemverParts {
  release: string[];
  prerelease: string[];
}

const ID = '[0-9A-Za-z-]+';
const IDS = `${ID}(?:\\.${ID})*`;
const NUM = '(?:0|[1-9][0-9]*)';
const PRE_ID_STRICT = `(?:${NUM}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`;
const PRE_STRICT = `${PRE_ID_STRICT}(?:\\.${PRE_ID_STRICT})*`;

const PATTERNS: Record<SemverProfile, RegExp> = {
  strict: new RegExp(`^(${NUM}\\.${NUM}\\.${NUM})(?:-(${PRE_STRICT}))?(?:\\+${IDS})?$`),
  go: new RegExp(`^v?(${NUM}(?:\\.${NUM}(?:\\.${NUM})?)?)(?:-(${PRE_STRICT}))?(?:\\+${IDS})?$`),
  range: new RegExp(`^\\s*[v=]?\\s*([0-9]+(?:\\.[0-9]+)*)(?:-(${IDS}))?(?:\\+${IDS})?\\s*$`),
};

export function parseSemver(v: string, profile: SemverProfile): SemverParts | undefined {
  const m = PATTERNS[profile].exec(v);
  if (!m) return undefined;
  // Go's shorthands vX and vX.Y cannot carry a prerelease or build.
  if (profile === 'go' && m[1]!.split('.').length < 3 && v.replace(/^v/, '') !== m[1]) return undefined;
  const release = m[1]!.split('.');
  while (release.length < 3) release.push('0');
  return { release, prerelease: m[2] ? m[2].split('.') : [] };
}

const isNumeric = (s: string): boolean => /^[0-9]+$/.test(s);

function compareIdentifier(a: string, b: string): -1 | 0 | 1 {
  const an = isNumeric(a);
  const bn = isNumeric(b);
  if (an && bn) return compareDigits(a, b);
  if (an) return -1;
  if (bn) return 1;
  return compareStrings(a, b);
}

export function compareSemverParts(x: SemverParts, y: SemverParts): -1 | 0 | 1 {
  const n = Math.max(x.release.length, y.release.length);
  for (let i = 0; i < n; i++) {
    const r = compareDigits(x.release[i] ?? '0', y.release[i] ?? '0');
    if (r !== 0) return r;
  }
  // A version without prerelease is newer than any prerelease of it.
  if (x.prerelease.length === 0 || y.prerelease.length === 0) {
    return x.prerelease.length === y.prerelease.length ? 0 : x.prerelease.length === 0 ? 1 : -1;
  }
  const m = Math.min(x.prerelease.length, y.prerelease.length);
  for (let i = 0; i < m; i++) {
    const r = compareIdentifier(x.prerelease[i]!, y.prerelease[i]!);
    if (r !== 0) return r;
  }
  return x.prerelease.length === y.prerelease.length ? 0 : x.prerelease.length < y.prerelease.length ? -1 : 1;
}

// Parsed parts are shared between callers: compareSemverParts only reads them.
const parseCached: Record<SemverProfile, (v: string) => SemverParts | undefined> = {
  strict: memoizeParse((v) => parseSemver(v, 'strict')),
  go: memoizeParse((v) => parseSemver(v, 'go')),
  range: memoizeParse((v) => parseSemver(v, 'range')),
};

export class SemverComparator implements Comparator {
  private readonly parsed: (v: string) => SemverParts | undefined;

  constructor(
    readonly ecosystem: string,
    readonly profile: SemverProfile,
  ) {
    this.parsed = parseCached[profile];
  }

  private parse(v: string): SemverParts {
    const p = this.parsed(v);
    if (!p) throw new InvalidVersionError(this.ecosystem, v, `not a SemVer 2.0 version (${this.profile})`);
    return p;
  }

  valid(v: string): boolean {
    return this.parsed(v) !== undefined;
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    return compareSemverParts(this.parse(a), this.parse(b));
  }

  /** Release and prerelease only: SemVer precedence ignores build metadata and a `v` prefix. */
  equalityKey(v: string): string | undefined {
    const p = this.parsed(v);
    if (!p) return undefined;
    const release = p.release.map(stripZeros);
    while (release.length > 3 && release[release.length - 1] === '0') release.pop();
    if (p.prerelease.length === 0) return release.join('.');
    return `${release.join('.')}-${p.prerelease.map((x) => (isNumeric(x) ? stripZeros(x) : x)).join('.')}`;
  }
}

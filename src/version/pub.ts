// Dart's pub versions (package:pub_semver): SemVer 2.0, except that build metadata is ORDERED —
// `1.0.0 < 1.0.0+1 < 1.0.0+2 < 1.0.1` (a build is a post-release), its identifiers compared like
// prerelease ones. osv.dev orders Pub the same way; like it, a leading `v` and missing minor/patch
// parts are tolerated.
import { InvalidVersionError, type Comparator } from './comparator.js';
import { compareDigits, compareStrings } from './digits.js';
import { memoizeParse } from './memo.js';
import { compareSemverParts, parseSemver, type SemverParts } from './semver2.js';

interface PubVersion {
  semver: SemverParts;
  build: string[];
}

const ID = '[0-9A-Za-z-]+';
const BUILD = new RegExp(`^(.*?)(?:\\+(${ID}(?:\\.${ID})*))?\\s*$`);

function parsePub(v: string): PubVersion | undefined {
  const m = BUILD.exec(v);
  if (!m) return undefined;
  const semver = parseSemver(m[1]!, 'range');
  if (!semver) return undefined;
  return { semver, build: m[2] ? m[2].split('.') : [] };
}

const isNumeric = (s: string): boolean => /^[0-9]+$/.test(s);

function compareBuild(x: string[], y: string[]): -1 | 0 | 1 {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const a = x[i]!;
    const b = y[i]!;
    const an = isNumeric(a);
    const bn = isNumeric(b);
    const r = an && bn ? compareDigits(a, b) : an ? -1 : bn ? 1 : compareStrings(a, b);
    if (r !== 0) return r;
  }
  // No build sorts first; a longer build list sorts after its prefix.
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

export class PubComparator implements Comparator {
  readonly ecosystem = 'Pub';
  private readonly parsed = memoizeParse(parsePub);

  private parse(v: string): PubVersion {
    const p = this.parsed(v);
    if (!p) throw new InvalidVersionError(this.ecosystem, v, 'not a pub (SemVer 2.0) version');
    return p;
  }

  valid(v: string): boolean {
    return this.parsed(v) !== undefined;
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    const x = this.parse(a);
    const y = this.parse(b);
    return compareSemverParts(x.semver, y.semver) || compareBuild(x.build, y.build);
  }
}

// NuGet versions (NuGet.Versioning): up to four numeric parts (missing ones are 0), an optional
// SemVer 2.0 prerelease compared case-insensitively, build metadata ignored.
import { InvalidVersionError, type Comparator } from './comparator.js';
import { compareDigits, compareStrings } from './digits.js';

const NUGET = /^\s*([0-9]+(?:\.[0-9]+){0,3})(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?\s*$/;

interface NugetVersion {
  parts: string[];
  release: string[];
}

function parse(v: string): NugetVersion | undefined {
  const m = NUGET.exec(v);
  if (!m) return undefined;
  const parts = m[1]!.split('.');
  while (parts.length < 4) parts.push('0');
  return { parts, release: m[2] ? m[2].toLowerCase().split('.') : [] };
}

function compareLabel(a: string, b: string): -1 | 0 | 1 {
  const an = /^[0-9]+$/.test(a);
  const bn = /^[0-9]+$/.test(b);
  if (an && bn) return compareDigits(a, b);
  if (an) return -1;
  if (bn) return 1;
  return compareStrings(a, b);
}

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
    for (let i = 0; i < 4; i++) {
      const r = compareDigits(x.parts[i]!, y.parts[i]!);
      if (r !== 0) return r;
    }
    if (x.release.length === 0 || y.release.length === 0) {
      return x.release.length === y.release.length ? 0 : x.release.length === 0 ? 1 : -1;
    }
    const n = Math.min(x.release.length, y.release.length);
    for (let i = 0; i < n; i++) {
      const r = compareLabel(x.release[i]!, y.release[i]!);
      if (r !== 0) return r;
    }
    return x.release.length === y.release.length ? 0 : x.release.length < y.release.length ? -1 : 1;
  }
}

// RubyGems versions, as Gem::Version orders them: segments of digits or letters; any letter makes
// a prerelease; trailing zero segments do not count; a letter segment sorts before a number.
import { InvalidVersionError, type Comparator } from './comparator.js';
import { compareDigits, compareStrings } from './digits.js';

// Gem::Version::ANCHORED_VERSION_PATTERN
const GEM_VERSION = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

type Segment = { num: string } | { str: string };
const isZero = (s: Segment): boolean => 'num' in s && /^0+$/.test(s.num);

function canonicalSegments(v: string): Segment[] {
  // Gem::Version#initialize: "" means "0"; "-" introduces a prerelease (".pre.").
  const text = (v.trim() || '0').replaceAll('-', '.pre.');
  const segs: Segment[] = (text.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^[0-9]/.test(s) ? { num: s } : { str: s }));
  const firstString = segs.findIndex((s) => 'str' in s);
  const numeric = firstString < 0 ? segs : segs.slice(0, firstString);
  const strings = firstString < 0 ? [] : segs.slice(firstString);
  const trim = (a: Segment[]): Segment[] => {
    let n = a.length;
    while (n > 0 && isZero(a[n - 1]!)) n--;
    return a.slice(0, n);
  };
  return [...trim(numeric), ...trim(strings)];
}

export class RubyGemsComparator implements Comparator {
  readonly ecosystem = 'RubyGems';

  valid(v: string): boolean {
    return GEM_VERSION.test(v);
  }

  compare(a: string, b: string): -1 | 0 | 1 {
    for (const v of [a, b]) if (!this.valid(v)) throw new InvalidVersionError(this.ecosystem, v, 'Malformed version number string');
    const x = canonicalSegments(a);
    const y = canonicalSegments(b);
    const n = Math.max(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const l = x[i] ?? { num: '0' };
      const r = y[i] ?? { num: '0' };
      if ('num' in l && 'num' in r) {
        const c = compareDigits(l.num, r.num);
        if (c !== 0) return c;
      } else if ('str' in l && 'str' in r) {
        const c = compareStrings(l.str, r.str);
        if (c !== 0) return c;
      } else {
        return 'str' in l ? -1 : 1;
      }
    }
    return 0;
  }
}

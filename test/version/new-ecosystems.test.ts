// Comparators of the ecosystems issue 17 added (Pub, Hackage, CRAN, ConanCenter, Hex, SwiftURL) and
// the OS ecosystems that lacked one (Photon OS, MinimOS), reached through getComparator as the
// matcher reaches them. Orders are the ecosystems' own, as their specs and osv.dev's tests state
// them (no reference binary for these is installable here).
import { describe, expect, it } from 'vitest';
import { getComparator, type Comparator } from '../../src/version/index.js';

function cmp(ecosystem: string): Comparator {
  const c = getComparator(ecosystem);
  if (!c) throw new Error(`no comparator for ${ecosystem}`);
  return c;
}

/** Every pair of a strictly increasing list compares as its positions do. */
function expectOrdered(c: Comparator, list: string[]): void {
  for (let i = 0; i < list.length; i++) {
    for (let j = 0; j < list.length; j++) {
      expect(c.compare(list[i]!, list[j]!), `${list[i]} vs ${list[j]}`).toBe(Math.sign(i - j));
    }
  }
}

describe('Pub (pub_semver: build metadata is ordered)', () => {
  const pub = cmp('Pub');
  it('orders the list osv.dev tests Pub with', () => {
    expectOrdered(pub, [
      '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0-rc.1+build.1', '1.0.0',
      '1.0.0+0.3.7', '1.3.7+build', '1.3.7+build.2.b8f12d7', '1.3.7+build.11.e0f985a', '2.0.0', '2.1.0', '2.2.0', '2.11.0', '2.11.1',
    ]);
  });
  it('treats leading zeros as the number', () => {
    for (const [a, b] of [['01.2.3', '1.2.3'], ['1.02.3', '1.2.3'], ['1.2.3-01', '1.2.3-1'], ['1.2.3+01', '1.2.3+1']]) expect(pub.compare(a!, b!)).toBe(0);
  });
  it('rejects what is not SemVer', () => {
    expect(pub.valid('3.4.0rc3-invalid')).toBe(false);
    expect(pub.valid('')).toBe(false);
  });
});

describe('Hackage (Cabal Version: a list of integers)', () => {
  const h = cmp('Hackage');
  it('orders numerically, a prefix below its extensions', () => {
    expectOrdered(h, ['0', '0.1', '0.2.0.2', '0.10', '1', '1.0', '1.0.0', '1.0.0.1', '2.1.2.1', '2.10']);
  });
  it('rejects tags and pre-release suffixes', () => {
    for (const v of ['1.0-rc1', '1.a', '', '1..2', 'v1.0']) expect(h.valid(v), v).toBe(false);
  });
});

describe("CRAN (R's numeric_version: `.` and `-` separate integers)", () => {
  const r = cmp('CRAN');
  it('orders numerically, `-` as `.`', () => {
    expectOrdered(r, ['0', '0.2', '0.2.0', '1.8-1', '1.8-2', '1.9.0', '1.10-0']);
    expect(r.compare('1.8-1', '1.8.1')).toBe(0);
    expect(r.compare('1.01', '1.1')).toBe(0);
  });
  it('rejects letters', () => {
    for (const v of ['1.0a', '1.0-rc', '', '1.', '-1']) expect(r.valid(v), v).toBe(false);
  });
});

describe('ConanCenter (Conan 2 Version)', () => {
  const c = cmp('ConanCenter');
  it('compares items as integers when both are, else as strings; trailing zeros do not count', () => {
    expectOrdered(c, ['1.0-alpha', '1.0-beta', '1.0', '1.0+1', '1.0+2', '1.0.1', '1.2', '1.10', '1.a', '2.0']);
    expect(c.compare('1.0', '1.0.0')).toBe(0);
    expect(c.compare('3.0.5', '3.0.10')).toBe(-1);
  });
  it('rejects empty items', () => {
    for (const v of ['', '1..0', '1.0-', '1.0+']) expect(c.valid(v), v).toBe(false);
  });
});

describe('Hex and SwiftURL (SemVer 2.0)', () => {
  for (const eco of ['Hex', 'SwiftURL']) {
    it(`${eco}: prereleases below the release, numbers numerically`, () => {
      expectOrdered(cmp(eco), ['1.0.0-alpha', '1.0.0-rc.1', '1.0.0', '1.2.0', '1.14.0', '2.29.1', '2.41.0']);
      expect(cmp(eco).compare('1.0.0+build.1', '1.0.0')).toBe(0);
    });
  }
});

describe('Photon OS and MinimOS (previously no comparator)', () => {
  it('Photon OS:5.0 orders rpm version-release', () => {
    expectOrdered(cmp('Photon OS:5.0'), ['8.0.39-1.ph5', '8.0.40-1.ph5', '8.0.40-2.ph5', '1:8.0.1-1.ph5']);
  });
  it('MinimOS orders apk versions', () => {
    expectOrdered(cmp('MinimOS'), ['3.4.0_rc1-r0', '3.4.0-r0', '3.4.0-r1', '3.4.1-r0', '3.4.1a-r0']);
  });
});

// Properties every comparator must have, on generated versions, plus numbers beyond 2^53.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getComparator, InvalidVersionError, SEMVER_RANGE_COMPARATOR } from '../../src/version/index.js';
import type { Comparator } from '../../src/version/comparator.js';
import { debGen, mavenGen, pick, prng, pypiGen, rpmGen, semverGen } from './generate.js';

const seeded = (make: (r: () => number) => () => string): fc.Arbitrary<string> =>
  fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((seed) => make(prng(seed))());

const apkGen = (r: () => number) => () =>
  pick(r, ['1', '0', '10', '2']) + pick(r, ['', '.0', '.01', '.2', '.10']) + pick(r, ['', 'a', 'z']) + pick(r, ['', '_alpha', '_rc1', '_p2', '_git20240101', '_pre1_p1']) + pick(r, ['', '~1ab', '~ff']) + pick(r, ['', '-r0', '-r1', '-r10']);
const gemGen = (r: () => number) => () => pick(r, ['0', '1', '2', '10']) + pick(r, ['', '.0', '.1', '.a', '.b1', '.pre', '.0.0', '-rc1', '.beta.2']);
const nugetGen = (r: () => number) => () => pick(r, ['1', '1.0', '1.0.0', '1.0.0.0', '2.1', '1.0.01']) + pick(r, ['', '-alpha', '-Beta.2', '-rc.1', '-1']) + pick(r, ['', '+meta']);
const phpGen = (r: () => number) => () => pick(r, ['', 'v']) + pick(r, ['1', '1.0', '1.0.0', '2.1.3', '1.0.0.0']) + pick(r, ['', '-dev', 'a1', '-beta2', 'RC1', '-rc.1', '-pl1', '-patch2', '.x-dev']);

// Maven's ComparableVersion is not transitive on odd strings: the real 3.9.9 jar orders
// "ga.RC" < "00" < "b-final.sp-0" yet "ga.RC" > "b-final.sp-0" (we match it; see below). The
// transitivity property therefore uses realistic Maven versions: numbers, then qualifiers.
const mavenRealistic = (r: () => number) => () =>
  pick(r, ['1', '2', '10', '1.0', '1.0.0', '2.1', '1.0.0.1']) +
  pick(r, ['', '-alpha', '-alpha-1', '-beta2', '-m3', '-RC1', '.RC2', '-SNAPSHOT', '.Final', '-ga', '-sp', '-sp1', '-1', '-foo', '.1']) +
  pick(r, ['', '', '-SNAPSHOT', '.1', '-2']);

const GENERATORS: [string, Comparator, fc.Arbitrary<string>][] = [
  ['Debian', getComparator('Debian')!, seeded(debGen)],
  ['Red Hat', getComparator('Red Hat')!, seeded(rpmGen)],
  ['Alpine', getComparator('Alpine')!, seeded(apkGen)],
  ['PyPI', getComparator('PyPI')!, seeded(pypiGen)],
  ['Maven', getComparator('Maven')!, seeded(mavenRealistic)],
  ['npm', getComparator('npm')!, seeded((r) => semverGen(r, true))],
  ['crates.io', getComparator('crates.io')!, seeded((r) => semverGen(r, false))],
  ['Go', getComparator('Go')!, seeded((r) => semverGen(r, true))],
  ['SemVer', SEMVER_RANGE_COMPARATOR, seeded((r) => semverGen(r, true))],
  ['RubyGems', getComparator('RubyGems')!, seeded(gemGen)],
  ['NuGet', getComparator('NuGet')!, seeded(nugetGen)],
  ['Packagist', getComparator('Packagist')!, seeded(phpGen)],
];

const safe = (c: Comparator, a: string, b: string): number | undefined => {
  try {
    return c.compare(a, b);
  } catch (err) {
    if (err instanceof InvalidVersionError) return undefined;
    throw err;
  }
};

describe.each(GENERATORS)('%s comparator properties', (_name, cmp, arb) => {
  it('is antisymmetric and reflexive', () => {
    fc.assert(
      fc.property(arb, arb, (a, b) => {
        const x = safe(cmp, a, b);
        const y = safe(cmp, b, a);
        if (x === undefined) return y === undefined;
        return x === -(y ?? NaN) && safe(cmp, a, a) === 0;
      }),
      { seed: 42, numRuns: 400 },
    );
  });

  it('is transitive', () => {
    fc.assert(
      fc.property(arb, arb, arb, (a, b, c) => {
        const ab = safe(cmp, a, b);
        const bc = safe(cmp, b, c);
        const ac = safe(cmp, a, c);
        if (ab === undefined || bc === undefined || ac === undefined) return true;
        if (ab <= 0 && bc <= 0) return ac <= 0;
        if (ab >= 0 && bc >= 0) return ac >= 0;
        return true;
      }),
      { seed: 7, numRuns: 400 },
    );
  });

  it('throws nothing but InvalidVersionError on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (a, b) => {
        safe(cmp, a, b); // rethrows anything that is not InvalidVersionError
        cmp.valid(a);
      }),
      { seed: 3, numRuns: 500 },
    );
  });
});

it('Maven: odd strings keep ComparableVersion\'s own non-transitivity (checked against the 3.9.9 jar)', () => {
  const mvn = getComparator('Maven')!;
  expect([mvn.compare('ga.RC', '00'), mvn.compare('00', 'b-final.sp-0'), mvn.compare('ga.RC', 'b-final.sp-0')]).toEqual([-1, -1, 1]);
  // antisymmetry still holds on the wild generator
  fc.assert(
    fc.property(seeded(mavenGen), seeded(mavenGen), (a, b) => mvn.compare(a, b) === -mvn.compare(b, a)),
    { seed: 42, numRuns: 400 },
  );
});

describe('numeric parts beyond 2^53 compare exactly', () => {
  const big = '9007199254740993'; // 2^53 + 1: Number() would round it to 2^53
  const bigger = '9007199254740994';
  const huge = '123456789012345678901234567890';
  const cases: [string, (n: string) => string][] = [
    ['Debian', (n) => `1:${n}-1`],
    ['Red Hat', (n) => `${n}-1.el9`],
    ['Alpine', (n) => `1.${n}-r0`],
    ['PyPI', (n) => `1.${n}.post${n}`],
    ['Maven', (n) => `1.${n}`],
    ['RubyGems', (n) => `1.${n}`],
    ['NuGet', (n) => `1.${n}`],
    ['Packagist', (n) => `1.${n}`],
    ['crates.io', (n) => `1.${n}.0`],
    ['Go', (n) => `v1.${n}.0`],
  ];
  for (const [eco, make] of cases) {
    it(eco, () => {
      const c = getComparator(eco)!;
      expect(c.compare(make(big), make(bigger))).toBe(-1);
      expect(c.compare(make(bigger), make(big))).toBe(1);
      expect(c.compare(make(huge), make(bigger))).toBe(1);
      expect(c.compare(make(huge), make(huge))).toBe(0);
    });
  }
  it('SemVer ranges', () => {
    expect(SEMVER_RANGE_COMPARATOR.compare(`1.0.0-${big}`, `1.0.0-${bigger}`)).toBe(-1);
  });
  it('npm: node-semver (and so npm) rejects numbers above MAX_SAFE_INTEGER as invalid', () => {
    const npm = getComparator('npm')!;
    expect(npm.valid(`1.${big}.0`)).toBe(false);
    expect(() => npm.compare(`1.${big}.0`, '1.0.0')).toThrow(InvalidVersionError);
  });
});

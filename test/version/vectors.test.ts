// Every row of the shared comparison vectors must agree; the few rows we deliberately do not follow
// are listed here with the reason, and their number is asserted.
import { describe, expect, it } from 'vitest';
import { HAVE_SHARED } from '../helpers/shared.js';
import { getComparator, normalizePypi, rpmvercmp, SEMVER_RANGE_COMPARATOR } from '../../src/version/index.js';
import { apkValid } from '../../src/version/apk.js';
import { NpmComparator } from '../../src/version/npm.js';
import type { Comparator } from '../../src/version/comparator.js';
import { readRows, type Row } from './vectors.js';

type Cmp = Pick<Comparator, 'compare'>;
const key = (a: string, b: string): string => `${a}\u0000${b}`;

function disagreements(cmp: Cmp, rows: Row[]): { row: Row; got: string }[] {
  const bad: { row: Row; got: string }[] = [];
  for (const row of rows) {
    let got: string;
    try {
      got = String(cmp.compare(row.a, row.b));
    } catch (err) {
      got = `threw ${(err as Error).message}`;
    }
    if (got !== row.expected) bad.push({ row, got });
  }
  return bad;
}

function expectAgreement(cmp: Cmp, file: string, deviations: [string, string][] = []): void {
  const rows = readRows(file);
  expect(rows.length).toBeGreaterThan(0);
  const allowed = new Set(deviations.map(([a, b]) => key(a, b)));
  const bad = disagreements(cmp, rows);
  const unexpected = bad.filter((d) => !allowed.has(key(d.row.a, d.row.b)));
  expect(unexpected.map((d) => `${JSON.stringify(d.row.a)} vs ${JSON.stringify(d.row.b)}: want ${d.row.expected}, got ${d.got}`)).toEqual([]);
  // Every listed deviation really is one (the list stays exact).
  expect(bad.length).toBe(deviations.length);
}

// Rows from Maven 4's ComparableVersionTest and from osv-scalibr data generated with Maven 4 that
// Maven 3.9 (our target, checked against the real 3.9.9 jar in reference-tools.test.ts) orders
// differently: Maven 4 added CombinationItem ("sec10", "rc5"), Unicode-digit handling and
// "X-1 = X1"; 3.9 has none of them.
const MAVEN4_ONLY: [string, string][] = [
  ['1', '٨'],
  ['٨', '1'],
  ['1.0.final-redhat', '1.0-sp1-redhat'],
  ['1.0-sp1-redhat', '1.0.final-redhat'],
  ['1.0.final-redhat', '1.0-sp-1-redhat'],
  ['1.0-sp-1-redhat', '1.0.final-redhat'],
  ['1.0.final-redhat', '1.0-sp.1-redhat'],
  ['1.0-sp.1-redhat', '1.0.final-redhat'],
  ['1-1', '1-ga-1'],
  ['1.0.0-RC16', '1.0.0.RC8-beta'],
  ['1.0.0-gradle-rework-beta3', '1.0.0.RC7-3'],
  ['2.9.0-1', '2.9.0.RC1'],
  ['6.1.12.rc5', '6.1.12rc1'],
  ['1.1.31.sec10', '1.1.31_noneautotype'],
  ['1.1.34.sec10', '1.1.34_noneautotype'],
  ['1.1.46.sec10', '1.1.46_noneautotype'],
  ['1.2.8.sec10_noneautotype', '1.2.8_noneautotype'],
  ['1.2.31.sec10', '1.2.31_noneautotype'],
  ['1.2.48.sec10', '1.2.48_noneautotype'],
  ['1.2.50.sec10', '1.2.50_noneautotype'],
  ['1.2.54.sec10', '1.2.54_noneautotype'],
  ['1.2.57.sec10', '1.2.57_noneautotype'],
  ['1.2.60.sec10', '1.2.60_noneautotype'],
  ['1.2.67.sec10', '1.2.67_noneautotype'],
  ['1.0.0rc0', '1.0.beta8'],
  ['1.5.9.RC1', '1.5.9-RC0'],
  ['1.1.0-01-glassfish', '1.1.0.Beta1'],
];

// go-mvn-version follows pre-3.9 Maven: "1-foo" > "1.foo" and "2-1" < "2.0.a". Maven 3.9 treats a
// qualifier after '.' like one after '-' (MNG-6420 era), so these come out the other way.
const MAVEN_LEGACY_ONLY: [string, string][] = [
  ['1-foo', '1.foo'],
  ['1-1-foo', '1-1.foo'],
  ['2-1', '2.0.a'],
  ['2.0.a', '2-1'],
];

// osv-scalibr's hand-written rows accept "1beta"; Gem::Version rejects it ("Malformed version
// number string": a letter must follow a '.'), so we refuse to compare rather than guess.
const RUBYGEMS_MALFORMED: [string, string][] = [
  ['1', '1beta'],
  ['1', '1gamma'],
];

// osv-scalibr's hand-written rows say "1.2.3.#" = "1.2.3"; PHP's php_canonicalize_version drops a
// non-alphanumeric character that follows '.', leaving an empty trailing part that sorts low.
const PACKAGIST_HASH: [string, string][] = [
  ['1.2.3.#', '1.2.3'],
  ['1.2.3.#', '1.2.3.1'],
];

describe.skipIf(!HAVE_SHARED)('shared comparison vectors', () => {
  it('deb.tsv (dpkg)', () => expectAgreement(getComparator('Debian')!, 'deb.tsv'));
  it('rpm.tsv (rpm EVR)', () => expectAgreement(getComparator('Red Hat')!, 'rpm.tsv'));
  it('rpmvercmp-raw.tsv (raw rpmvercmp)', () => expectAgreement({ compare: rpmvercmp }, 'rpmvercmp-raw.tsv'));
  it('pypi.tsv (PEP 440 + legacy)', () => expectAgreement(getComparator('PyPI')!, 'pypi.tsv'));
  it('maven.tsv (Maven 3.9)', () => expectAgreement(getComparator('Maven')!, 'maven.tsv', MAVEN4_ONLY));
  it('maven-legacy.tsv', () => expectAgreement(getComparator('Maven')!, 'maven-legacy.tsv', MAVEN_LEGACY_ONLY));
  it('npm.tsv (strict node-semver)', () => expectAgreement(new NpmComparator(false), 'npm.tsv'));
  it('npm-loose.tsv (node-semver loose, as npm)', () => expectAgreement(getComparator('npm')!, 'npm-loose.tsv'));
  it('semver.tsv (OSV SEMVER ranges)', () => expectAgreement(SEMVER_RANGE_COMPARATOR, 'semver.tsv'));
  it('rubygems.tsv', () => expectAgreement(getComparator('RubyGems')!, 'rubygems.tsv', RUBYGEMS_MALFORMED));
  it('packagist.tsv', () => expectAgreement(getComparator('Packagist')!, 'packagist.tsv', PACKAGIST_HASH));
  it('nuget.tsv', () => expectAgreement(getComparator('NuGet')!, 'nuget.tsv'));

  it('apk.tsv: apk-tools 3 rows all agree; others differ only on strings apk-tools 3 rejects', () => {
    const cmp = getComparator('Alpine')!;
    // The apk-tools upstream test data itself (current apk-tools 3) agrees completely.
    expect(disagreements(cmp, readRows('by-source/apk.apk-tools-test-unit-version.data.tsv'))).toEqual([]);
    // osv-scalibr's rows were generated with apk-tools 2, whose tokenizer accepted strings that
    // apk-tools 3 calls invalid ("6.6.2p1", "0..1", "1-r"); an invalid token ends apk 3's walk, so
    // such pairs can compare differently. Every disagreement must involve such a string.
    const bad = disagreements(cmp, readRows('apk.tsv'));
    const notInvalid = bad.filter((d) => apkValid(d.row.a) && apkValid(d.row.b));
    expect(notInvalid.map((d) => `${d.row.a} ${d.row.b}`)).toEqual([]);
    expect(bad.length).toBe(44);
  });

  it('apk-valid.tsv (apk_version_validate)', () => {
    for (const { a: v, b: want } of readRows('apk-valid.tsv')) {
      expect([v, apkValid(v)]).toEqual([v, want === '1']);
      expect([v, getComparator('Wolfi')!.valid(v)]).toEqual([v, want === '1']);
    }
  });

  it('pypi-normalize.tsv (str(Version(v)))', () => {
    const rows = readRows('pypi-normalize.tsv');
    expect(rows.length).toBe(104);
    for (const { a: input, b: canonical } of rows) expect([input, normalizePypi(input)]).toEqual([input, canonical]);
  });

  it('pypi.tsv has exactly the 72 legacy rows the README describes, ordered below PEP 440', () => {
    const pypi = getComparator('PyPI') as Comparator & { isPep440(v: string): boolean };
    const legacy = readRows('pypi.tsv').filter((r) => !pypi.isPep440(r.a) || !pypi.isPep440(r.b));
    expect(legacy.length).toBe(72);
  });
});

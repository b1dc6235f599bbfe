// Issue 5 end to end: real language advisories against the real multi-language image, through the
// CLI (`db import`, then `scan`). The DB holds OSV records written here for four real GitHub
// advisories (npm), ALL real PYSEC records and ALL real Go vulndb records from ../shared. What the
// scan must report is computed independently: by hand from the advisories for npm, and by
// osv_affected.py (Python `packaging` for PyPI, a SemVer comparator for Go) over the same records.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import type { Report } from '../../src/model/report.js';
import { GO_BINARY, langImage, LAYER, NPM_APP, type LangImageFixture } from '../fixtures/lang-image.js';
import { runCli } from '../helpers/cli.js';
import { formatErrors, validateCycloneDx, validateSarif, validateSpdx } from '../helpers/schemas.js';
import { HAVE_SHARED, shared } from '../helpers/shared.js';

const EVALUATOR = fileURLToPath(new URL('./osv_affected.py', import.meta.url));
const PYSEC = shared('data', 'osv', 'pypa-pysec');
const GO_VULNDB = shared('data', 'osv', 'go-vulndb');

// The GitHub advisory database's records (facts: affected ranges, fixes, CVE aliases, CVSS).
function ghsa(id: string, cve: string, summary: string, severity: string, vector: string, affected: { name: string; events: object[] }[]) {
  return {
    schema_version: '1.4.0',
    id,
    modified: new Date().toISOString(),
    published: '2021-01-01T00:00:00Z',
    aliases: [cve],
    summary,
    details: summary,
    severity: [{ type: 'CVSS_V3', score: vector }],
    affected: affected.map((a) => ({ package: { ecosystem: 'npm', name: a.name }, ranges: [{ type: 'SEMVER', events: a.events }] })),
    references: [{ type: 'ADVISORY', url: `https://nvd.nist.gov/vuln/detail/${cve}` }, { type: 'WEB', url: `https://github.com/advisories/${id}` }],
    database_specific: { severity, github_reviewed: true, cwe_ids: [] },
  };
}

const NPM_RECORDS = [
  ghsa('GHSA-xvch-5gv4-984h', 'CVE-2021-44906', 'Prototype Pollution in minimist', 'CRITICAL', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', [
    { name: 'minimist', events: [{ introduced: '0' }, { fixed: '0.2.4' }] },
    { name: 'minimist', events: [{ introduced: '1.0.0' }, { fixed: '1.2.6' }] },
  ]),
  ghsa('GHSA-35jh-r3h4-6jhm', 'CVE-2021-23337', 'Command Injection in lodash', 'HIGH', 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', [
    { name: 'lodash', events: [{ introduced: '0' }, { fixed: '4.17.21' }] },
    { name: 'lodash-es', events: [{ introduced: '0' }, { fixed: '4.17.21' }] },
  ]),
  ghsa('GHSA-29mw-wpgm-hmr9', 'CVE-2020-28500', 'Regular Expression Denial of Service (ReDoS) in lodash', 'MODERATE', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', [
    { name: 'lodash', events: [{ introduced: '0' }, { fixed: '4.17.21' }] },
    { name: 'lodash-es', events: [{ introduced: '0' }, { fixed: '4.17.21' }] },
  ]),
  // Fixed in 4.17.19: the image's lodash 4.17.20 is NOT affected.
  ghsa('GHSA-p6mc-m468-83gw', 'CVE-2020-8203', 'Prototype Pollution in lodash', 'HIGH', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H', [
    { name: 'lodash', events: [{ introduced: '3.7.0' }, { fixed: '4.17.19' }] },
  ]),
];

/** What the npm advisories above say about the image's npm packages (by hand from their ranges). */
const EXPECTED_NPM = [
  { id: 'CVE-2021-44906', alias: 'GHSA-xvch-5gv4-984h', pkg: 'minimist', version: '1.2.5', fixed: ['1.2.6'], severity: 'CRITICAL' },
  { id: 'CVE-2021-23337', alias: 'GHSA-35jh-r3h4-6jhm', pkg: 'lodash', version: '4.17.20', fixed: ['4.17.21'], severity: 'HIGH' },
  { id: 'CVE-2020-28500', alias: 'GHSA-29mw-wpgm-hmr9', pkg: 'lodash', version: '4.17.20', fixed: ['4.17.21'], severity: 'MEDIUM' },
];

interface Query {
  ecosystem: string;
  name: string;
  version: string;
  /** Go: the binary's platform (govulncheck's module-level platform rule). */
  goos?: string;
  goarch?: string;
  scheme: 'pypi' | 'semver';
}

/** Per query: [record id, fix of the interval holding the version (or null)], sorted by id. */
function independentlyAffected(dirs: string[], queries: Query[]): [string, string | null][][] {
  const out = execFileSync('python3', [EVALUATOR], { input: JSON.stringify({ dirs, queries }), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as [string, string | null][][];
}

/** The finding of `pkg` built from record `id`, whose fixes must include the interval's fix. */
function expectFinding(findings: Finding[], id: string, fix: string | null): void {
  const f = findings.filter((x) => x.records.includes(id));
  expect(f, id).toHaveLength(1);
  expect(f[0]!.status, id).toBe(fix ? 'fixed' : 'affected');
  if (fix) expect(f[0]!.fixedVersions, id).toContain(fix);
}

/** Every id a finding is known by (its id, aliases, the records it was built from). */
const idsOf = (f: Finding) => new Set([f.id, ...f.aliases, ...f.records]);

describe.skipIf(!HAVE_SHARED)('scan of the real multi-language image with real advisories', () => {
  let fx: LangImageFixture;
  let dir: string;
  let db: string;
  let report: Report;
  const out = (name: string) => join(dir, 'out', name);

  beforeAll(async () => {
    fx = await langImage();
    dir = mkdtempSync(join(tmpdir(), 'portcullis-lang-scan-'));
    mkdirSync(join(dir, 'npm-records'));
    mkdirSync(join(dir, 'out'));
    for (const r of NPM_RECORDS) writeFileSync(join(dir, 'npm-records', `${r.id}.json`), JSON.stringify(r));
    db = join(dir, 'db.sqlite');
    const imported = await runCli(['db', 'import', '--db', db, '--quiet', join(dir, 'npm-records'), PYSEC, GO_VULNDB]);
    expect(imported.code, imported.stderr).toBe(0);
    const policy = join(dir, 'block-high.yaml');
    writeFileSync(policy, `apiVersion: portcullis.dev/v1
kind: Policy
metadata: {name: block-high}
spec:
  rules:
    - id: no-high
      description: block HIGH and CRITICAL
      action: block
      when: {severity: [CRITICAL, HIGH]}
`);
    const formats = ['json', 'sarif', 'cyclonedx', 'spdx', 'junit'].flatMap((f) => ['--format', `${f}=${out(f)}`]);
    // The DB holds npm, PyPI and Go data only, from real records of 2024: the image's other
    // ecosystems are accepted as not covered (visibly), and the data's age is accepted.
    const r = await runCli(['scan', fx.dockerArchive, '--db', db, '--policy', policy, '--offline', '--allow-uncovered', '--skip-db-age-check', ...formats], { env: { XDG_CACHE_HOME: join(dir, 'cache') } });
    expect(r.code, r.stderr).toBe(1); // CRITICAL minimist and HIGH findings block
    report = JSON.parse(readFileSync(out('json'), 'utf8')) as Report;
    const byStatus = (covered: boolean) => report.coverage!.ecosystems.filter((e) => (e.status === 'covered') === covered).map((e) => e.ecosystem).sort();
    expect(byStatus(true)).toEqual(['Go', 'PyPI', 'npm']);
    expect(report.coverage!.ecosystems.filter((e) => e.status !== 'covered').every((e) => e.accepted?.by === 'flag')).toBe(true);
    expect(byStatus(false).length).toBeGreaterThan(0);
  }, 1_200_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('npm: exactly the advisories whose ranges hold minimist 1.2.5 and lodash 4.17.20, fixed, with their fixes', () => {
    const npm = report.findings!.filter((f) => f.package.type === 'npm');
    expect(npm.map((f) => `${f.id} ${f.package.name}@${f.package.version}`).sort()).toEqual(EXPECTED_NPM.map((e) => `${e.id} ${e.pkg}@${e.version}`).sort());
    for (const e of EXPECTED_NPM) {
      const f = npm.find((x) => x.id === e.id)!;
      expect(f.aliases).toContain(e.alias);
      expect(f.records).toEqual([e.alias]);
      expect(f.status).toBe('fixed');
      expect(f.fixedVersions).toEqual(e.fixed);
      expect(f.severity).toBe(e.severity);
      expect(f.package.path).toBe(`${NPM_APP}/node_modules/${e.pkg}/package.json`);
      expect(f.layer.index).toBe(LAYER.app);
    }
    // GHSA-p6mc-m468-83gw (fixed 4.17.19) does not touch 4.17.20; nothing for the ms / debug copies.
    expect(report.findings!.some((f) => idsOf(f).has('GHSA-p6mc-m468-83gw'))).toBe(false);
  });

  it('PyPI: pip 23.0.1 and setuptools 66.1.1 get exactly the PYSEC records packaging says contain them', () => {
    const expected = independentlyAffected([PYSEC], [
      { ecosystem: 'PyPI', name: 'pip', version: '23.0.1', scheme: 'pypi' },
      { ecosystem: 'PyPI', name: 'setuptools', version: '66.1.1', scheme: 'pypi' },
    ]);
    const of = (name: string) => report.findings!.filter((f) => f.package.type === 'pypi' && f.package.name === name);
    const got = (name: string) => of(name).flatMap((f) => [...idsOf(f)].filter((i) => i.startsWith('PYSEC-'))).sort();
    expect(got('pip')).toEqual(expected[0]!.map(([id]) => id));
    expect(got('setuptools')).toEqual(expected[1]!.map(([id]) => id));
    expect(expected[0]!.length).toBeGreaterThan(0); // the data has a pip 23.0.1 advisory (PYSEC-2023-228)
    for (const [id, fix] of expected[0]!) expectFinding(of('pip'), id, fix);
    for (const [id, fix] of expected[1]!) expectFinding(of('setuptools'), id, fix);
    for (const f of report.findings!.filter((x) => x.package.type === 'pypi')) expect(f.layer.index).toBe(LAYER.python);
  });

  it('Go: the binary\'s stdlib gets exactly the Go vulndb records a SemVer evaluation puts 1.19.8 in', () => {
    expect(fx.goVersion).toMatch(/^go1\.\d+\.\d+$/);
    const stdlib = fx.goVersion.slice(2);
    const [expectedStd, expectedGreet] = independentlyAffected([GO_VULNDB], [
      { ecosystem: 'Go', name: 'stdlib', version: stdlib, scheme: 'semver', goos: 'linux', goarch: 'amd64' },
      { ecosystem: 'Go', name: 'example.com/greet', version: '1.4.0', scheme: 'semver', goos: 'linux', goarch: 'amd64' },
    ]);
    const go = report.findings!.filter((f) => f.package.type === 'golang');
    const std = go.filter((f) => f.package.name === 'stdlib');
    expect(std.flatMap((f) => [...idsOf(f)].filter((i) => i.startsWith('GO-'))).sort()).toEqual(expectedStd!.map(([id]) => id));
    for (const [id, fix] of expectedStd!) expectFinding(std, id, fix);
    expect(expectedStd!.length).toBeGreaterThan(0);
    expect(go.filter((f) => f.package.name !== 'stdlib')).toEqual([]);
    expect(expectedGreet).toEqual([]);
    for (const f of std) {
      expect(f.package.ecosystem).toBe('Go');
      expect(f.package.version).toBe(`v${stdlib}`);
      expect(f.package.path).toBe(GO_BINARY);
      expect(f.package.platform).toEqual({ os: 'linux', arch: 'amd64' });
      expect(f.layer.index).toBe(LAYER.go);
    }
  });

  it('nothing else is reported: no findings for maven, gem, cargo, composer, nuget or deb packages here', () => {
    const types = new Set(report.findings!.map((f) => f.package.type));
    expect([...types].sort()).toEqual(['golang', 'npm', 'pypi']);
  });

  it('SARIF, CycloneDX and SPDX outputs of this scan validate against their schemas', () => {
    const sarif = JSON.parse(readFileSync(out('sarif'), 'utf8')) as { runs: { results: { ruleId: string }[] }[] };
    expect(formatErrors(validateSarif(sarif))).toBe('');
    expect(sarif.runs[0]!.results).toHaveLength(report.findings!.length);
    const cdx = JSON.parse(readFileSync(out('cyclonedx'), 'utf8')) as { components?: { purl?: string }[]; vulnerabilities?: { id: string }[] };
    expect(formatErrors(validateCycloneDx(cdx))).toBe('');
    const purls = new Set((cdx.components ?? []).map((c) => c.purl));
    for (const p of ['pkg:npm/minimist@1.2.5', 'pkg:pypi/pip@23.0.1', 'pkg:golang/stdlib@v1.19.8', 'pkg:maven/org.apache.commons/commons-lang3@3.12.0']) expect(purls).toContain(p);
    expect(new Set((cdx.vulnerabilities ?? []).map((v) => v.id))).toEqual(new Set(report.findings!.map((f) => f.id)));
    const spdx = JSON.parse(readFileSync(out('spdx'), 'utf8')) as { packages: unknown[] };
    expect(formatErrors(validateSpdx(spdx))).toBe('');
    expect(spdx.packages.length).toBeGreaterThanOrEqual(report.packages.length);
  });

  it('JUnit parses, with one test case per finding and a failure per blocked finding', () => {
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => name === 'testsuite' || name === 'testcase' }).parse(readFileSync(out('junit'), 'utf8')) as {
      testsuites: { '@tests': string; '@failures': string; testsuite: { '@name': string; '@tests': string; '@failures': string; testcase?: { failure?: unknown }[] }[] };
    };
    const findings = report.findings!;
    const blocked = findings.filter((f) => f.severity === 'CRITICAL' || f.severity === 'HIGH').length;
    expect(Number(xml.testsuites['@tests'])).toBe(findings.length);
    expect(Number(xml.testsuites['@failures'])).toBe(blocked);
    expect(blocked).toBeGreaterThanOrEqual(2); // minimist CRITICAL, lodash CVE-2021-23337 HIGH
    const cases = xml.testsuites.testsuite.flatMap((s) => s.testcase ?? []);
    expect(cases).toHaveLength(findings.length);
    expect(cases.filter((c) => c.failure !== undefined)).toHaveLength(blocked);
    expect(report.decision?.blocked).toBe(true);
  });
});

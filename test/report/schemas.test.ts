// SARIF, CycloneDX and SPDX outputs against the official schemas, plus what the schemas cannot see.
import { describe, expect, it } from 'vitest';
import { findingKey } from '../../src/model/finding.js';
import { encoderFor } from '../../src/report/index.js';
import { decide } from '../../src/policy/decide.js';
import { parsePolicy } from '../../src/policy/load.js';
import { parseVex } from '../../src/policy/vex.js';
import { HAVE_SHARED } from '../helpers/shared.js';
import { formatErrors, validateCycloneDx, validateSarif, validateSpdx } from '../helpers/schemas.js';
import { hostileReport, hugeReport, sampleReport } from './sample-report.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UnreadFile } from '../../src/model/coverage.js';
import { readSbomFile } from '../../src/sbom-input/read-sbom.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What inventoryReport() sets on an sbom whose dpkg status was a sparse file and whose npm lock was too large. */
const UNREAD: UnreadFile[] = [
  { path: '/var/lib/dpkg/status', cataloger: 'dpkg', kind: 'os-pkgdb', code: 'unreadable', reason: 'a GNU sparse tar entry, which the walker does not read', layer: 1 },
  { path: '/app/package-lock.json', cataloger: 'npm', kind: 'manifest', code: 'too-large', reason: 'larger than the 64 MiB limit' },
];

const variants = {
  scan: () => sampleReport(),
  sbom: () => sampleReport({ sbom: true }),
  'no decision': () => sampleReport({ noDecision: true }),
  hostile: () => hostileReport(),
  'empty scan': () => ({ ...sampleReport(), findings: [], packages: [] }),
  'sbom with unread files': () => ({ ...sampleReport({ sbom: true }), unread: UNREAD }),
};

function encode(format: string, report = sampleReport()): Json {
  return JSON.parse(encoderFor(format).encode(report)) as Json;
}

describe.skipIf(!HAVE_SHARED)('official schemas', () => {
  for (const [name, make] of Object.entries(variants)) {
    it(`SARIF 2.1.0: ${name}`, () => {
      const errors = validateSarif(encode('sarif', make()));
      expect(errors, formatErrors(errors)).toEqual([]);
    });
    it(`CycloneDX 1.6: ${name}`, () => {
      const errors = validateCycloneDx(encode('cyclonedx', make()));
      expect(errors, formatErrors(errors)).toEqual([]);
    });
    it(`SPDX 2.3: ${name}`, () => {
      const errors = validateSpdx(encode('spdx', make()));
      expect(errors, formatErrors(errors)).toEqual([]);
    });
  }

  it('the validators do reject broken documents (they can fail)', () => {
    const sarif = encode('sarif');
    sarif.runs[0].results[0].level = 'fatal';
    expect(validateSarif(sarif).length).toBeGreaterThan(0);
    const cdx = encode('cyclonedx');
    cdx.vulnerabilities[0].ratings[0].method = 'CVSSv9';
    expect(validateCycloneDx(cdx).length).toBeGreaterThan(0);
    const spdx = encode('spdx');
    expect(validateSpdx({ $schema: 'https://example.com/x', ...spdx }).length).toBeGreaterThan(0);
  });

  it('a big report validates too', () => {
    const r = hugeReport(600);
    for (const [f, v] of [['sarif', validateSarif], ['cyclonedx', validateCycloneDx], ['spdx', validateSpdx]] as const) {
      const errors = v(encode(f, r));
      expect(errors, `${f}: ${formatErrors(errors)}`).toEqual([]);
    }
  });
});

describe('SARIF content', () => {
  const report = sampleReport();
  const doc = encode('sarif', report);
  const run = doc.runs[0];

  it('has the driver facts GitHub shows', () => {
    expect(run.tool.driver).toMatchObject({ name: 'portcullis', version: '0.1.0' });
    expect(run.tool.driver.informationUri).toMatch(/^https:\/\//);
  });

  it('one rule per vulnerability id, with a security-severity from CVSS or severity', () => {
    const ids = run.tool.driver.rules.map((r: Json) => r.id);
    expect(ids).toEqual([...new Set(report.findings!.map((f) => f.id))].sort());
    const byId = Object.fromEntries(run.tool.driver.rules.map((r: Json) => [r.id, r]));
    expect(byId['CVE-2023-38545'].properties['security-severity']).toBe('9.8');
    expect(byId['CVE-2021-23337'].properties['security-severity']).toBe('7.2');
    expect(byId['TEMP-0517018-A83CE6'].properties['security-severity']).toBeUndefined();
    expect(byId['CVE-2023-38545'].help.markdown).toContain('| libcurl4 | 7.88.1-10+deb12u5 | 7.88.1-10+deb12u4 |');
    expect(byId['CVE-2023-38545'].help.text).toContain('Fixed versions: 7.88.1-10+deb12u4');
    expect(byId['CVE-2023-38545'].properties.tags).toContain('security');
  });

  it('security-severity falls back to the severity scale without a score', () => {
    const r = sampleReport();
    for (const f of r.findings!) f.cvss = [];
    const rules = encode('sarif', r).runs[0].tool.driver.rules;
    const by = Object.fromEntries(rules.map((x: Json) => [x.id, x.properties['security-severity']]));
    expect(by).toMatchObject({ 'CVE-2023-38545': '9.5', 'CVE-2024-2961': '8.0', 'CVE-2024-5535': '5.5', 'CVE-2024-2379': '2.0' });
  });

  it('levels follow the decision; locations are relative image paths with a base id', () => {
    const level = (id: string) => run.results.find((r: Json) => r.ruleId === id).level;
    expect(level('CVE-2023-38545')).toBe('error');
    expect(level('CVE-2024-5535')).toBe('warning');
    expect(level('CVE-2023-45853')).toBe('note');
    const loc = run.results.find((r: Json) => r.ruleId === 'CVE-2021-23337').locations[0].physicalLocation.artifactLocation;
    expect(loc).toEqual({ uri: 'srv/app/node_modules/lodash/package.json', uriBaseId: 'IMAGE_ROOT' });
    for (const r of run.results) {
      expect(r.locations[0].physicalLocation.artifactLocation.uri).not.toMatch(/^\//);
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
    }
  });

  it('partial fingerprints are stable and distinct per finding', () => {
    const fps = run.results.map((r: Json) => r.partialFingerprints['portcullisFinding/v1']);
    expect(new Set(fps).size).toBe(fps.length);
    expect(encode('sarif', sampleReport()).runs[0].results.map((r: Json) => r.partialFingerprints['portcullisFinding/v1'])).toEqual(fps);
  });

  it('carries the decision per result and the verdict per run', () => {
    const r = run.results.find((x: Json) => x.ruleId === 'CVE-2024-2961');
    expect(r.properties.decision).toMatchObject({ action: 'block', rule: 'kev-always-block' });
    expect(r.properties.kev.dateAdded).toBe('2024-05-21');
    expect(run.properties.verdict).toBe('blocked');
    expect(run.properties.decision.imageViolations[0].rule).toBe('no-root-user');
    const ignored = run.results.find((x: Json) => x.ruleId === 'CVE-2023-31484');
    expect(ignored.suppressions[0].justification).toContain('exception CVE-2023-31484');
  });

  it('without a policy, severity sets the level', () => {
    const results = encode('sarif', sampleReport({ noDecision: true })).runs[0].results;
    expect(results.find((r: Json) => r.ruleId === 'CVE-2023-38545').level).toBe('error');
    expect(results.find((r: Json) => r.ruleId === 'CVE-2024-2379').level).toBe('note');
  });
});

describe('CycloneDX content', () => {
  const report = sampleReport();
  const bom = encode('cyclonedx', report);

  it('describes the image as a container with its digest', () => {
    expect(bom.specVersion).toBe('1.6');
    expect(bom.metadata.timestamp).toBe(report.createdAt);
    expect(bom.metadata.component).toMatchObject({ type: 'container', version: report.image.manifestDigest });
    expect(bom.metadata.component.purl).toMatch(/^pkg:oci\/app@sha256(:|%3A)5c1b.*repository_url=registry.example.com%2Fteam%2Fapp/);
    expect(bom.metadata.tools.components[0].name).toBe('portcullis');
  });

  it('one component per package plus the OS, with unique bom-refs and layer properties', () => {
    const libs = bom.components.filter((c: Json) => c.type === 'library');
    expect(libs).toHaveLength(report.packages.length);
    expect(bom.components.filter((c: Json) => c.type === 'operating-system')).toHaveLength(1);
    const refs = bom.components.map((c: Json) => c['bom-ref']);
    expect(new Set(refs).size).toBe(refs.length);
    const curl = libs.find((c: Json) => c.name === 'libcurl4');
    expect(curl.purl).toBe(report.packages.find((p) => p.name === 'libcurl4')!.purl);
    expect(curl.properties).toContainEqual({ name: 'portcullis:layer:index', value: '1' });
    expect(curl.properties).toContainEqual({ name: 'portcullis:package:sourceName', value: 'curl' });
    const perl = libs.find((c: Json) => c.name === 'perl-base');
    expect(perl.licenses).toEqual([{ expression: 'GPL-1.0-or-later OR Artistic-1.0-Perl' }]);
    const libc = libs.find((c: Json) => c.name === 'libc6');
    expect(libc.licenses).toEqual([{ license: { id: 'LGPL-2.1-or-later' } }, { license: { id: 'GPL-2.0-only' } }]);
    const ca = libs.find((c: Json) => c.name === 'ca-certificates');
    expect(ca.licenses).toEqual([{ license: { name: 'GPL-2+' } }, { license: { id: 'MPL-2.0' } }]);
  });

  it('bom-refs stay unique when one purl occurs at two paths', () => {
    const r = sampleReport({ sbom: true });
    r.packages.push({ ...r.packages.at(-1)!, path: '/srv/other/node_modules/lodash/package.json' });
    const refs = encode('cyclonedx', r).components.map((c: Json) => c['bom-ref']);
    expect(new Set(refs).size).toBe(refs.length);
  });

  it('resolves dependsOn by purl and by name', () => {
    const dep = (name: string) => {
      const ref = bom.components.find((c: Json) => c.name === name)['bom-ref'];
      return bom.dependencies.find((d: Json) => d.ref === ref).dependsOn.map((r: string) => bom.components.find((c: Json) => c['bom-ref'] === r).name).sort();
    };
    expect(dep('libcurl4')).toEqual(['libc6', 'libssl3', 'zlib1g']);
    expect(dep('libssl3')).toEqual(['libc6']);
  });

  it('vulnerabilities: ratings by CVSS method, affects refs, analysis from VEX and exceptions', () => {
    const v = Object.fromEntries(bom.vulnerabilities.map((x: Json) => [x.id, x]));
    expect(v['CVE-2023-38545'].ratings).toContainEqual({ source: { name: 'nvd' }, score: 9.8, severity: 'critical', method: 'CVSSv31', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' });
    expect(v['CVE-2024-2379'].ratings.map((r: Json) => r.method)).toEqual(['other', 'CVSSv4']);
    expect(v['CVE-2024-2379'].ratings[0]).toEqual({ source: { name: 'Debian:12' }, severity: 'low', method: 'other' });
    expect(v['CVE-2021-23337'].ratings.map((r: Json) => r.method)).toContain('CVSSv2');
    const refs = new Set(bom.components.map((c: Json) => c['bom-ref']));
    for (const x of bom.vulnerabilities) for (const a of x.affects) expect(refs.has(a.ref)).toBe(true);
    expect(v['CVE-2023-45853'].analysis).toMatchObject({ state: 'not_affected', justification: 'code_not_present' });
    expect(v['CVE-2023-31484'].analysis).toMatchObject({ state: 'exploitable', response: ['will_not_fix'] });
    expect(v['CVE-2023-31484'].analysis.detail).toContain('CPAN is never run');
    // Decided by decide() from OpenVEX: fixed is resolved, under_investigation is in_triage.
    expect(v['CVE-2024-2379'].analysis).toMatchObject({ state: 'resolved' });
    expect(v['CVE-2024-2379'].analysis).not.toHaveProperty('justification');
    expect(v['TEMP-0517018-A83CE6'].analysis).toMatchObject({ state: 'in_triage' });
    expect(v['CVE-2024-2961'].properties).toContainEqual({ name: 'portcullis:kev:dateAdded', value: '2024-05-21' });
    expect(v['CVE-2024-2961'].recommendation).toBe('Upgrade to 2.36-9+deb12u7');
  });

  it('a CycloneDX VEX input keeps its own justification and state through decide()', () => {
    const report = sampleReport();
    const zlib = report.findings!.find((f) => f.id === 'CVE-2023-45853')!;
    const cdxVex = parseVex({
      bomFormat: 'CycloneDX', specVersion: '1.6',
      components: [{ 'bom-ref': 'z', purl: 'pkg:deb/debian/zlib1g' }],
      vulnerabilities: [{ id: zlib.id, analysis: { state: 'false_positive', justification: 'code_not_reachable', detail: 'not linked' }, affects: [{ ref: 'z' }] }],
    }, 'vex.cdx.json');
    const { set } = parsePolicy('apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata:\n  name: p\nspec:\n  rules: []\n', 'p.yaml', 'p.yaml', '/p.yaml');
    report.decision = decide(report, set, { now: new Date('2025-01-20T00:00:00Z'), vex: [cdxVex] });
    const out = encode('cyclonedx', report);
    const z = out.vulnerabilities.find((x: Json) => x.id === zlib.id);
    expect(z.analysis).toMatchObject({ state: 'not_affected', justification: 'code_not_reachable' });
  });

  it('an sbom report has no vulnerabilities array', () => {
    expect(encode('cyclonedx', sampleReport({ sbom: true }))).not.toHaveProperty('vulnerabilities');
    expect(encode('cyclonedx', { ...sampleReport(), findings: [] }).vulnerabilities).toEqual([]);
  });
});

describe('SPDX content', () => {
  const report = sampleReport({ sbom: true });
  const doc = encode('spdx', report);

  it('has no $schema key, a deterministic namespace and the image described', () => {
    expect(doc).not.toHaveProperty('$schema');
    expect(doc.SPDXID).toBe('SPDXRef-DOCUMENT');
    expect(encode('spdx', sampleReport({ sbom: true })).documentNamespace).toBe(doc.documentNamespace);
    const other = sampleReport({ sbom: true });
    other.image.manifestDigest = 'sha256:' + '1'.repeat(64);
    expect(encode('spdx', other).documentNamespace).not.toBe(doc.documentNamespace);
    expect(doc.creationInfo.created).toBe('2025-01-20T10:11:12Z');
    const describes = doc.relationships.filter((r: Json) => r.relationshipType === 'DESCRIBES');
    expect(describes).toHaveLength(1);
    const image = doc.packages.find((p: Json) => p.SPDXID === describes[0].relatedSpdxElement);
    expect(image.primaryPackagePurpose).toBe('CONTAINER');
  });

  it('one package per Package with purl refs, unique sanitised ids, CONTAINS and DEPENDS_ON', () => {
    expect(doc.packages).toHaveLength(report.packages.length + 1);
    const ids = doc.packages.map((p: Json) => p.SPDXID);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    const contains = doc.relationships.filter((r: Json) => r.relationshipType === 'CONTAINS');
    expect(contains).toHaveLength(report.packages.length);
    const zlib = doc.packages.find((p: Json) => p.name === 'zlib1g');
    expect(zlib.externalRefs[0]).toEqual({ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: report.packages.find((p) => p.name === 'zlib1g')!.purl });
    expect(zlib.licenseDeclared).toBe('Zlib');
    const libc = doc.packages.find((p: Json) => p.name === 'libc6');
    expect(doc.relationships).toContainEqual({ spdxElementId: zlib.SPDXID, relationshipType: 'DEPENDS_ON', relatedSpdxElement: libc.SPDXID });
  });

  it('free-text licenses become LicenseRefs with their text extracted', () => {
    const ca = doc.packages.find((p: Json) => p.name === 'ca-certificates');
    expect(ca.licenseDeclared).toBe('LicenseRef-GPL-2 AND MPL-2.0');
    expect(doc.hasExtractedLicensingInfos).toContainEqual({ licenseId: 'LicenseRef-GPL-2', extractedText: 'GPL-2+', name: 'GPL-2+' });
  });

  it('the same id-worthy name twice still gets unique ids', () => {
    const r = sampleReport({ sbom: true });
    r.packages.push({ ...r.packages[0]!, path: '/other' }, { ...r.packages[0]!, name: 'libc6!', path: '/x' });
    const ids = encode('spdx', r).packages.map((p: Json) => p.SPDXID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('decision keys in the sample are real finding keys (sanity of the fixture)', () => {
    const r = sampleReport();
    for (const f of r.findings!) expect(r.decision!.byFinding[findingKey(f)]).toBeDefined();
  });
});

describe('an SBOM says which package files were not read, and reading it back keeps them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-sbom-unread-'));
  const read = async (name: string, doc: Json) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(doc));
    return { file, input: await readSbomFile(file) };
  };
  const perSbom = (u: UnreadFile) => ({ ...u, reason: `${u.reason} (per the SBOM)` });

  it('CycloneDX: the BOM is incomplete, one property per file; SPDX: one annotation per file', async () => {
    const report = { ...sampleReport({ sbom: true }), unread: UNREAD };
    const cdx = encode('cyclonedx', report);
    expect(cdx.compositions).toEqual([{ aggregate: 'incomplete', assemblies: [cdx.metadata.component['bom-ref']] }]);
    expect((await read('a.cdx.json', cdx)).input.unread).toEqual(UNREAD.map(perSbom));
    const spdx = encode('spdx', report);
    expect(spdx.annotations).toHaveLength(2);
    expect((await read('a.spdx.json', spdx)).input.unread).toEqual(UNREAD.map(perSbom));
    // A scan report carries its coverage's list, without the policy's acceptance.
    const scanned = sampleReport();
    scanned.coverage = { complete: true, ecosystems: [], unread: [{ ...UNREAD[0]!, accepted: { by: 'policy', source: 'p.yaml', reason: 'known' } }], unchecked: [] };
    expect((await read('s.cdx.json', encode('cyclonedx', scanned))).input.unread).toEqual([perSbom(UNREAD[0]!)]);
  });

  it('nothing unread: no compositions, no annotations, nothing read back', async () => {
    const cdx = encode('cyclonedx', sampleReport({ sbom: true }));
    expect(cdx).not.toHaveProperty('compositions');
    expect((await read('b.cdx.json', cdx)).input.unread).toEqual([]);
    const spdx = encode('spdx', sampleReport({ sbom: true }));
    expect(spdx).not.toHaveProperty('annotations');
    expect((await read('b.spdx.json', spdx)).input.unread).toEqual([]);
  });

  it("another producer's `incomplete` BOM, and a damaged mark, are gaps too (never dropped)", async () => {
    const cdx = encode('cyclonedx', sampleReport({ sbom: true }));
    const third = await read('c.cdx.json', { ...cdx, compositions: [{ aggregate: 'incomplete' }] });
    expect(third.input.unread).toEqual([expect.objectContaining({ path: third.file, cataloger: 'sbom', code: 'incomplete' })]);
    const damaged = await read('d.cdx.json', { ...cdx, metadata: { ...cdx.metadata, properties: [{ name: 'portcullis:unread', value: '{not json' }] } });
    expect(damaged.input.unread).toEqual([expect.objectContaining({ path: damaged.file, cataloger: 'sbom', code: 'error' })]);
    rmSync(dir, { recursive: true, force: true });
  });
});

// `--format gitlab`: GitLab's container-scanning report. Validated against the real schema file when
// PORTCULLIS_GITLAB_SCHEMA names it (no npm package ships it; it is never copied into the project),
// and always against the schema's rules written out as checks (gitlab-schema-facts.ts).
import { existsSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { computeCoverage } from '../../src/match/coverage.js';
import type { EcosystemData } from '../../src/model/coverage.js';
import type { Report } from '../../src/model/report.js';
import { acceptCoverage } from '../../src/policy/coverage.js';
import { GITLAB_SCHEMA_VERSION, gitlabCvssVector, gitlabImageName, imageRepository } from '../../src/report/gitlab.js';
import { encoderFor } from '../../src/report/index.js';
import { URL_NAMESPACE, uuidV5 } from '../../src/report/uuid.js';
import { gitlabFactErrors } from './gitlab-schema-facts.js';
import { hostileReport, hugeReport, sampleReport } from './sample-report.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SCHEMA_PATH = process.env.PORTCULLIS_GITLAB_SCHEMA;
const HAVE_SCHEMA = SCHEMA_PATH !== undefined && existsSync(SCHEMA_PATH);
if (!HAVE_SCHEMA) {
  console.warn(`[portcullis tests] PORTCULLIS_GITLAB_SCHEMA ${SCHEMA_PATH ? `(${SCHEMA_PATH}) does not exist` : 'is not set'}: ` +
    'the GitLab report is checked against the schema facts only, not the schema file (container-scanning-report-format.json of security-report-schemas)');
}

function encode(report: Report): Json {
  return JSON.parse(encoderFor('gitlab').encode(report)) as Json;
}

/** The sample plus an npm package whose ecosystem the data lacks, and an unread OS package db. */
function incomplete(accept = false): Report {
  const r = sampleReport();
  const data = new Map<string, EcosystemData>([['Debian:12', { records: 1234, sources: ['osv:Debian'], dataDate: '2026-12-05T10:00:00Z' }]]);
  const raw = computeCoverage({
    packages: r.packages, os: r.os, data,
    unread: [{ path: '/var/lib/rpm/rpmdb.sqlite', cataloger: 'rpm-db', kind: 'os-pkgdb', code: 'too-large', reason: 'over the 64 MiB limit' }],
  });
  r.coverage = accept ? acceptCoverage(raw, undefined, { allowUncovered: true }) : raw;
  return r;
}

const variants: Record<string, () => Report> = {
  scan: () => sampleReport(),
  sbom: () => sampleReport({ sbom: true }),
  'no decision': () => sampleReport({ noDecision: true }),
  hostile: () => hostileReport(),
  'empty scan': () => ({ ...sampleReport(), findings: [], packages: [] }),
  incomplete: () => incomplete(),
  'accepted gaps': () => incomplete(true),
  'no OS, no tags': () => ({ ...sampleReport(), os: undefined, image: { ...sampleReport().image, tags: [], repository: undefined } }),
  big: () => hugeReport(600),
};

describe.skipIf(!HAVE_SCHEMA)(`the GitLab container-scanning schema file (${SCHEMA_PATH ?? 'unset'})`, () => {
  const schema = HAVE_SCHEMA ? (JSON.parse(readFileSync(SCHEMA_PATH!, 'utf8')) as Json) : {};
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
  const errorsOf = (doc: unknown) => (validate(doc) ? [] : (validate.errors ?? []).slice(0, 10).map((e) => `${e.instancePath} ${e.message}`));

  it('is the version the reports declare', () => {
    expect(schema.self?.version).toBe(GITLAB_SCHEMA_VERSION);
  });
  for (const [name, make] of Object.entries(variants)) {
    it(`validates: ${name}`, () => {
      expect(errorsOf(encode(make()))).toEqual([]);
    });
  }
  it('the validator does reject broken reports (it can fail)', () => {
    const doc = encode(sampleReport());
    doc.scan.start_time = '2025-01-20T10:11:12.000Z';
    doc.vulnerabilities[0].severity = 'CRITICAL';
    delete doc.vulnerabilities[1].location.image;
    doc.vulnerabilities[2].cvss_vectors = [{ vendor: 'nvd', vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N' }];
    expect(errorsOf(doc).length).toBeGreaterThanOrEqual(4);
  });
});

describe('the schema rules, written out', () => {
  for (const [name, make] of Object.entries(variants)) {
    it(`hold: ${name}`, () => {
      expect(gitlabFactErrors(encode(make()))).toEqual([]);
    });
  }
  it('the checks do fail on broken reports', () => {
    const doc = encode(sampleReport());
    doc.scan.end_time = '2025-01-20 10:11:12';
    doc.vulnerabilities[0].identifiers = [];
    doc.vulnerabilities[1].location.operating_system = '';
    doc.vulnerabilities[2].severity = 'critical';
    expect(gitlabFactErrors(doc)).toEqual(expect.arrayContaining([
      'scan times are YYYY-MM-DDThh:mm:ss', 'identifiers: at least one', 'location.operating_system non-empty', 'severity in the enum',
    ]));
  });
});

describe('GitLab report content', () => {
  const report = sampleReport();
  const doc = encode(report);
  const byName = (n: string) => doc.vulnerabilities.filter((v: Json) => v.name === n);

  it('declares the schema version and the scan', () => {
    expect(doc.version).toBe('15.2.1');
    expect(doc.schema).toContain('/v15.2.1/dist/container-scanning-report-format.json');
    expect(doc.scan).toMatchObject({
      type: 'container_scanning', status: 'success', start_time: '2025-01-20T10:11:12', end_time: '2025-01-20T10:11:12',
      analyzer: { id: 'portcullis', version: '0.1.0', vendor: { name: 'portcullis' } },
      scanner: { id: 'portcullis', name: 'portcullis' },
    });
    expect(doc.scan.messages[0]).toEqual({ level: 'info', value: expect.stringMatching(/^portcullis 0\.1\.0: BLOCKED: /) });
  });

  it('one vulnerability per finding, with location, severity and identifiers', () => {
    expect(doc.vulnerabilities).toHaveLength(report.findings!.length);
    const [curl] = byName('CVE-2023-38545');
    expect(curl.severity).toBe('Critical');
    expect(curl.location).toEqual({
      dependency: { package: { name: 'libcurl4' }, version: '7.88.1-10+deb12u5' },
      operating_system: 'Debian GNU/Linux 12 (bookworm)',
      image: 'registry.example.com/team/app:1.4.2',
    });
    expect(curl.identifiers).toEqual([
      { type: 'cve', name: 'CVE-2023-38545', value: 'CVE-2023-38545', url: 'https://nvd.nist.gov/vuln/detail/CVE-2023-38545' },
      { type: 'osv', name: 'DEBIAN-CVE-2023-38545', value: 'DEBIAN-CVE-2023-38545', url: 'https://osv.dev/vulnerability/DEBIAN-CVE-2023-38545' },
    ]);
    expect(curl.solution).toBe('Upgrade libcurl4 from 7.88.1-10+deb12u5 to 7.88.1-10+deb12u4 or later.');
    expect(curl.cvss_vectors).toEqual([{ vendor: 'nvd', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }]);
    expect(curl.details.layer.value).toMatch(/^1: RUN /);
  });

  it('severities map to the schema enum', () => {
    const sev = Object.fromEntries(report.findings!.map((f) => [f.severity, byName(f.id)[0].severity]));
    expect(sev).toMatchObject({ CRITICAL: 'Critical', HIGH: 'High', MEDIUM: 'Medium', LOW: 'Low' });
  });

  it('no solution without a fix; CVSS 4.0 vectors are left out (the schema takes v2 and v3.x), v2 kept', () => {
    const [perl] = byName('CVE-2023-31484');
    expect(perl.solution).toBeUndefined();
    expect(perl.description).toContain('no fixed version yet');
    const [curlLow] = byName('CVE-2024-2379');
    expect(curlLow.cvss_vectors).toBeUndefined();
    const [lodash] = byName('CVE-2021-23337');
    expect(lodash.cvss_vectors.map((c: Json) => c.vector)).toEqual(['CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H', 'AV:N/AC:L/Au:S/C:P/I:P/A:P']);
    expect(lodash.location.operating_system).toBe('Debian GNU/Linux 12 (bookworm)');
  });

  it('CVSS vectors outside the schema patterns are dropped', () => {
    expect(gitlabCvssVector({ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q', score: 1, source: 'x' })).toBeUndefined();
    expect(gitlabCvssVector({ version: '3.0', vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F', score: 1, source: 'x' })).toBe('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F');
    expect(gitlabCvssVector({ version: '2.0', vector: '(AV:N/AC:L/Au:N/C:P/I:P/A:P)', score: 1, source: 'x' })).toBe('AV:N/AC:L/Au:N/C:P/I:P/A:P');
    expect(gitlabCvssVector({ version: '2.0', vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:X', score: 1, source: 'x' })).toBeUndefined();
  });

  it('a finding the policy ignores is flagged, with what ignored it', () => {
    const ignored = report.findings!.filter((f) => f.action === 'ignore' || report.decision!.byFinding[`${f.id}|${f.package.purl}|${f.package.path}`]?.action === 'ignore');
    expect(ignored.length).toBeGreaterThan(0);
    for (const f of ignored) {
      const v = doc.vulnerabilities.find((x: Json) => x.name === f.id && x.location.dependency.package.name === f.package.name);
      expect(v.flags).toEqual([{ type: 'flagged-as-likely-false-positive', origin: 'portcullis', description: expect.stringMatching(/^ignored by policy: ignore \(/) }]);
    }
    expect(doc.vulnerabilities.filter((v: Json) => v.flags).length).toBe(ignored.length);
  });
});

describe('finding ids: stable across pipelines, distinct across findings', () => {
  it('uuidV5 matches the RFC 9562 example (DNS namespace, www.example.com)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(uuidV5('x', URL_NAMESPACE)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('imageRepository drops the tag and digest, not a registry port', () => {
    expect(imageRepository('registry.example.com:5000/team/app:1.4.2')).toBe('registry.example.com:5000/team/app');
    expect(imageRepository('registry.example.com:5000/team/app@sha256:abcd')).toBe('registry.example.com:5000/team/app');
    expect(imageRepository('app')).toBe('app');
  });

  it('the image GitLab shows: a full reference, a bare ref name only with its repository, else the source', () => {
    const r = sampleReport();
    expect(gitlabImageName(r)).toBe('registry.example.com/team/app:1.4.2');
    expect(gitlabImageName({ ...r, image: { ...r.image, tags: ['v1'], repository: 'example.com/app' } })).toBe('example.com/app:v1');
    expect(gitlabImageName({ ...r, image: { ...r.image, tags: ['v1'], repository: undefined, source: '/builds/x/app.oci.tar' } })).toBe('/builds/x/app.oci.tar');
  });

  it('the same image repository, package and advisory give the same id in another pipeline', () => {
    const a = encode(sampleReport());
    const next = sampleReport();
    next.createdAt = '2026-03-01T00:00:00.000Z';
    next.image = { ...next.image, tags: ['registry.example.com/team/app:1.4.3'], manifestDigest: 'sha256:0000000000000000000000000000000000000000000000000000000000000001' };
    const b = encode(next);
    const ids = (d: Json) => Object.fromEntries(d.vulnerabilities.map((v: Json) => [`${v.name}|${v.location.dependency.package.name}`, v.id]));
    expect(ids(b)).toEqual(ids(a));
    const ws = new Set(a.vulnerabilities.map((v: Json) => v.id));
    expect(ws.size).toBe(a.vulnerabilities.length);
  });

  it('another image repository gives other ids', () => {
    const other = sampleReport();
    other.image = { ...other.image, tags: ['registry.example.com/team/other:1.4.2'] };
    const a = new Set(encode(sampleReport()).vulnerabilities.map((v: Json) => v.id));
    for (const v of encode(other).vulnerabilities) expect(a.has(v.id)).toBe(false);
  });

  it('two installed versions of one package (two kernels) get distinct ids', () => {
    const r = sampleReport({ noDecision: true });
    const f = r.findings!.find((x) => x.id === 'CVE-2023-38545')!;
    r.findings!.push({ ...f, package: { ...f.package, version: '7.88.1-10+deb12u6', purl: `${f.package.purl}-other` } });
    const ids = encode(r).vulnerabilities.filter((v: Json) => v.name === 'CVE-2023-38545').map((v: Json) => v.id);
    expect(new Set(ids).size).toBe(2);
  });

  it('findings alike in everything the id is made of still get distinct ids', () => {
    const r = sampleReport({ noDecision: true });
    const f = r.findings!.find((x) => x.id === 'CVE-2023-38545')!;
    r.findings!.push({ ...f, package: { ...f.package, purl: `${f.package.purl}&x=1` } });
    const all = encode(r).vulnerabilities.map((v: Json) => v.id);
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('what was not checked is visible to GitLab', () => {
  it('an incomplete scan is a failure, each gap a fatal message', () => {
    const doc = encode(incomplete());
    expect(doc.scan.status).toBe('failure');
    const fatal = doc.scan.messages.filter((m: Json) => m.level === 'fatal').map((m: Json) => m.value);
    expect(fatal).toEqual(expect.arrayContaining([
      expect.stringMatching(/^npm 1 package: NO-DATA/),
      expect.stringMatching(/^OS package database \/var\/lib\/rpm\/rpmdb\.sqlite NOT READ \(too-large/),
    ]));
    expect(doc.scan.messages[0].value).toMatch(/INCOMPLETE/);
    expect(doc.vulnerabilities.length).toBe(sampleReport().findings!.length);
  });

  it('accepted gaps are warnings and the scan a success', () => {
    const doc = encode(incomplete(true));
    expect(doc.scan.status).toBe('success');
    expect(doc.scan.messages.filter((m: Json) => m.level === 'fatal')).toEqual([]);
    expect(doc.scan.messages.filter((m: Json) => m.level === 'warn').map((m: Json) => m.value)).toEqual(expect.arrayContaining([expect.stringMatching(/accepted by --allow-uncovered/)]));
  });

  it('an inventory without matching is a failure, never an empty success', () => {
    const doc = encode(sampleReport({ sbom: true }));
    expect(doc.scan.status).toBe('failure');
    expect(doc.vulnerabilities).toEqual([]);
    expect(doc.scan.messages.some((m: Json) => m.level === 'fatal' && /no package was matched/.test(m.value))).toBe(true);
  });

  it('messages stay bounded, fatal ones kept', () => {
    const r = incomplete();
    r.coverage!.unread = Array.from({ length: 500 }, (_, i) => ({ path: `/x/${i}/status`, cataloger: 'dpkg', kind: 'os-pkgdb' as const, code: 'malformed', reason: 'no stanza' }));
    const doc = encode(r);
    expect(doc.scan.messages.length).toBeLessThanOrEqual(200);
    expect(doc.scan.messages.at(-1).value).toMatch(/more messages are in the full report/);
    expect(doc.scan.status).toBe('failure');
  });
});

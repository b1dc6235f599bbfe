import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findingKey } from '../../src/model/finding.js';
import { commonLayerPrefix, decide, findingContext, imageContext, loadBaseline, loadIgnoreFile, loadPolicies } from '../../src/policy/index.js';
import { ansiRegex, apt, expat, finding, nghttp2, openssl, pkg, report } from './builders.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-decide-'));
let n = 0;
function policy(spec: string): string {
  const file = join(dir, `p${n++}.yaml`);
  writeFileSync(file, `apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata:\n  name: p${n}\nspec:\n${spec}`);
  return file;
}
const NOW = new Date('2025-06-01T00:00:00Z');

describe('decide', () => {
  it('default policy: CRITICAL/HIGH/KEV block, the rest warn, each naming its rule', async () => {
    const r = report([expat, nghttp2, openssl, apt]);
    const d = decide(r, await loadPolicies('default'), { now: NOW });
    expect(d.blocked).toBe(true);
    expect(d.policies).toEqual(['builtin:default']);
    expect(d.byFinding[findingKey(expat)]).toMatchObject({ action: 'block', decidedBy: 'rule', rule: 'block-critical-high', source: 'builtin:default' });
    expect(d.byFinding[findingKey(nghttp2)]).toMatchObject({ action: 'block', rule: 'block-kev' });
    expect(d.byFinding[findingKey(openssl)]).toMatchObject({ action: 'warn', rule: 'warn-rest' });
    expect(d.counts).toEqual({ block: 2, warn: 2, ignore: 0 });
  });

  it('no rule matches: default warn; policies none never blocks', async () => {
    const d = decide(report([expat]), await loadPolicies('none'), { now: NOW });
    expect(d.blocked).toBe(false);
    expect(d.byFinding[findingKey(expat)]).toMatchObject({ action: 'warn', decidedBy: 'default', rule: 'default' });
  });

  it('first match wins in file order, files in the order given', async () => {
    const a = policy('  rules:\n    - id: ignore-apt\n      action: ignore\n      when: {package.name: apt}\n');
    const b = policy('  rules:\n    - id: block-all\n      action: block\n      when: true\n    - id: never-reached\n      action: warn\n      when: true\n');
    const d = decide(report([apt, openssl]), await loadPolicies([a, b]), { now: NOW });
    expect(d.byFinding[findingKey(apt)]).toMatchObject({ action: 'ignore', rule: 'ignore-apt', source: a });
    expect(d.byFinding[findingKey(openssl)]).toMatchObject({ action: 'block', rule: 'block-all', source: b });
    const reversed = decide(report([apt]), await loadPolicies([b, a]), { now: NOW });
    expect(reversed.byFinding[findingKey(apt)]!.rule).toBe('block-all');
  });

  it('a rule using every context field matches exactly the finding it describes', async () => {
    const file = policy(`  rules:
    - id: everything
      action: block
      when:
        severity: HIGH
        severitySource: vendor
        status: fixed
        fixAvailable: true
        fixedVersions: "3.0.1"
        cvss.score: {gte: 7.5}
        cvss.version: "3.1"
        cvss.vector: {startsWith: "CVSS:3.1/"}
        kev: true
        kevDueDate: "2023-10-31"
        epss: {gte: 0.5}
        epss.percentile: {gt: 0.99}
        package.name: ansi-regex
        package.version: {matches: "^3\\\\."}
        package.type: [npm, pypi]
        package.ecosystem: npm
        package.purl: {startsWith: "pkg:npm/ansi-regex@"}
        package.path: {endsWith: /package.json}
        package.sourceName: ansi-regex
        package.dev: true
        layer.index: 2
        layer.base: false
        layer.digest: {startsWith: "sha256:"}
        layer.createdBy: {contains: npm ci}
        publishedAgeDays: {gte: 1000, lt: 1400}
        id: GHSA-93q8-gq69-wqmw
        aliases: {startsWith: GHSA-}
        ids: [CVE-2021-3807]
`);
    const policies = await loadPolicies([file]);
    const target = { ...ansiRegex, cvss: [{ version: '3.1' as const, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', score: 7.5, source: 'nvd' }], kev: { dateAdded: '2021-11-03', dueDate: '2023-10-31' }, epss: { score: 0.6, percentile: 0.995 } };
    const ctx = findingContext(target, { now: NOW, baseLayerCount: 1 });
    expect(ctx.publishedAgeDays).toBe(1352);
    expect(ctx.layer).toMatchObject({ index: 2, base: false });
    expect(policies.rules[0]!.test(ctx)).toBe(true);
    // Change any one field and it no longer matches.
    const variants = [
      { ...target, severity: 'CRITICAL' as const },
      { ...target, kev: undefined },
      { ...target, epss: { score: 0.4, percentile: 0.995 } },
      { ...target, package: { ...target.package, dev: false } },
      { ...target, aliases: [] },
      { ...target, published: '2025-01-01T00:00:00Z' },
    ];
    for (const v of variants) expect(policies.rules[0]!.test(findingContext(v, { now: NOW, baseLayerCount: 1 }))).toBe(false);
    expect(policies.rules[0]!.test(findingContext(target, { now: NOW, baseLayerCount: 3 }))).toBe(false);
  });

  it('base layers come from baseLayerCount; without it layer.base is false', async () => {
    const file = policy('  rules:\n    - id: base-warn\n      action: warn\n      when: {layer.base: true}\n    - id: app-block\n      action: block\n      when: {severity: [CRITICAL, HIGH]}\n');
    const policies = await loadPolicies([file]);
    const r = report([expat, ansiRegex]); // expat in layer 0, ansi-regex in layer 2
    const known = decide(r, policies, { now: NOW, baseLayerCount: 1 });
    expect(known.byFinding[findingKey(expat)]!.rule).toBe('base-warn');
    expect(known.byFinding[findingKey(ansiRegex)]!.rule).toBe('app-block');
    const unknown = decide(r, policies, { now: NOW });
    expect(unknown.byFinding[findingKey(expat)]!.rule).toBe('app-block');
    expect(commonLayerPrefix(['sha256:a', 'sha256:b', 'sha256:c'], ['sha256:a', 'sha256:b'])).toBe(2);
    expect(commonLayerPrefix(['sha256:a', 'sha256:x'], ['sha256:a', 'sha256:b'])).toBe(1);
  });

  it('limits block when exceeded and say which findings they counted', async () => {
    const file = policy('  rules:\n    - id: warn-all\n      action: warn\n      when: true\n  limits:\n    - id: max-2-high-fixable\n      description: at most 2 HIGH with a fix\n      max: 2\n      when: {severity: HIGH, fixAvailable: true}\n');
    const policies = await loadPolicies([file]);
    const highs = ['CVE-2023-38545', 'CVE-2023-38546', 'CVE-2024-2398'].map((id) => finding(id, 'HIGH', pkg('deb', 'libcurl4', '7.88.1-10+deb12u3'), { fixedVersions: ['7.88.1-10+deb12u5'] }));
    const two = decide(report(highs.slice(0, 2)), policies, { now: NOW });
    expect(two.blocked).toBe(false);
    expect(two.limitViolations).toEqual([]);
    const three = decide(report([...highs, openssl]), policies, { now: NOW });
    expect(three.blocked).toBe(true);
    expect(three.limitViolations).toEqual([{ rule: 'max-2-high-fixable', action: 'block', message: '3 findings match limit max-2-high-fixable (at most 2): at most 2 HIGH with a fix', source: file }]);
    expect(three.byFinding[findingKey(highs[0]!)]).toMatchObject({ action: 'block', decidedBy: 'limit', rule: 'max-2-high-fixable' });
    expect(three.byFinding[findingKey(openssl)]).toMatchObject({ action: 'warn', rule: 'warn-all' });
  });

  it('exceptions suppress until they expire, then block again and are reported', async () => {
    const file = policy(`  exceptions:
    - id: GHSA-qppj-fm5r-hxr3
      package: libnghttp2-14
      reason: rapid reset needs an HTTP/2 server; none runs here
      owner: platform@example.com
      expires: "2025-07-01"
    - id: CVE-2024-45490
      purl: pkg:deb/debian/libexpat1?distro=debian-12
      reason: expat only parses our own config
      expires: "2025-06-01"
`);
    const policies = await loadPolicies(['builtin:default', file]);
    const r = report([nghttp2, expat]);
    const before = decide(r, policies, { now: new Date('2025-05-31T23:59:59Z') });
    expect(before.blocked).toBe(false);
    expect(before.byFinding[findingKey(nghttp2)]).toMatchObject({ action: 'ignore', decidedBy: 'exception', rule: 'GHSA-qppj-fm5r-hxr3', source: `${file}:7` });
    expect(before.byFinding[findingKey(nghttp2)]!.reason).toContain('rapid reset needs an HTTP/2 server; none runs here (until 2025-07-01; owner platform@example.com)');
    expect(before.byFinding[findingKey(expat)]).toMatchObject({ action: 'ignore', decidedBy: 'exception' });
    expect(before.expiredExceptions).toEqual([]);

    const on = decide(r, policies, { now: NOW });
    expect(on.blocked).toBe(true);
    expect(on.byFinding[findingKey(expat)]).toMatchObject({ action: 'block', rule: 'block-critical-high' });
    expect(on.byFinding[findingKey(expat)]!.reason).toContain(`exception CVE-2024-45490 (${file}:12) expired on 2025-06-01`);
    expect(on.expiredExceptions).toEqual([{ id: 'CVE-2024-45490', expires: '2025-06-01', reason: 'expat only parses our own config', owner: undefined, source: `${file}:12` }]);
    expect(on.byFinding[findingKey(nghttp2)]!.action).toBe('ignore');
  });

  it('exception scope: another package or version is not covered', async () => {
    const file = policy('  exceptions:\n    - id: CVE-2021-3807\n      purl: pkg:npm/ansi-regex\n      version: 3.0.0\n      reason: build-time only\n      expires: "2030-01-01"\n');
    const policies = await loadPolicies(['builtin:default', file]);
    const other = finding('CVE-2021-3807', 'HIGH', pkg('npm', 'ansi-regex', '4.1.0'));
    const d = decide(report([ansiRegex, other]), policies, { now: NOW });
    expect(d.byFinding[findingKey(ansiRegex)]!.action).toBe('ignore');
    expect(d.byFinding[findingKey(other)]!.action).toBe('block');
  });

  it('ignore file: ids, exp: dates, comments', async () => {
    const file = join(dir, '.trivyignore');
    writeFileSync(file, '# accepted risks\nCVE-2024-45490 exp:2025-09-01\n\nGHSA-qppj-fm5r-hxr3   exp:2025-05-01 # expired\nCVE-2011-3374\n');
    const ignore = await loadIgnoreFile(file);
    expect(ignore.map((e) => [e.id, e.expires, e.line])).toEqual([['CVE-2024-45490', '2025-09-01', 2], ['GHSA-qppj-fm5r-hxr3', '2025-05-01', 4], ['CVE-2011-3374', undefined, 5]]);
    const d = decide(report([expat, nghttp2, apt]), await loadPolicies('default'), { now: NOW, ignore });
    expect(d.byFinding[findingKey(expat)]).toMatchObject({ action: 'ignore', decidedBy: 'ignorefile', source: `${file}:2` });
    expect(d.byFinding[findingKey(nghttp2)]).toMatchObject({ action: 'block', rule: 'block-kev' });
    expect(d.byFinding[findingKey(apt)]!.action).toBe('ignore');
    expect(d.expiredExceptions).toEqual([{ id: 'GHSA-qppj-fm5r-hxr3', expires: '2025-05-01', source: `${file}:4` }]);
    writeFileSync(file, 'CVE-2024-45490 exp:2025-13-01\n');
    await expect(loadIgnoreFile(file)).rejects.toThrow(`${file}:1:20: the exp: value is not a date (YYYY-MM-DD)`);
  });

  it('baseline: pre-existing findings (also after a version bump) cannot block, new ones can', async () => {
    const oldExpat = { ...expat, package: { ...expat.package, version: '2.5.0-1', purl: 'pkg:deb/debian/libexpat1@2.5.0-1?arch=amd64&distro=debian-12' } };
    const baseFile = join(dir, 'baseline.json');
    writeFileSync(baseFile, JSON.stringify(report([oldExpat, openssl])));
    const baseline = await loadBaseline(baseFile);
    const bumped = { ...expat, package: { ...expat.package, version: '2.5.0-1+deb12u0', purl: 'pkg:deb/debian/libexpat1@2.5.0-1%2Bdeb12u0?arch=amd64&distro=debian-12' } };
    const d = decide(report([bumped, nghttp2, openssl]), await loadPolicies('default'), { now: NOW, baseline });
    expect(d.byFinding[findingKey(bumped)]).toMatchObject({ action: 'warn', decidedBy: 'baseline', rule: 'block-critical-high', preExisting: true });
    expect(d.byFinding[findingKey(openssl)]).toMatchObject({ action: 'warn', preExisting: true });
    expect(d.byFinding[findingKey(nghttp2)]).toMatchObject({ action: 'block', rule: 'block-kev' });
    expect(d.byFinding[findingKey(nghttp2)]!.preExisting).toBeUndefined();
    expect(d.blocked).toBe(true);
    writeFileSync(baseFile, '{"packages": []}');
    await expect(loadBaseline(baseFile)).rejects.toThrow(/not a portcullis scan report/);
  });

  it('image rules: strict policy on a root image with a secret ENV and a stale DB', async () => {
    const r = report([], {
      user: '',
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE'],
      labels: { 'org.opencontainers.image.base.name': 'docker.io/library/debian:bookworm' },
    }, { db: { location: 'file:/var/cache/portcullis/db.sqlite', updatedAt: '2025-05-25T00:00:00Z', sources: [] } });
    const ctx = imageContext(r, { now: NOW });
    expect(ctx).toMatchObject({ runsAsRoot: true, registry: 'registry.example.com', base: { name: 'docker.io/library/debian:bookworm', registry: 'docker.io' }, db: { ageHours: 168 } });
    const d = decide(r, await loadPolicies(['builtin:strict']), { now: NOW });
    expect(d.blocked).toBe(true);
    expect(d.imageViolations.map((v) => v.rule)).toEqual(['no-root-user', 'no-secrets-in-env', 'db-stale']);
    expect(d.imageViolations[0]).toMatchObject({ action: 'block', source: 'builtin:strict' });
  });

  it('image rules with json-logic helpers over history and labels', async () => {
    const file = policy(`  image:
    - id: no-curl-pipe-sh
      description: history pipes a download into a shell
      action: warn
      when: {some: [{var: history}, {matches: [{var: ""}, "curl[^|]*\\\\|\\\\s*(ba)?sh"]}]}
    - id: base-from-dockerhub
      action: warn
      when: {"==": [{var: base.registry}, docker.io]}
    - id: needs-source-label
      action: block
      when: {"!": [{get: [{var: labels}, org.opencontainers.image.source]}]}
`);
    const policies = await loadPolicies([file]);
    const r = report([], {
      user: 'node',
      history: [{ createdBy: 'RUN /bin/sh -c curl -fsSL https://deb.nodesource.com/setup_20.x | bash -', emptyLayer: false }],
      labels: { 'org.opencontainers.image.base.name': 'node:20-bookworm' },
    });
    const d = decide(r, policies, { now: NOW });
    expect(d.imageViolations.map((v) => v.rule)).toEqual(['no-curl-pipe-sh', 'base-from-dockerhub', 'needs-source-label']);
    expect(d.blocked).toBe(true);
    const labelled = report([], { user: 'node', labels: { 'org.opencontainers.image.source': 'https://github.com/example/app', 'org.opencontainers.image.base.name': 'ghcr.io/example/base:1' } });
    const ok = decide(labelled, policies, { now: NOW });
    expect(ok.imageViolations).toEqual([]);
    expect(ok.blocked).toBe(false);
  });
});

// Policy decision speed: 10,000 findings x 50 rules must decide in <= 100 ms.
// Run: node --import tsx bench/policy.ts
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding, Severity } from '../src/model/finding.js';
import { REPORT_SCHEMA_VERSION, type Report } from '../src/model/report.js';
import { decide, loadPolicies } from '../src/policy/index.js';

const FINDINGS = 10_000;
const RULES = 50;
const SEVERITIES: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];

// 49 rules that rarely match (so most findings are tested against all of them), then a catch-all.
const rules: string[] = [];
for (let i = 0; i < RULES - 1; i++) {
  const kind = i % 5;
  const when =
    kind === 0 ? `{severity: [CRITICAL], package.name: pkg-nomatch-${i}}`
    : kind === 1 ? `{and: [{">=": [{var: cvss.score}, 9.9]}, {"==": [{var: package.type}, gem]}]}`
    : kind === 2 ? `{epss: {gte: 0.99}, fixAvailable: true, layer.base: false}`
    : kind === 3 ? `{id: [CVE-1999-${String(i).padStart(4, '0')}], package.type: [npm, pypi]}`
    : `{startsWith: [{var: package.purl}, "pkg:cargo/nomatch-${i}"]}`;
  rules.push(`    - id: r${i}\n      action: block\n      when: ${when}`);
}
rules.push('    - id: catch-all\n      action: warn\n      when: true');
const policyYaml = `apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: bench}\nspec:\n  rules:\n${rules.join('\n')}\n  limits:\n    - id: high-fixable\n      max: 5\n      when: {severity: HIGH, fixAvailable: true}\n`;

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
const file = join(dir, 'bench.yaml');
writeFileSync(file, policyYaml);
const policies = await loadPolicies([file]);
rmSync(dir, { recursive: true });

const findings: Finding[] = Array.from({ length: FINDINGS }, (_, i) => {
  const layer = { index: i % 6, digest: `sha256:${'a'.repeat(64)}`, diffId: `sha256:${'b'.repeat(64)}` };
  const name = `lib${i % 700}`;
  return {
    id: `CVE-2024-${String(10000 + i)}`,
    aliases: [`DEBIAN-CVE-2024-${String(10000 + i)}`],
    package: { name, version: `1.${i % 13}.0-1`, type: 'deb', ecosystem: 'Debian:12', purl: `pkg:deb/debian/${name}@1.${i % 13}.0-1?arch=amd64&distro=debian-12`, path: '/var/lib/dpkg/status', layer, foundBy: 'dpkg' },
    status: i % 3 ? 'fixed' : 'affected',
    fixedVersions: i % 3 ? [`1.${i % 13}.1-1`] : [],
    severity: SEVERITIES[i % 5]!,
    severitySource: 'vendor',
    cvss: [{ version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: (i % 100) / 10, source: 'nvd' }],
    epss: { score: (i % 97) / 100, percentile: (i % 89) / 100 },
    published: '2024-03-01T00:00:00Z',
    references: [],
    layer,
    records: [],
  };
});

const report: Report = {
  schemaVersion: REPORT_SCHEMA_VERSION,
  tool: { name: 'portcullis', version: 'bench' },
  createdAt: new Date().toISOString(),
  image: { source: 'bench', sourceType: 'oci', configDigest: 'sha256:0', tags: [], config: { os: 'linux', architecture: 'amd64', env: [], labels: {}, history: [] } },
  layers: [],
  packages: [],
  findings,
  warnings: [],
};

const now = new Date('2025-06-01T00:00:00Z');
for (let i = 0; i < 3; i++) decide(report, policies, { now, baseLayerCount: 2 }); // warm up the JIT
const runs = 10;
const times: number[] = [];
let blocked = false;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  blocked = decide(report, policies, { now, baseLayerCount: 2 }).blocked;
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(runs / 2)]!;
const evaluations = FINDINGS * RULES;
console.log(`policy decide: ${FINDINGS} findings x ${policies.rules.length} rules (+1 limit): median ${median.toFixed(1)} ms, best ${times[0]!.toFixed(1)} ms`);
console.log(`rate: ${Math.round(FINDINGS / (median / 1000)).toLocaleString('en-US')} findings/s, ${Math.round(evaluations / (median / 1000)).toLocaleString('en-US')} rule evaluations/s (blocked=${blocked})`);
console.log(median <= 100 ? 'OK: within the 100 ms budget' : 'SLOW: over the 100 ms budget');
process.exitCode = median <= 100 ? 0 : 1;

// Coverage, the gate's half: computeCoverage over a real inventory, what policies accept
// (spec.coverage), and rules that read threat intel the DB does not hold.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inventoryImage } from '../../src/inventory/inventory.js';
import { computeCoverage, coverageGaps, ecosystemsNeeded } from '../../src/match/coverage.js';
import type { EcosystemData } from '../../src/model/coverage.js';
import { acceptCoverage, checkIntelAvailable, coverageViolations, intelRead } from '../../src/policy/coverage.js';
import { decide, loadPolicies, validatePolicyFile } from '../../src/policy/index.js';
import { imageOf, type Entry } from '../inventory/tar-layers.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-coverage-'));
let n = 0;
function policy(spec: string): string {
  const file = join(dir, `p${n++}.yaml`);
  writeFileSync(file, `apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata:\n  name: p${n}\nspec:\n${spec}`);
  return file;
}

const status = (name: string, version: string) =>
  `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\nDescription: x\n\n`;
const osRelease = (fields: string) => ({ name: 'etc/os-release', data: `NAME="x"\n${fields}\n` });
const dpkg = { name: 'var/lib/dpkg/status', data: status('bash', '5.2.15-2+b2') + status('libc6', '2.36-9') };
const npmPkg = { name: 'app/node_modules/lodash/package.json', data: JSON.stringify({ name: 'lodash', version: '4.17.20' }) };

async function inventoryOf(layers: Entry[][]) {
  return inventoryImage(await imageOf(layers));
}

const data = (entries: Record<string, Partial<EcosystemData>>): Map<string, EcosystemData> =>
  new Map(Object.entries(entries).map(([k, v]) => [k, { records: 0, sources: [], ...v }]));

describe('computeCoverage on a real inventory', () => {
  it('a Debian 12 image with npm packages against a DB holding only npm: Debian:12 is no-data', async () => {
    const inv = await inventoryOf([[osRelease('ID=debian\nVERSION_ID="12"'), dpkg, npmPkg]]);
    expect(ecosystemsNeeded(inv.packages, inv.os)).toEqual(['Debian:12', 'npm']);
    const c = computeCoverage({ packages: inv.packages, os: inv.os, data: data({ npm: { records: 5, sources: ['osv:npm'], dataDate: '2026-12-01T00:00:00Z' } }) });
    expect(c.complete).toBe(false);
    expect(c.ecosystems).toEqual([
      expect.objectContaining({ ecosystem: 'Debian:12', status: 'no-data', packages: 2, types: ['deb'], records: 0, fix: expect.stringContaining('db update --ecosystem Debian:12') }),
      expect.objectContaining({ ecosystem: 'npm', status: 'covered', packages: 1, records: 5, sources: ['osv:npm'], dataDate: '2026-12-01T00:00:00Z' }),
    ]);
    expect(coverageGaps(c)).toEqual([expect.stringMatching(/^2 packages in Debian:12 not checked \(no-data: .*fix: portcullis db update --ecosystem Debian:12/)]);
  });

  it('os-release removed by a whiteout in a later layer: the dpkg packages are os-unknown', async () => {
    const inv = await inventoryOf([[osRelease('ID=debian\nVERSION_ID="12"'), dpkg], [{ name: 'etc/.wh.os-release', data: '' }]]);
    expect(inv.os).toBeUndefined();
    const c = computeCoverage({ packages: inv.packages, os: inv.os, data: data({ 'Debian:12': { records: 9 } }) });
    expect(c.complete).toBe(false);
    expect(c.ecosystems).toEqual([expect.objectContaining({ status: 'os-unknown', packages: 2, types: ['deb'] })]);
  });

  it('an OS with no OSV ecosystem (Fedora) is unsupported, named by its os-release', async () => {
    const inv = await inventoryOf([[osRelease('ID=fedora\nVERSION_ID=40\nPRETTY_NAME="Fedora Linux 40"'), dpkg]]);
    const c = computeCoverage({ packages: inv.packages, os: inv.os, data: data({}) });
    expect(c.ecosystems).toEqual([expect.objectContaining({ ecosystem: 'Fedora 40', status: 'unsupported', reason: expect.stringContaining('no Fedora ecosystem') })]);
    expect(c.complete).toBe(false);
  });

  it('everything covered: complete, no gaps', async () => {
    const inv = await inventoryOf([[osRelease('ID=debian\nVERSION_ID="12"'), dpkg, npmPkg]]);
    const c = computeCoverage({ packages: inv.packages, os: inv.os, data: data({ 'Debian:12': { records: 3 }, npm: { records: 1 } }) });
    expect(c.complete).toBe(true);
    expect(coverageGaps(c)).toEqual([]);
  });

  it('an unread OS package database makes coverage incomplete; an unread manifest does not', () => {
    const base = { packages: [], data: data({}) };
    const os = computeCoverage({ ...base, unread: [{ path: '/var/lib/rpm/rpmdb.sqlite', cataloger: 'rpm', kind: 'os-pkgdb', code: 'malformed', reason: 'not a SQLite file' }] });
    expect(os.complete).toBe(false);
    expect(coverageGaps(os)[0]).toMatch(/OS package database \/var\/lib\/rpm\/rpmdb.sqlite \(rpm\) was not read/);
    const m = computeCoverage({ ...base, unread: [{ path: '/app/package-lock.json', cataloger: 'npm', kind: 'manifest', code: 'too-large', reason: 'over 64 MiB' }] });
    expect(m.complete).toBe(true);
  });
});

describe('spec.coverage in policies', () => {
  it('accepts a named gap (reported with its policy), leaves the others failing', async () => {
    const inv = await inventoryOf([[osRelease('ID=fedora\nVERSION_ID=40\nPRETTY_NAME="Fedora Linux 40"'), dpkg, npmPkg]]);
    const raw = computeCoverage({ packages: inv.packages, os: inv.os, data: data({}) });
    const file = policy('  coverage:\n    accept:\n      - ecosystem: "Fedora*"\n        status: unsupported\n        reason: scanned by the vendor tool\n');
    const set = await loadPolicies([file]);
    const c = acceptCoverage(raw, set.coverage);
    expect(c.ecosystems.find((e) => e.ecosystem === 'Fedora 40')?.accepted).toEqual({ by: 'policy', source: `${file}:8`, reason: 'scanned by the vendor tool' });
    expect(c.ecosystems.find((e) => e.ecosystem === 'npm')?.accepted).toBeUndefined();
    expect(c.complete).toBe(false);
    const all = acceptCoverage(raw, set.coverage, { allowUncovered: true });
    expect(all.complete).toBe(true);
    expect(all.ecosystems.find((e) => e.ecosystem === 'npm')?.accepted).toEqual({ by: 'flag', reason: '--allow-uncovered' });
  });

  it('an expired acceptance no longer accepts; a status filter must match', async () => {
    const inv = await inventoryOf([[osRelease('ID=debian\nVERSION_ID="12"'), dpkg]]);
    const raw = computeCoverage({ packages: inv.packages, os: inv.os, data: data({}) });
    const expired = await loadPolicies([policy('  coverage:\n    accept:\n      - ecosystem: "Debian:12"\n        reason: r\n        expires: 2020-01-01\n')]);
    expect(acceptCoverage(raw, expired.coverage).complete).toBe(false);
    const wrongStatus = await loadPolicies([policy('  coverage:\n    accept:\n      - ecosystem: "Debian:12"\n        status: unsupported\n        reason: r\n')]);
    expect(acceptCoverage(raw, wrongStatus.coverage).complete).toBe(false);
  });

  it('unread manifests warn by default, block or disappear when the policy says so', async () => {
    const c = computeCoverage({ packages: [], data: data({}), unread: [{ path: '/app/yarn.lock', cataloger: 'yarn', kind: 'manifest', code: 'malformed', reason: 'YAML alias limit' }] });
    expect(coverageViolations(c, undefined)).toEqual([expect.objectContaining({ rule: 'coverage:unread-manifest', action: 'warn' })]);
    const strict = await loadPolicies([policy('  coverage:\n    unreadManifests: block\n')]);
    const report = { coverage: c, findings: [] } as unknown as Parameters<typeof decide>[0];
    const d = decide({ ...report, image: { source: 'x', sourceType: 'oci', configDigest: 'sha256:0', tags: [], config: { os: 'linux', architecture: 'amd64', env: [], labels: {}, history: [] } } } as never, strict);
    expect(d.blocked).toBe(true);
    expect(d.imageViolations).toEqual([expect.objectContaining({ rule: 'coverage:unread-manifest', action: 'block', message: expect.stringContaining('/app/yarn.lock') })]);
    const lax = await loadPolicies([policy('  coverage:\n    unreadManifests: ignore\n')]);
    expect(coverageViolations(c, lax.coverage)).toEqual([]);
  });

  it('schema: an accept entry needs a reason and an ecosystem or a path', async () => {
    const issues = await validatePolicyFile(policy('  coverage:\n    accept:\n      - reason: nothing named\n'));
    expect(issues.length).toBeGreaterThan(0);
    expect(await validatePolicyFile(policy('  coverage:\n    accept:\n      - path: /x\n        reason: ok\n    missingIntel: [kev]\n'))).toEqual([]);
    expect((await validatePolicyFile(policy('  coverage:\n    missingIntel: [cvss]\n'))).length).toBeGreaterThan(0);
  });
});

describe('rules that read intel the DB does not hold', () => {
  it('finds kev/epss reads, but not a field of a scoped item', () => {
    expect([...intelRead({ '==': [{ var: 'kev' }, true] })]).toEqual(['kev']);
    expect([...intelRead({ '>=': [{ var: 'epss.score' }, 0.5] })]).toEqual(['epss']);
    expect([...intelRead({ some: [{ var: 'aliases' }, { '==': [{ var: 'kev' }, 1] }] })]).toEqual([]);
    expect([...intelRead({ in: ['CRITICAL', { var: 'severity' }] })]).toEqual([]);
  });

  it('the shipped default policy fails closed without KEV data, passes with it or when allowed', async () => {
    const set = await loadPolicies('default');
    expect(() => checkIntelAvailable(set.rules, { kev: 0, epss: 10, nvd: 0 }, set.coverage.missingIntel)).toThrow(
      /policy rule block-kev \(builtin:default:\d+\) reads kev, but the vulnerability database holds no KEV .*db update --enrichment/,
    );
    expect(() => checkIntelAvailable(set.rules, undefined, [])).toThrow(/block-kev/);
    expect(() => checkIntelAvailable(set.rules, { kev: 1, epss: 0, nvd: 0 }, [])).not.toThrow();
    expect(() => checkIntelAvailable(set.rules, { kev: 0, epss: 0, nvd: 0 }, ['kev'])).not.toThrow();
    const strict = await loadPolicies(['builtin:strict']);
    expect(() => checkIntelAvailable(strict.rules, { kev: 5, epss: 0, nvd: 0 }, [])).toThrow(/block-epss .* reads epss/);
  });
});

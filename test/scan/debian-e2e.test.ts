// End to end on the real debootstrap image: `db import` of OSV records written here for real
// Debian advisories, then `portcullis scan` through the real CLI, with the gate's exit codes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { kevCatalog } from '../helpers/kev.js';

// Facts from the Debian security tracker (bookworm = Debian:12):
// - CVE-2019-1010022 (glibc): <unfixed>, unimportant — the source `glibc` builds libc6 and libc-bin.
// - CVE-2022-0563 (util-linux): <unfixed>, unimportant in bookworm — 8 binaries in this image.
// - CVE-2022-1304 (e2fsprogs): fixed in 1.46.6~rc1-1, older than bookworm's 1.47.0-2 -> no finding.
function debianRecord(cve: string, source: string, events: object[], urgency: string, ecosystem = 'Debian:12') {
  return {
    schema_version: '1.6.0',
    id: `DEBIAN-${cve}`,
    upstream: [cve],
    modified: new Date().toISOString(),
    published: '2022-01-01T00:00:00Z',
    details: `${cve} in ${source}`,
    affected: [{ package: { ecosystem, name: source }, ranges: [{ type: 'ECOSYSTEM', events }], ecosystem_specific: { urgency } }],
    references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${cve}` }],
  };
}

const RECORDS = [
  debianRecord('CVE-2019-1010022', 'glibc', [{ introduced: '0' }], 'unimportant'),
  debianRecord('CVE-2022-0563', 'util-linux', [{ introduced: '0' }], 'unimportant'),
  debianRecord('CVE-2022-1304', 'e2fsprogs', [{ introduced: '0' }, { fixed: '1.46.6~rc1-1' }], 'low'),
  // The same CVE for another release must not leak into a Debian 12 scan.
  debianRecord('CVE-2022-1304', 'e2fsprogs', [{ introduced: '0' }, { fixed: '1.46.2-2+deb11u1' }], 'low', 'Debian:11'),
  // Withdrawn records never match.
  { ...debianRecord('CVE-2021-9999', 'tar', [{ introduced: '0' }], 'high'), id: 'DEBIAN-CVE-2021-9999', withdrawn: '2022-02-02T00:00:00Z' },
];

const UTIL_LINUX_BINARIES = ['bsdutils', 'libblkid1', 'libmount1', 'libsmartcols1', 'libuuid1', 'mount', 'util-linux', 'util-linux-extra'];

describe('scan of the real Debian image', () => {
  let img: DebianImageFixture;
  let dir: string;
  let db: string;
  const env = () => ({ PORTCULLIS_DB: db, XDG_CACHE_HOME: join(dir, 'cache') });
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const blockAll = () =>
    write('block-all.yaml', `apiVersion: portcullis.dev/v1
kind: Policy
metadata: {name: block-all}
spec:
  rules:
    - {id: all, description: block all, action: block, when: {severity: [CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN]}}
`);

  beforeAll(async () => {
    img = await debianImage();
    dir = mkdtempSync(join(tmpdir(), 'portcullis-scan-e2e-'));
    mkdirSync(join(dir, 'records'));
    RECORDS.forEach((r, i) => writeFileSync(join(dir, 'records', `${i}-${r.id}.json`), JSON.stringify(r)));
    db = join(dir, 'db.sqlite');
    writeFileSync(join(dir, 'kev.json'), kevCatalog());
    const imported = await runCli(['db', 'import', '--db', db, join(dir, 'records'), join(dir, 'kev.json')]);
    expect(imported.code, imported.stderr).toBe(0);
  }, 1_800_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports each binary of an affected source package, with status, severity and layer', async () => {
    const out = join(dir, 'report.json');
    const r = await runCli(['scan', img.dockerArchive, '--policy', 'none', '--format', `json=${out}`], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    const byCve = (id: string) => report.findings!.filter((f) => f.id === id).map((f) => f.package.name).sort();
    expect(byCve('CVE-2019-1010022')).toEqual(['libc-bin', 'libc6']);
    expect(byCve('CVE-2022-0563')).toEqual(UTIL_LINUX_BINARIES);
    expect(byCve('CVE-2022-1304')).toEqual([]);
    expect(report.findings!.map((f) => f.id).sort()).toEqual([
      ...Array(2).fill('CVE-2019-1010022'),
      ...Array(UTIL_LINUX_BINARIES.length).fill('CVE-2022-0563'),
    ]);
    for (const f of report.findings!) {
      expect(f.status).toBe('affected');
      expect(f.fixedVersions).toEqual([]);
      expect([f.severity, f.severitySource]).toEqual(['LOW', 'vendor']);
      expect(f.aliases).toEqual([`DEBIAN-${f.id}`]);
      expect(f.layer.index).toBe(0);
      expect(f.layer.diffId).toBe(report.layers[0].diffId);
      expect(f.package.purl).toMatch(/^pkg:deb\/debian\/.+distro=debian-12/);
    }
    expect(report.db?.location).toContain(db);
    expect(report.decision).toBeUndefined();
  });

  it('the three forms of the image give the same findings', async () => {
    const ids = async (image: string) => {
      const r = await runCli(['scan', image, '--policy', 'none', '--format', 'json'], { env: env() });
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as Report).findings!.map((f) => `${f.id} ${f.package.purl}`).sort();
    };
    const docker = await ids(img.dockerArchive);
    expect(await ids(img.ociArchive)).toEqual(docker);
    expect(await ids(`oci:${img.ociRef}`)).toEqual(docker);
  });

  it('the default gate passes LOW findings (exit 0); a policy blocking LOW fails the run (exit 1)', async () => {
    const pass = await spawnCli(['scan', img.dockerArchive, '--format', 'json'], { env: env() });
    expect(pass.code, pass.stderr).toBe(0);
    const passReport = JSON.parse(pass.stdout) as Report;
    expect(passReport.decision?.blocked).toBe(false);
    expect(Object.values(passReport.decision!.byFinding).every((d) => d.action === 'warn')).toBe(true);

    const policy = write('block-low.yaml', `apiVersion: portcullis.dev/v1
kind: Policy
metadata: {name: block-low}
spec:
  rules:
    - id: no-low
      description: block everything LOW or worse
      action: block
      when: {severity: [CRITICAL, HIGH, MEDIUM, LOW]}
`);
    const blocked = await spawnCli(['scan', img.dockerArchive, '--policy', policy, '--format', 'json'], { env: env() });
    expect(blocked.code, blocked.stderr).toBe(1);
    const report = JSON.parse(blocked.stdout) as Report;
    expect(report.decision?.blocked).toBe(true);
    expect(Object.values(report.decision!.byFinding).map((d) => `${d.action}:${d.rule}`)).toEqual(
      Array(10).fill('block:no-low'),
    );
  });

  it('an exception passes until it expires; then it blocks again, loudly', async () => {
    const policy = (expires: string) =>
      write(`exc-${expires}.yaml`, `apiVersion: portcullis.dev/v1
kind: Policy
metadata: {name: block-low-with-exceptions}
spec:
  rules:
    - id: no-low
      description: block LOW and worse
      action: block
      when: {severity: [CRITICAL, HIGH, MEDIUM, LOW]}
  exceptions:
    - id: CVE-2019-1010022
      reason: glibc upstream disputes it; not reachable in this service
      expires: ${expires}
      owner: platform-security
    - id: CVE-2022-0563
      reason: chfn/chsh are not installed setuid here
      expires: ${expires}
`);
    const ok = await spawnCli(['scan', img.dockerArchive, '--policy', policy('2099-12-31'), '--format', 'json'], { env: env() });
    expect(ok.code, ok.stderr).toBe(0);
    const okReport = JSON.parse(ok.stdout) as Report;
    expect(new Set(Object.values(okReport.decision!.byFinding).map((d) => d.decidedBy))).toEqual(new Set(['exception']));

    const expired = await spawnCli(['scan', img.dockerArchive, '--policy', policy('2020-01-01'), '--format', 'json'], { env: env() });
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(/EXPIRED exception CVE-2019-1010022/);
    expect((JSON.parse(expired.stdout) as Report).decision!.expiredExceptions.map((e) => e.id).sort()).toEqual([
      'CVE-2019-1010022',
      'CVE-2022-0563',
    ]);
  });

  it('a VEX not_affected statement suppresses; under_investigation does not', async () => {
    const policy = blockAll();
    const vex = (status: string, cve: string) =>
      write(`vex-${status}-${cve}.json`, JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': `https://example.com/vex/${status}`,
        author: 'security@example.com',
        timestamp: '2025-01-01T00:00:00Z',
        version: 1,
        statements: [{
          vulnerability: { name: cve },
          products: [{ '@id': 'pkg:deb/debian/libc6' }, { '@id': 'pkg:deb/debian/libc-bin' }],
          status,
          ...(status === 'not_affected' ? { justification: 'vulnerable_code_not_in_execute_path' } : {}),
        }],
      }));
    const r = await spawnCli(
      ['scan', img.dockerArchive, '--policy', policy, '--vex', vex('not_affected', 'CVE-2019-1010022'), '--format', 'json'],
      { env: env() },
    );
    expect(r.code).toBe(1); // util-linux still blocks
    const d = (JSON.parse(r.stdout) as Report).decision!;
    const glibc = Object.entries(d.byFinding).filter(([k]) => k.startsWith('CVE-2019-1010022|'));
    expect(glibc.map(([, v]) => [v.action, v.decidedBy])).toEqual([['ignore', 'vex'], ['ignore', 'vex']]);
    expect(glibc[0][1].reason).toMatch(/vulnerable_code_not_in_execute_path/);

    const u = await spawnCli(
      ['scan', img.dockerArchive, '--policy', policy, '--vex', vex('under_investigation', 'CVE-2019-1010022'), '--format', 'json'],
      { env: env() },
    );
    const du = (JSON.parse(u.stdout) as Report).decision!;
    expect(Object.entries(du.byFinding).filter(([k]) => k.startsWith('CVE-2019-1010022|')).map(([, v]) => v.action)).toEqual(['block', 'block']);
  });

  it('a baseline gate blocks only what is new', async () => {
    const policy = blockAll();
    const baseline = join(dir, 'baseline.json');
    const first = await runCli(['scan', img.dockerArchive, '--policy', 'none', '--format', `json=${baseline}`], { env: env() });
    expect(first.code).toBe(0);
    const again = await spawnCli(['scan', img.dockerArchive, '--policy', policy, '--baseline', baseline, '--format', 'json'], { env: env() });
    expect(again.code, again.stderr).toBe(0);
    const d = (JSON.parse(again.stdout) as Report).decision!;
    expect(Object.values(d.byFinding).every((x) => x.preExisting === true && x.action !== 'block')).toBe(true);
  });

  it('errors are exit 2 with one line: broken policy (with its line), missing DB offline, stale DB, bad image', async () => {
    const bad = write('bad.yaml', `apiVersion: portcullis.dev/v1
kind: Policy
metadata: {name: bad}
spec:
  rules:
    - id: r1
      action: explode
      when: {severity: [HIGH]}
`);
    const pol = await spawnCli(['scan', img.dockerArchive, '--policy', bad], { env: env() });
    expect(pol.code).toBe(2);
    expect(pol.stderr).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7:\\d+: `));
    expect(pol.stderr.trim().split('\n')).toHaveLength(1);

    const missing = join(dir, 'nope.sqlite');
    const off = await spawnCli(['scan', img.dockerArchive, '--offline'], { env: { ...env(), PORTCULLIS_DB: missing } });
    expect(off.code).toBe(2);
    expect(off.stderr).toMatch(/no vulnerability database.*portcullis db update/);
    expect(existsSync(missing)).toBe(false);

    const stale = await spawnCli(['scan', img.dockerArchive, '--max-db-age', '0s'], { env: env() });
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/old.*portcullis db update/);
    const skip = await spawnCli(['scan', img.dockerArchive, '--max-db-age', '0s', '--skip-db-age-check', '--policy', 'none', '--format', 'json'], { env: env() });
    expect(skip.code, skip.stderr).toBe(0);

    const corrupt = write('corrupt.tar', readFileSync(img.dockerArchive).subarray(0, 3_000_000).toString('latin1'));
    const broken = await spawnCli(['scan', corrupt], { env: env() });
    expect(broken.code).toBe(2);
    expect(broken.stderr.trim().split('\n')).toHaveLength(1);
    expect(broken.stderr).not.toMatch(/\n\s+at /);
  });

  it('through `db serve` (--db-url, with a token) the scan gives the same findings as the local file', async () => {
    const { serveDb } = await import('../../src/vulndb/index.js');
    const server = await serveDb({ dbPath: db, host: '127.0.0.1', port: 0, token: 'fleet-token-123' });
    try {
      const local = await runCli(['scan', img.dockerArchive, '--policy', 'none', '--format', 'json'], { env: env() });
      const remote = await spawnCli(['scan', img.dockerArchive, '--db-url', server.url, '--policy', 'none', '--format', 'json'], {
        env: { ...env(), PORTCULLIS_DB: join(dir, 'absent.sqlite'), PORTCULLIS_DB_TOKEN: 'fleet-token-123' },
      });
      expect(remote.code, remote.stderr).toBe(0);
      const ids = (out: string) => (JSON.parse(out) as Report).findings!.map((f) => `${f.id} ${f.package.purl} ${f.severity} ${f.status}`);
      expect(ids(remote.stdout)).toEqual(ids(local.stdout));
      expect((JSON.parse(remote.stdout) as Report).db?.location).toContain(server.url.replace(/\/$/, ''));
      const noToken = await spawnCli(['scan', img.dockerArchive, '--db-url', server.url, '--policy', 'none'], { env: env() });
      expect(noToken.code).toBe(2);
      expect(noToken.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('filters: --severity, --ignore-unfixed, --pkg-types', async () => {
    const run = async (...flags: string[]) => {
      const r = await runCli(['scan', img.dockerArchive, '--policy', 'none', '--format', 'json', ...flags], { env: env() });
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as Report).findings!.length;
    };
    expect(await run()).toBe(10);
    expect(await run('--severity', 'CRITICAL,HIGH')).toBe(0);
    expect(await run('--severity', 'LOW')).toBe(10);
    expect(await run('--ignore-unfixed')).toBe(0);
    expect(await run('--pkg-types', 'library')).toBe(0);
    expect(await run('--pkg-types', 'os')).toBe(10);
  });
});

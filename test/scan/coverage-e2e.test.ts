// No silent pass (issue 15, class 1): images built here, scanned through the CLI against DBs made
// by `db import`. Every way the data can fail to cover an image ends in exit 2 naming the
// ecosystem, the package count and the fix — with the reports still written, saying INCOMPLETE —
// unless a policy (or --allow-uncovered) accepts the gap, visibly.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { rpmImage } from '../fixtures/rpm-image.js';
import { runCli } from '../helpers/cli.js';
import { buildOciLayout, type TarFile } from '../image/build-layout.js';
import { buildZip, startFaultServer, type FaultServer } from '../vulndb/zipfix.js';

const now = new Date().toISOString();
function record(id: string, ecosystem: string, name: string, events: object[]) {
  return {
    schema_version: '1.6.0', id, modified: now, published: '2024-01-01T00:00:00Z', summary: `${id} in ${name}`,
    affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events }] }],
  };
}
const KEV = {
  title: 'CISA Catalog of Known Exploited Vulnerabilities', catalogVersion: now.slice(0, 10), dateReleased: now, count: 1,
  vulnerabilities: [{ cveID: 'CVE-2021-44228', vendorProject: 'Apache', product: 'Log4j2', vulnerabilityName: 'Log4Shell', dateAdded: '2021-12-10', shortDescription: 'x', requiredAction: 'Apply updates', dueDate: '2021-12-24', knownRansomwareCampaignUse: 'Known', notes: '', cwes: [] }],
};
const DEBIAN_12 = record('DEBIAN-CVE-2019-1010022', 'Debian:12', 'glibc', [{ introduced: '0' }]);
const NPM = record('GHSA-xxxx-0000-0001', 'npm', 'left-pad', [{ introduced: '0' }, { fixed: '1.3.0' }]);
const dpkgStanza = (name: string, version: string) => `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\nDescription: x\n\n`;
const AMAZON_LINUX_2 = 'NAME="Amazon Linux"\nVERSION="2"\nID="amzn"\nID_LIKE="centos rhel fedora"\nVERSION_ID="2"\nPRETTY_NAME="Amazon Linux 2"\nANSI_COLOR="0;33"\nCPE_NAME="cpe:2.3:o:amazon:amazon_linux:2"\nHOME_URL="https://amazonlinux.com/"\n';

describe('coverage: the gate never passes what it did not check', () => {
  let dir: string;
  let img: DebianImageFixture;
  let debianDb: string;
  let npmOnlyDb: string;
  let noKevDb: string;
  let server: FaultServer;
  const env = () => ({ XDG_CACHE_HOME: join(dir, 'cache'), HOME: dir });

  async function importDb(name: string, records: object[], kev = true): Promise<string> {
    const d = join(dir, name);
    mkdirSync(d);
    records.forEach((r, i) => writeFileSync(join(d, `r${i}.json`), JSON.stringify(r)));
    const files = records.map((_, i) => join(d, `r${i}.json`));
    if (kev) {
      writeFileSync(join(d, 'kev.json'), JSON.stringify(KEV));
      files.push(join(d, 'kev.json'));
    }
    const db = join(d, 'db.sqlite');
    const r = await runCli(['db', 'import', '--db', db, '--quiet', ...files], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    return db;
  }

  async function scan(image: string, db: string, ...extra: string[]): Promise<{ code: number; stderr: string; report: Report }> {
    const out = join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
    const r = await runCli(['scan', image, '--db', db, '--offline', '--quiet', '--format', `json=${out}`, ...extra], { env: env() });
    return { code: r.code, stderr: r.stderr, report: JSON.parse(readFileSync(out, 'utf8')) as Report };
  }

  /** An OCI layout with one layer of `files`. */
  async function layout(name: string, layers: TarFile[][]): Promise<string> {
    const d = join(dir, name);
    await buildOciLayout(d, { tag: 'test', layers: layers.map((files) => ({ files })) });
    return `oci:${d}:test`;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-coverage-e2e-'));
    img = await debianImage();
    debianDb = await importDb('debian', [DEBIAN_12]);
    npmOnlyDb = await importDb('npm', [NPM]);
    noKevDb = await importDb('nokev', [DEBIAN_12], false);
    server = await startFaultServer();
    server.files.set('Debian', await buildZip([DEBIAN_12]));
  }, 1_800_000);
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('covered: the Debian 12 image against Debian:12 data passes as before, coverage complete', async () => {
    const r = await scan(img.dockerArchive, debianDb, '--policy', 'none');
    expect(r.code, r.stderr).toBe(0);
    expect(r.report.coverage).toMatchObject({ complete: true, ecosystems: [{ ecosystem: 'Debian:12', status: 'covered', records: 1 }] });
    expect(r.report.coverage!.ecosystems[0]!.packages).toBe(r.report.packages.length);
  });

  it('every finding carries its action and what decided it (`jq \'.findings[] | select(.action=="block")\'` works)', async () => {
    const r = await scan(img.dockerArchive, debianDb);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report.findings!.length).toBeGreaterThan(0);
    for (const f of r.report.findings!) {
      expect(f.action).toBe('warn');
      expect(f.decision).toMatchObject({ decidedBy: 'rule', rule: 'warn-rest', source: 'builtin:default' });
    }
    const policy = join(dir, 'block-glibc.yaml');
    writeFileSync(policy, 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: block-glibc}\nspec:\n  rules:\n    - {id: no-glibc, action: block, when: {package.sourceName: glibc}}\n');
    const b = await scan(img.dockerArchive, debianDb, '--policy', policy);
    expect(b.code).toBe(1);
    const blocked = b.report.findings!.filter((f) => f.action === 'block');
    expect(blocked.map((f) => f.package.name).sort()).toEqual(['libc-bin', 'libc6']);
    expect(blocked.every((f) => f.decision?.rule === 'no-glibc')).toBe(true);
  });

  it('an npm-only DB scanning a Debian image: exit 2 naming Debian:12, the count and the fix; the report says INCOMPLETE', async () => {
    const r = await scan(img.dockerArchive, npmOnlyDb, '--policy', 'none');
    expect(r.code).toBe(2);
    const n = r.report.packages.length;
    expect(r.stderr).toContain(`${n} packages in Debian:12 not checked (no-data`);
    expect(r.stderr).toContain('portcullis db update --ecosystem Debian:12');
    expect(r.report.coverage).toMatchObject({ complete: false, ecosystems: [{ ecosystem: 'Debian:12', status: 'no-data', packages: n }] });
    const table = await runCli(['scan', img.dockerArchive, '--db', npmOnlyDb, '--offline', '--quiet', '--policy', 'none'], { env: env() });
    expect(table.stdout).toMatch(/^INCOMPLETE: /m);
    expect(table.stdout).not.toMatch(/PASSED/);
  });

  it('--allow-uncovered accepts the gap, visibly (exit 0, accepted by flag)', async () => {
    const r = await scan(img.dockerArchive, npmOnlyDb, '--policy', 'none', '--allow-uncovered');
    expect(r.code, r.stderr).toBe(0);
    expect(r.report.coverage).toMatchObject({ complete: true, ecosystems: [{ status: 'no-data', accepted: { by: 'flag' } }] });
  });

  it('a Debian 13 image against Debian:12 data: exit 2 naming Debian:13', async () => {
    const image = await layout('trixie', [[
      { path: 'etc/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\nVERSION="13 (trixie)"\nVERSION_CODENAME=trixie\nID=debian\n' },
      { path: 'var/lib/dpkg/status', content: dpkgStanza('base-files', '13.8') + dpkgStanza('libc6', '2.41-12') },
    ]]);
    const r = await scan(image, debianDb, '--policy', 'none');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('2 packages in Debian:13 not checked (no-data');
  });

  it('os-release removed by a whiteout in a later layer: the OS packages are os-unknown, exit 2', async () => {
    const image = await layout('whiteout', [
      [
        { path: 'etc/os-release', content: 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n' },
        { path: 'var/lib/dpkg/status', content: dpkgStanza('bash', '5.2.15-2+b2') },
      ],
      [{ path: 'etc/.wh.os-release', content: '' }],
    ]);
    const r = await scan(image, debianDb, '--policy', 'none');
    expect(r.code).toBe(2);
    expect(r.report.os).toBeUndefined();
    expect(r.report.coverage!.ecosystems).toEqual([expect.objectContaining({ status: 'os-unknown', packages: 1 })]);
    expect(r.stderr).toMatch(/1 package in Debian not checked \(os-unknown/);
  });

  it('Amazon Linux 2 (real rpmdb, no OSV ecosystem): unsupported, exit 2; a policy accepting it passes and says so', async () => {
    const rpm = await rpmImage();
    const root = join(dir, 'amzn-root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'var/lib/rpm'), { recursive: true });
    writeFileSync(join(root, 'etc/os-release'), AMAZON_LINUX_2);
    const rpms = readdirSync(dirname(rpm.dockerArchive)).filter((f) => f === 'less.rpm' || f === 'expat.rpm').map((f) => join(dirname(rpm.dockerArchive), f));
    execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '-i', '--nodeps', '--noscripts', '--ignorearch', ...rpms], { stdio: 'ignore' });
    execFileSync('sqlite3', [join(root, 'var/lib/rpm/rpmdb.sqlite'), 'PRAGMA wal_checkpoint(TRUNCATE)']);
    const files: TarFile[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (!/-(wal|shm)$|\.rpm\.lock$/.test(e.name)) files.push({ path: relative(root, p), content: readFileSync(p) });
      }
    };
    walk(root);
    const image = await layout('amzn', [files]);
    const r = await scan(image, debianDb, '--policy', 'none');
    expect(r.code).toBe(2);
    expect(r.report.packages.map((p) => p.name).sort()).toEqual(['expat', 'less']);
    expect(r.report.coverage!.ecosystems).toEqual([expect.objectContaining({ ecosystem: 'Amazon Linux 2', status: 'unsupported', packages: 2 })]);
    expect(r.stderr).toMatch(/2 packages in Amazon Linux 2 not checked \(unsupported/);

    const policy = join(dir, 'accept-amzn.yaml');
    writeFileSync(policy, 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: accept-amzn}\nspec:\n  coverage:\n    accept:\n      - ecosystem: "Amazon Linux*"\n        reason: AL2 is scanned by the vendor tool\n  rules:\n    - {id: warn-all, action: warn, when: true}\n');
    const ok = await scan(image, debianDb, '--policy', policy);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.report.coverage!.ecosystems[0]!.accepted).toMatchObject({ by: 'policy', reason: 'AL2 is scanned by the vendor tool' });
  });

  it('the default policy with a DB that holds no KEV data: exit 2 naming block-kev and the fix', async () => {
    const r = await runCli(['scan', img.dockerArchive, '--db', noKevDb, '--offline', '--quiet', '--format', 'json'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/policy rule block-kev .* reads kev, but the vulnerability database holds no KEV .* db update --enrichment/);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('scan may download: a DB lacking the image\'s ecosystem is filled with it first, then covered', async () => {
    const db = join(dir, 'grow.sqlite');
    await runCli(['db', 'import', '--db', db, '--quiet', join(dir, 'npm', 'r0.json'), join(dir, 'npm', 'kev.json')], { env: env() });
    const out = join(dir, 'grown.json');
    const r = await runCli(['scan', img.dockerArchive, '--db', db, '--quiet', '--policy', 'none', '--format', `json=${out}`], {
      env: { ...env(), PORTCULLIS_DB_SOURCES: `${server.url}/ok/{ecosystem}/all.zip` },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Debian:12/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.coverage).toMatchObject({ complete: true, ecosystems: [{ ecosystem: 'Debian:12', status: 'covered' }] });
    expect(report.findings!.map((f) => f.package.name).sort()).toEqual(['libc-bin', 'libc6']);
  });
});

// First run: no DB yet. `scan` says it downloads, fetches the image's ecosystems plus KEV/EPSS from
// the configured source (a real HTTP server here), and the default gate acts on what it got.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { spawnCli } from '../helpers/cli.js';
import { buildZip, startFaultServer, type FaultServer } from '../vulndb/zipfix.js';

// The feeds are as current as a real download would be (the DB's age is its data's age).
const TODAY = new Date().toISOString();
const glibc = {
  id: 'DEBIAN-CVE-2019-1010022', upstream: ['CVE-2019-1010022'], modified: new Date().toISOString(),
  affected: [{ package: { ecosystem: 'Debian:12', name: 'glibc' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'unimportant' } }],
};
const otherRelease = { ...glibc, id: 'DEBIAN-CVE-2019-1010023', upstream: ['CVE-2019-1010023'], affected: [{ ...glibc.affected[0], package: { ecosystem: 'Debian:11', name: 'glibc' } }] };
// A KEV catalog in CISA's format naming the glibc CVE (shape per the KEV schema; the entry is made up for the gate).
const kev = {
  title: 'CISA Catalog of Known Exploited Vulnerabilities', catalogVersion: TODAY.slice(0, 10), dateReleased: TODAY, count: 1,
  vulnerabilities: [{
    cveID: 'CVE-2019-1010022', vendorProject: 'GNU', product: 'glibc', vulnerabilityName: 'GNU glibc stack guard bypass (test entry)',
    dateAdded: '2026-11-01', shortDescription: 'test entry', requiredAction: 'Apply updates', dueDate: '2026-11-22', knownRansomwareCampaignUse: 'Unknown', notes: '', cwes: [],
  }],
};
const epss = `#model_version:v2026.06.15,score_date:${TODAY}\ncve,epss,percentile\nCVE-2019-1010022,0.01234,0.55\n`;

describe('first run without a DB', () => {
  let img: DebianImageFixture;
  let server: FaultServer;
  let dir: string;

  beforeAll(async () => {
    img = await debianImage();
    dir = mkdtempSync(join(tmpdir(), 'portcullis-first-run-'));
    server = await startFaultServer();
    server.files.set('Debian', await buildZip([glibc, otherRelease]));
    server.files.set('kev', Buffer.from(JSON.stringify(kev)));
    server.files.set('epss', Buffer.from(epss));
  }, 1_800_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (db: string) => ({
    PORTCULLIS_DB: db,
    XDG_CACHE_HOME: join(dir, 'cache'),
    PORTCULLIS_DB_SOURCES: `${server.url}/ok/{ecosystem}/all.zip`,
    PORTCULLIS_KEV_URL: `${server.url}/ok/kev`,
    PORTCULLIS_EPSS_URL: `${server.url}/ok/epss`,
  });

  it('downloads what the image needs, says so, and the default gate blocks the KEV finding', async () => {
    const db = join(dir, 'fresh', 'db.sqlite');
    const r = await spawnCli(['scan', img.dockerArchive, '--format', 'json'], { env: env(db) });
    expect(r.stderr).toMatch(/no vulnerability database at .* downloading Debian/);
    expect(r.code, r.stderr).toBe(1);
    expect(existsSync(db)).toBe(true);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findings!.map((f) => f.package.name).sort()).toEqual(['libc-bin', 'libc6']);
    for (const f of report.findings!) {
      expect(f.kev?.dateAdded).toBe('2026-11-01');
      expect(f.epss).toMatchObject({ score: 0.01234, percentile: 0.55 });
      expect(report.decision!.byFinding[`${f.id}|${f.package.purl}|${f.package.path}`]).toMatchObject({ action: 'block' });
    }
    // Only the image's release was kept from the Debian export.
    expect(report.findings!.some((f) => f.id === 'CVE-2019-1010023')).toBe(false);
    expect([...server.hits.keys()].sort()).toEqual(['ok/Debian', 'ok/epss', 'ok/kev']);
  });

  it('--offline refuses to download (exit 2, says what to run), and nothing is created', async () => {
    const db = join(dir, 'offline', 'db.sqlite');
    const before = server.hits.size;
    const r = await spawnCli(['scan', img.dockerArchive, '--offline'], { env: env(db) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/portcullis db update/);
    expect(existsSync(db)).toBe(false);
    expect(server.hits.size).toBe(before);
  });

  it('an unreachable source is exit 2, never a pass on an empty DB', async () => {
    const db = join(dir, 'unreachable', 'db.sqlite');
    const r = await spawnCli(['scan', img.dockerArchive, '--format', 'json'], {
      env: { ...env(db), PORTCULLIS_DB_SOURCES: `${server.url}/404/{ecosystem}/all.zip` },
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(existsSync(db)).toBe(false);
  });
});

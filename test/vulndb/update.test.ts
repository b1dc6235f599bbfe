import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalDb, updateDb, type UpdateEvent } from '../../src/vulndb/index.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { runCli } from '../helpers/cli.js';
import { buildZip, osvRecord, startFaultServer, type FaultServer } from './zipfix.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const fetchOpts = { retries: 2, backoffMs: 5 };

function ids(dbPath: string, ecosystem: string, name: string): string[] {
  const db = openLocalDb(dbPath);
  try {
    return (db.lookupSync([{ ecosystem, name }]).get(`${ecosystem}\u0000${name}`) ?? []).map((r) => r.id);
  } finally {
    void db.close();
  }
}

describe('db update against a real HTTP server', () => {
  let srv: FaultServer;
  let dir: string;
  beforeAll(async () => {
    srv = await startFaultServer();
    srv.files.set('Debian', await buildZip([
      osvRecord('DSA-1', 'Debian:12', 'curl', '7.88.1-10+deb12u1'),
      osvRecord('DSA-2', 'Debian:11', 'curl', '7.74.0-1.3+deb11u9'),
      osvRecord('DEBIAN-CVE-3', 'Debian:12', 'openssl', '3.0.11-1~deb12u1'),
    ]));
    srv.files.set('npm', await buildZip([osvRecord('GHSA-aaaa-bbbb-cccc', 'npm', 'left-pad', '1.3.0')]));
    dir = mkdtempSync(join(tmpdir(), 'portcullis-update-'));
  });
  afterAll(async () => srv.close());

  it('downloads, filters by release, then costs one 304 when unchanged', async () => {
    const dbPath = join(dir, 'a.sqlite');
    const events: UpdateEvent[] = [];
    await updateDb({ dbPath, ecosystems: ['Debian:12', 'npm'], sources: [`${srv.url}/ok/{ecosystem}/all.zip`], fetch: fetchOpts, onEvent: (e) => events.push(e) });
    expect(ids(dbPath, 'Debian:12', 'curl')).toEqual(['DSA-1']);
    expect(ids(dbPath, 'Debian:11', 'curl')).toEqual([]); // filtered out while importing
    expect(ids(dbPath, 'npm', 'left-pad')).toEqual(['GHSA-aaaa-bbbb-cccc']);
    expect(events.filter((e) => e.type === 'done').map((e) => (e as { status: string }).status)).toEqual(['updated', 'updated']);
    const before = srv.statuses.length;
    const res = await updateDb({ dbPath, sources: [`${srv.url}/ok/{ecosystem}/all.zip`], fetch: fetchOpts });
    expect(res.sources.map((s) => s.status)).toEqual(['unchanged', 'unchanged']);
    expect(srv.statuses.slice(before)).toEqual(['ok/Debian 304', 'ok/npm 304']);
    const status = await runCli(['db', 'status', '--db', dbPath, '--format', 'json']);
    const j = JSON.parse(status.stdout) as { sources: { name: string; records: number; etag: string }[] };
    expect(j.sources.map((s) => [s.name, s.records])).toEqual([['osv:Debian:12', 2], ['osv:npm', 1]]);
  });

  it('retries a 429 on the same source, then succeeds', async () => {
    const dbPath = join(dir, 'b.sqlite');
    await updateDb({ dbPath, ecosystems: ['npm'], sources: [`${srv.url}/429-once/{ecosystem}/all.zip`], fetch: fetchOpts });
    expect(srv.statuses.filter((s) => s.startsWith('429-once/npm'))).toEqual(['429-once/npm 429', '429-once/npm 200']);
    expect(ids(dbPath, 'npm', 'left-pad')).toEqual(['GHSA-aaaa-bbbb-cccc']);
  });

  it('falls back to a mirror when the first source keeps failing (CLI, --mirror)', async () => {
    const dbPath = join(dir, 'c.sqlite');
    const r = await runCli(['db', 'update', '--db', dbPath, '--ecosystem', 'npm', '--source', `${srv.url}/503/{ecosystem}/all.zip`, '--mirror', `${srv.url}/ok/{ecosystem}/all.zip`, '--retries', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(srv.hits.get('503/npm')).toBe(2);
    expect(r.stderr).toContain('HTTP 503');
    expect(r.stderr).toMatch(/osv:npm: updated/);
    expect(ids(dbPath, 'npm', 'left-pad')).toEqual(['GHSA-aaaa-bbbb-cccc']);
  });

  it('a truncated body or a bad md5 fails the update and leaves the old DB byte-identical', async () => {
    const dbPath = join(dir, 'd.sqlite');
    await updateDb({ dbPath, ecosystems: ['npm'], sources: [`${srv.url}/ok/{ecosystem}/all.zip`], fetch: fetchOpts });
    const hash = sha(dbPath);
    for (const mode of ['truncate', 'bad-md5']) {
      const r = await runCli(['db', 'update', '--db', dbPath, '--force', '--source', `${srv.url}/${mode}/{ecosystem}/all.zip`, '--retries', '1']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(mode === 'truncate' ? /every source failed: .*(truncated|interrupted)/ : /every source failed: .*md5/);
      expect(sha(dbPath)).toBe(hash);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // and a bad first source with a good mirror still succeeds
    await updateDb({ dbPath, force: true, sources: [`${srv.url}/bad-md5/{ecosystem}/all.zip`], mirrors: [`${srv.url}/ok/{ecosystem}/all.zip`], fetch: { retries: 0 } });
    expect(ids(dbPath, 'npm', 'left-pad')).toEqual(['GHSA-aaaa-bbbb-cccc']);
  });

  it('an update killed mid-download leaves the old DB intact and answering', async () => {
    const dbPath = join(dir, 'e.sqlite');
    await updateDb({ dbPath, ecosystems: ['Debian:12'], sources: [`${srv.url}/ok/{ecosystem}/all.zip`], fetch: fetchOpts });
    const hash = sha(dbPath);
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/entry.ts'), 'db', 'update', '--db', dbPath, '--force', '--source', `${srv.url}/stall/{ecosystem}/all.zip`], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CI: 'true' },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
    await srv.stalled; // body in flight: the child has built its copy and is downloading
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(sha(dbPath)).toBe(hash);
    expect(ids(dbPath, 'Debian:12', 'curl')).toEqual(['DSA-1']);
    // the leftover temp files do not stop the next update
    await updateDb({ dbPath, sources: [`${srv.url}/ok/{ecosystem}/all.zip`], fetch: fetchOpts });
    expect(ids(dbPath, 'Debian:12', 'openssl')).toEqual(['DEBIAN-CVE-3']);
  });

  it('fetches KEV and EPSS with --enrichment from configured URLs', async () => {
    const dbPath = join(dir, 'f.sqlite');
    const kev = { title: 'KEV', catalogVersion: '1', count: 1, vulnerabilities: [{ cveID: 'CVE-2024-0001', dateAdded: '2024-01-02', dueDate: '2024-01-23', knownRansomwareCampaignUse: 'Known', vulnerabilityName: 'Thing RCE' }] };
    srv.files.set('kev', Buffer.from(JSON.stringify(kev)));
    const { gzipSync } = await import('node:zlib');
    srv.files.set('epss', gzipSync('#model_version:v2025.03.14,score_date:2025-08-25T00:00:00Z\ncve,epss,percentile\nCVE-2024-0001,0.5,0.9\n'));
    await updateDb({ dbPath, ecosystems: ['npm'], sources: [`${srv.url}/ok/{ecosystem}/all.zip`], enrichment: true, kevUrls: [`${srv.url}/ok/kev`], epssUrls: [`${srv.url}/503/epss`, `${srv.url}/ok/epss`], fetch: fetchOpts });
    const db = openLocalDb(dbPath);
    const e = (await db.enrich(['CVE-2024-0001'])).get('CVE-2024-0001');
    expect(e?.kev?.knownRansomwareCampaignUse).toBe('Known');
    expect(e?.epss).toEqual({ score: 0.5, percentile: 0.9, date: '2025-08-25' });
    expect(db.sources().map((s) => s.name)).toEqual(['epss', 'kev', 'osv:npm']);
    await db.close();
  });
});

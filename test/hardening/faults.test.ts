// Fault injection through the real CLI: `db update` SIGKILLed at random points while a local
// server slowly serves the zip; disk full (a 1 MiB tmpfs) while writing a report or the DB;
// 4 concurrent scans on one DB and cache while `db import` replaces the DB.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { zipOf } from './bombs.js';
import { makeDb, osvRecord } from './fixtures.js';
import { expectOneLineError, figures, runCli, sandbox } from './harness.js';

const fileHash = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const seen: Record<string, unknown> = {};

function integrity(db: string): string {
  return execFileSync('sqlite3', [db, 'PRAGMA integrity_check;'], { encoding: 'utf8' }).trim();
}

describe('db update killed at random points', () => {
  let server: Server;
  let url: string;
  let zip: Buffer;
  beforeAll(async () => {
    const records = Array.from({ length: 3000 }, (_, i) => osvRecord(`GHSA-kill-${i}`, 'npm', `pkg-${i}`, [{ introduced: '0' }, { fixed: '1.0.1' }]));
    zip = await zipOf(records.map((r) => ({ name: `${r.id as string}.json`, data: Buffer.from(JSON.stringify(r)) })));
    // Serves the zip in 64 slices over ~2 s, so a kill lands mid-download or mid-build.
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length });
      let i = 0;
      const slice = Math.ceil(zip.length / 64);
      const tick = setInterval(() => {
        if (res.destroyed || i * slice >= zip.length) {
          clearInterval(tick);
          res.end();
          return;
        }
        res.write(zip.subarray(i * slice, ++i * slice));
      }, 30);
      req.on('close', () => clearInterval(tick));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/{ecosystem}/all.zip`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('the old DB keeps answering and stays byte-identical after every kill', async () => {
    const { dir, db } = await makeDb();
    try {
      const before = fileHash(db);
      const env = { HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), PATH: process.env.PATH, CI: 'true' };
      const tsx = pathToFileURL(join(PROJECT_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
      const delays = fc.sample(fc.integer({ min: 200, max: 2500 }), { numRuns: 8, seed: 11 });
      for (const delay of delays) {
        const child = spawn(process.execPath, ['--import', tsx, join(PROJECT_ROOT, 'src/cli/entry.ts'), 'db', 'update', '--db', db, '--ecosystem', 'npm', '--source', url, '--retries', '0', '--quiet'], { cwd: dir, env, stdio: 'ignore' });
        const ended = new Promise<NodeJS.Signals | null>((r) => child.on('close', (_c, s) => r(s)));
        await new Promise((r) => setTimeout(r, delay));
        child.kill('SIGKILL');
        await ended;
        expect(fileHash(db), `after a kill at ${delay} ms`).toBe(before);
        const status = await runCli(['db', 'status', '--db', db], { cwd: dir, env });
        expect(status.code, status.stderr).toBe(0);
      }
      expect(integrity(db)).toBe('ok');
      // And a full update still works afterwards.
      const done = await runCli(['db', 'update', '--db', db, '--ecosystem', 'npm', '--source', url, '--retries', '0', '--quiet'], { cwd: dir, env, timeoutMs: 60_000 });
      expect(done.code, done.stderr).toBe(0);
      expect(fileHash(db)).not.toBe(before);
      seen.killedUpdates = delays.length;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('disk full (a 1 MiB tmpfs)', () => {
  const sb = sandbox('portcullis-hard-full-');
  const mnt = join(sb.root, 'full');
  let mounted = false;
  beforeAll(() => {
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
      mounted = true;
    } catch (err) {
      console.warn(`[hardening] cannot mount a tmpfs (${String(err).split('\n')[0]}): disk-full cases skipped`);
    }
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', [mnt]);
    sb.cleanup();
  });

  const fill = () => {
    // Fill it up completely (the write stops at ENOSPC with the disk full).
    rmSync(join(mnt, 'filler'), { force: true });
    try {
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(1024 * 1024));
    } catch {
      // ENOSPC while filling is fine: the disk is as full as it gets
    }
  };

  it('a report that does not fit: one line, exit 2, no file (and no temp file) left', async (ctx) => {
    if (!mounted) ctx.skip();
    const { dir, db } = await makeDb();
    try {
      fill();
      const sbom = join(sb.input, 'big.cdx.json');
      writeFileSync(sbom, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: Array.from({ length: 2000 }, (_, i) => ({ type: 'library', name: `p${i}`, version: '1.0.0', purl: `pkg:npm/p${i}@1.0.0` })) }));
      for (const format of ['json', 'sarif', 'html', 'cyclonedx']) {
        const r = await runCli(['scan', '--sbom', sbom, '--db', db, '--offline', '--skip-db-age-check', '--policy', 'none', '--quiet', '--format', `${format}=${join(mnt, 'report')}`], { cwd: sb.cwd, env: sb.env });
        expectOneLineError(r, /ENOSPC|no space/i);
        expect(readdirSync(mnt)).toEqual(['filler']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a DB import that does not fit: one line, exit 2, the old DB untouched, no temp left', async (ctx) => {
    if (!mounted) ctx.skip();
    rmSync(join(mnt, 'filler'), { force: true });
    const recs = join(sb.input, 'recs');
    mkdirSync(recs, { recursive: true });
    writeFileSync(join(recs, 'a.json'), JSON.stringify(osvRecord('GHSA-a', 'npm', 'a', [{ introduced: '0' }])));
    const db = join(mnt, 'db.sqlite');
    const first = await runCli(['db', 'import', '--db', db, '--quiet', recs], { cwd: sb.cwd, env: sb.env });
    expect(first.code, first.stderr).toBe(0);
    const before = fileHash(db);
    fill();
    for (let i = 0; i < 400; i++) writeFileSync(join(recs, `b${i}.json`), JSON.stringify(osvRecord(`GHSA-b${i}`, 'npm', `b${i}`, [{ introduced: '0' }, { fixed: '9.9.9' }])));
    const r = await runCli(['db', 'import', '--db', db, '--quiet', recs], { cwd: sb.cwd, env: sb.env });
    expectOneLineError(r, /cannot copy the database/);
    expect(fileHash(db)).toBe(before);
    expect(readdirSync(mnt).sort()).toEqual(['db.sqlite', 'filler']);
    // Room for the copy of the old DB, not for the new records: the failure comes while importing.
    rmSync(join(mnt, 'filler'));
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(1024 * 1024 - 3 * readFileSync(db).length));
    for (let i = 400; i < 3000; i++) writeFileSync(join(recs, `b${i}.json`), JSON.stringify(osvRecord(`GHSA-b${i}`, 'npm', `b${i}`, [{ introduced: '0' }, { fixed: '9.9.9' }])));
    const r2 = await runCli(['db', 'import', '--db', db, '--quiet', recs], { cwd: sb.cwd, env: sb.env });
    expectOneLineError(r2, /cannot write the database \(SQLITE_FULL\)/);
    expect(fileHash(db)).toBe(before);
    expect(readdirSync(mnt).sort()).toEqual(['db.sqlite', 'filler']);
    expect(integrity(db)).toBe('ok');
    seen.diskFull = 'report x4 formats, db import: exit 2, nothing left';
  }, 120_000);
});

describe('concurrent scans on one DB while db import replaces it', () => {
  it('4 scans in parallel: none fails, all reports agree, the DB passes integrity_check', async () => {
    const { dir, db } = await makeDb([osvRecord('GHSA-conc-1', 'npm', 'left-pad', [{ introduced: '0' }, { fixed: '2.0.0' }])]);
    const sb = sandbox();
    try {
      const sbom = join(sb.input, 's.cdx.json');
      writeFileSync(sbom, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [{ type: 'library', name: 'left-pad', version: '1.0.0', purl: 'pkg:npm/left-pad@1.0.0' }] }));
      const recs = join(sb.input, 'recs');
      mkdirSync(recs);
      // The import adds records of another package: the scanned package's answer must not change.
      for (let i = 0; i < 2000; i++) writeFileSync(join(recs, `${i}.json`), JSON.stringify(osvRecord(`GHSA-other-${i}`, 'npm', `other-${i}`, [{ introduced: '0' }])));
      const rounds = 3;
      for (let round = 0; round < rounds; round++) {
        const scans = Array.from({ length: 4 }, (_, i) =>
          runCli(['scan', '--sbom', sbom, '--db', db, '--offline', '--skip-db-age-check', '--policy', 'none', '--quiet', '--format', `json=${join(sb.out, `r${round}-${i}.json`)}`], { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 }),
        );
        const imp = runCli(['db', 'import', '--db', db, '--quiet', recs], { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 });
        const results = await Promise.all([...scans, imp]);
        for (const r of results) expect(r.code, r.stderr).toBe(0);
        const reports = Array.from({ length: 4 }, (_, i) => JSON.parse(readFileSync(join(sb.out, `r${round}-${i}.json`), 'utf8')) as { findings: unknown[] });
        for (const rep of reports) expect(rep.findings).toEqual(reports[0]!.findings);
        expect((reports[0]!.findings as { id: string }[]).map((f) => f.id)).toEqual(['GHSA-conc-1']);
      }
      expect(integrity(db)).toBe('ok');
      seen.concurrent = { rounds, scansPerRound: 4, importsPerRound: 1 };
    } finally {
      sb.cleanup();
      rmSync(dir, { recursive: true, force: true });
      figures('faults', seen);
    }
  }, 240_000);
});

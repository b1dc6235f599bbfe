// Load on `portcullis db serve` (a real child process on 127.0.0.1) with autocannon: sustained
// throughput, p50/p99 latency, errors, and the server's RSS before and after.
//   node --import tsx bench/load.ts [--seconds 10] [--connections 16] [--db FILE]
// Without --db a small DB is imported first. Prints one `HARDENING-FIGURES load {...}` line.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const ENTRY = join(ROOT, 'src/cli/entry.ts');

export interface LoadFigures {
  seconds: number;
  connections: number;
  requests: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  non2xx: number;
  rssBeforeMb: number;
  rssAfterMb: number;
}

/** A DB of `n` npm records (one per package), via the real `db import`. */
export function makeLoadDb(dir: string, n = 2000): string {
  const recs = join(dir, 'recs');
  mkdirSync(recs, { recursive: true });
  for (let i = 0; i < n; i++) {
    const rec = { id: `GHSA-load-${i}`, modified: '2025-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: `pkg-${i}` }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }] }] };
    writeFileSync(join(recs, `${i}.json`), JSON.stringify(rec));
  }
  const db = join(dir, 'db.sqlite');
  const r = spawnSync(process.execPath, ['--import', TSX, ENTRY, 'db', 'import', '--db', db, '--quiet', recs], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`db import failed: ${r.stderr}`);
  return db;
}

/** Starts `db serve` on a free port; resolves with its URL once it listens. */
export function startServer(db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', TSX, ENTRY, 'db', 'serve', '--db', db, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = / on (http:\/\/[^\s]+)/.exec(err);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`db serve exited ${code}: ${err}`)));
  });
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

export async function load(url: string, pid: number, seconds: number, connections: number): Promise<LoadFigures> {
  const body = (i: number) => JSON.stringify({ package: { ecosystem: 'npm', name: `pkg-${i % 2000}` }, version: '1.0.0' });
  // Warm up (JIT, SQLite page cache), then measure RSS before the run.
  await autocannon({ url: `${url}/v1/query`, method: 'POST', body: body(1), duration: 1, connections });
  const rssBeforeMb = rssMb(pid);
  let n = 0;
  const result = await autocannon({
    url: `${url}/v1/query`,
    connections,
    duration: seconds,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: body(n++) }) }],
  });
  return {
    seconds,
    connections,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    rssBeforeMb: Math.round(rssBeforeMb),
    rssAfterMb: Math.round(rssMb(pid)),
  };
}

async function cli(): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1]! : dflt;
  };
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-load-'));
  try {
    const db = arg('db', '') || makeLoadDb(dir);
    const { child, url } = await startServer(db);
    try {
      const figures = await load(url, child.pid!, Number(arg('seconds', '10')), Number(arg('connections', '16')));
      console.log(`HARDENING-FIGURES load ${JSON.stringify(figures)}`);
    } finally {
      child.kill('SIGTERM');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await cli();

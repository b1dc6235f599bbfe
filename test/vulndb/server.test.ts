import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED, shared } from '../helpers/shared.js';
import { importFiles, openLocalDb, openRemoteDb, openVulnSource, serveDb, type LocalDb, type RunningServer } from '../../src/vulndb/index.js';

async function call(url: string, method: 'GET' | 'POST', body?: unknown, headers: Record<string, string> = {}) {
  const res = await request(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

describe.skipIf(!HAVE_SHARED)('db serve over real HTTP', () => {
  let dbPath: string;
  let srv: RunningServer;
  let local: LocalDb;
  const TOKEN = 's3cret-token';
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-serve-'));
    dbPath = join(dir, 'db.sqlite');
    await importFiles(dbPath, [shared('data', 'osv', 'go-vulndb'), shared('data', 'osv', 'pypa-pysec'), shared('data', 'osv', 'ubuntu-security-notices'), shared('data', 'kev-epss', 'known_exploited_vulnerabilities.json')]);
    srv = await serveDb({ dbPath, host: '127.0.0.1', port: 0, token: TOKEN });
    local = openLocalDb(dbPath);
  });
  afterAll(async () => {
    await srv?.close();
    await local?.close();
  });

  it('answers /v1/query with version evaluation, by name and by purl', async () => {
    const r = await call(`${srv.url}/v1/query`, 'POST', { package: { ecosystem: 'Go', name: 'stdlib' }, version: '1.18.1' }, auth);
    expect(r.status).toBe(200);
    const vulns = r.json().vulns as { id: string; affected: unknown[] }[];
    expect(vulns.map((v) => v.id)).toContain('GO-2022-0477');
    expect(vulns[0]!.affected).toBeDefined(); // full records
    const all = (local.lookupSync([{ ecosystem: 'Go', name: 'stdlib' }]).get('Go\u0000stdlib') ?? []).length;
    expect(vulns.length).toBeLessThan(all);
    const p = await call(`${srv.url}/v1/query`, 'POST', { package: { purl: 'pkg:pypi/Django@1.11.29' } }, auth);
    expect((p.json().vulns as unknown[]).length).toBeGreaterThan(0);
    const none = await call(`${srv.url}/v1/query`, 'POST', { package: { ecosystem: 'Go', name: 'stdlib' }, version: '999.0.0' }, auth);
    expect(none.json()).toEqual({});
  });

  it('answers /v1/querybatch with {id, modified}, /v1/vulns/{id} by id and alias, /healthz, /metrics', async () => {
    const r = await call(`${srv.url}/v1/querybatch`, 'POST', { queries: [{ package: { ecosystem: 'Go', name: 'stdlib' }, version: '1.18.1' }, { package: { ecosystem: 'npm', name: 'nope' }, version: '1' }] }, auth);
    const results = r.json().results as { vulns?: { id: string; modified: string }[] }[];
    expect(results).toHaveLength(2);
    expect(Object.keys(results[0]!.vulns![0]!).sort()).toEqual(['id', 'modified']);
    expect(results[1]).toEqual({});
    const v = await call(`${srv.url}/v1/vulns/GO-2022-0477`, 'GET', undefined, auth);
    expect(v.json().id).toBe('GO-2022-0477');
    const rec = local.getRecord('PYSEC-2021-98')!;
    const byAlias = await call(`${srv.url}/v1/vulns/${rec.aliases![0]}`, 'GET', undefined, auth);
    expect(byAlias.status).toBe(200);
    expect((await call(`${srv.url}/v1/vulns/NOPE-1`, 'GET', undefined, auth)).status).toBe(404);
    const h = await call(`${srv.url}/healthz`, 'GET');
    expect(h.json().status).toBe('ok');
    const m = await call(`${srv.url}/metrics`, 'GET', undefined, auth);
    expect(m.text).toMatch(/portcullis_http_requests_total\{route="\/v1\/querybatch",status="200"\} 1/);
    expect(m.text).toMatch(/portcullis_http_request_duration_seconds_bucket\{route="\/v1\/query",le="\+Inf"\} 3/);
    expect(m.text).toMatch(/portcullis_db_age_seconds \d/);
  });

  it('rejects bad requests: 401 without the token, 413 oversize, 400 bad JSON / too many queries', async () => {
    expect((await call(`${srv.url}/v1/query`, 'POST', { package: { ecosystem: 'Go', name: 'stdlib' } })).status).toBe(401);
    expect((await call(`${srv.url}/v1/query`, 'POST', { package: { ecosystem: 'Go', name: 'stdlib' } }, { authorization: 'Bearer wrong' })).status).toBe(401);
    const big = await call(`${srv.url}/v1/querybatch`, 'POST', JSON.stringify({ queries: [], pad: 'x'.repeat(5 * 1024 * 1024) }), auth);
    expect(big.status).toBe(413);
    expect(big.json().message).toMatch(/over/);
    const bad = await call(`${srv.url}/v1/querybatch`, 'POST', '{"queries": [', auth);
    expect(bad.status).toBe(400);
    expect(bad.json().message).toMatch(/not valid JSON/);
    const many = await call(`${srv.url}/v1/querybatch`, 'POST', { queries: Array.from({ length: 1001 }, () => ({ package: { ecosystem: 'Go', name: 'stdlib' } })) }, auth);
    expect(many.status).toBe(400);
    expect(many.json().message).toMatch(/too many queries/);
  });

  it('a remote VulnSource gives exactly the local answers (lookup, enrich, summary)', async () => {
    const remote = await openRemoteDb(srv.url, { token: TOKEN });
    expect(remote.mode).toBe('portcullis');
    const queries = [
      { ecosystem: 'Go', name: 'stdlib' }, { ecosystem: 'PyPI', name: 'Django' }, { ecosystem: 'PyPI', name: 'requests' },
      { ecosystem: 'Ubuntu:22.04', name: 'pcre3' }, { ecosystem: 'npm', name: 'does-not-exist' },
      ...local.ids().filter((i) => i.startsWith('GO-2023')).slice(0, 300).map((id) => local.getRecord(id)!.affected![0]!.package!),
    ];
    expect(await remote.lookup(queries)).toEqual(await local.lookup(queries));
    const cves = ['CVE-2025-48384', 'CVE-2021-44228', 'CVE-0000-1'];
    expect(await remote.enrich(cves)).toEqual(await local.enrich(cves));
    expect(remote.summary().sources).toEqual(local.summary().sources);
    await remote.close();
    const viaEnv = await openVulnSource({ env: { PORTCULLIS_DB_URL: srv.url, PORTCULLIS_DB_TOKEN: TOKEN } });
    expect((await viaEnv.lookup([{ ecosystem: 'Go', name: 'stdlib' }])).get('Go\u0000stdlib')!.length).toBeGreaterThan(100);
    await viaEnv.close();
  });

  it('an OSV-API-only server (no portcullis routes) still works through querybatch + vulns/{id}', async () => {
    // Simulate api.osv.dev: a proxy that 404s our routes.
    const { createServer } = await import('node:http');
    const proxy = createServer(async (req, res) => {
      if ((req.url ?? '').startsWith('/v1/portcullis')) return void res.writeHead(404).end('{}');
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const r = await request(`${srv.url}${req.url}`, { method: req.method as 'GET', headers: { ...auth, 'content-type': 'application/json' }, body: chunks.length ? Buffer.concat(chunks) : undefined });
      res.writeHead(r.statusCode, { 'content-type': 'application/json' });
      res.end(Buffer.from(await r.body.arrayBuffer()));
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const remote = await openRemoteDb(url);
    expect(remote.mode).toBe('osv');
    const q = [{ ecosystem: 'PyPI', name: 'django' }, { ecosystem: 'Go', name: 'golang.org/x/net' }];
    expect(await remote.lookup(q)).toEqual(await local.lookup(q));
    await remote.close();
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
  });

  it('shuts down gracefully: an in-flight request completes', async () => {
    const s2 = await serveDb({ dbPath, host: '127.0.0.1', port: 0 });
    const queries = Array.from({ length: 1000 }, (_, i) => ({ package: { ecosystem: 'PyPI', name: `pkg-${i}` }, version: '1.0' }));
    const body = Buffer.from(JSON.stringify({ queries }));
    // The request is in flight for certain: its headers and half its body sent, the server counting
    // it (the scrape itself is the other one). Only then does the server begin to shut down.
    const socket = connect(s2.port, '127.0.0.1');
    const answer = new Promise<string>((resolve, reject) => {
      let got = '';
      socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
    });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`POST /v1/querybatch HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
    socket.write(body.subarray(0, body.length >> 1));
    for (let i = 0; ; i++) {
      const m = await call(`${s2.url}/metrics`, 'GET');
      if (/^portcullis_http_requests_in_flight 2$/m.test(m.text)) break;
      expect(i, m.text).toBeLessThan(200);
      await new Promise((r) => setTimeout(r, 10));
    }
    const closing = s2.close();
    socket.end(body.subarray(body.length >> 1));
    expect((await answer).split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    await closing;
    await expect(call(`${s2.url}/healthz`, 'GET')).rejects.toThrow();
  });
});

describe('db serve CLI', () => {
  it('refuses an unreadable token file and a bad --listen', async () => {
    const { runCli } = await import('../helpers/cli.js');
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-serve-cli-'));
    writeFileSync(join(dir, 'r.json'), JSON.stringify({ id: 'X-1', modified: '2024-01-01T00:00:00Z' }));
    await importFiles(join(dir, 'db.sqlite'), [join(dir, 'r.json')]);
    const a = await runCli(['db', 'serve', '--db', join(dir, 'db.sqlite'), '--listen', 'nonsense']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/HOST:PORT/);
    const b = await runCli(['db', 'serve', '--db', join(dir, 'db.sqlite'), '--listen', '127.0.0.1:0', '--token-file', join(dir, 'missing')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/token file/);
  });
});

describe('remote DB client', () => {
  it('retries an answer whose body is cut off after a 200 status line', async () => {
    const { createServer } = await import('node:http');
    let calls = 0;
    const summary = JSON.stringify({ protocol: 2, location: 'x', sources: [{ name: 'osv:PyPI', fetchedAt: '2026-01-01T00:00:00Z', records: 1 }], intel: { kev: 0, epss: 0, nvd: 0 } });
    const server = createServer((_req, res) => {
      calls++;
      if (calls === 1) {
        // Promise 1000 bytes, send a few, then drop the connection.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"loc');
        setTimeout(() => res.destroy(), 20);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(summary);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const remote = await openRemoteDb(`http://127.0.0.1:${(server.address() as { port: number }).port}`, { backoffMs: 1 });
      expect(remote.mode).toBe('portcullis');
      expect(calls).toBe(2);
      await remote.close();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

// The remote DB fails closed (issue 15, class 3): real HTTP servers on 127.0.0.1 that misbehave
// each way, in front of (or instead of) a real `db serve`. Any answer that is not the protocol is
// an error naming the URL and the problem — never "0 vulnerabilities" — and never quotes the body.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortcullisError } from '../../src/errors.js';
import { checkFreshness, importFiles, openLocalDb, openRemoteDb, serveDb, type LocalDb, type RunningServer } from '../../src/vulndb/index.js';
import { runCli } from '../helpers/cli.js';
import { osvRecord } from './zipfix.js';

const SECRET = 'SECRET-BODY-7f3a';
const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

async function listen(handler: Handler): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    hits.push(`${req.method} ${req.url}`);
    await handler(req, res, Buffer.concat(chunks));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** A proxy to the real server that may rewrite one route's JSON answer. */
function proxyTo(target: string, token: string, rewrite: (path: string, json: any) => any = (_p, j) => j, status: (path: string) => number | undefined = () => undefined): Handler {
  return async (req, res, body) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const forced = status(path);
    if (forced !== undefined) return void res.writeHead(forced, { 'content-type': 'application/json' }).end(JSON.stringify({ message: SECRET }));
    const r = await request(`${target}${req.url}`, { method: req.method as 'GET', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body.length ? body : undefined });
    const text = await r.body.text();
    const out = r.statusCode === 200 ? JSON.stringify(rewrite(path, JSON.parse(text))) : text;
    res.writeHead(r.statusCode, { 'content-type': 'application/json' }).end(out);
  };
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PortcullisError);
    const message = (err as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).not.toContain(SECRET);
    return message;
  }
  throw new Error('expected a failure, got an answer');
}

describe('remote DB: fails closed on anything that is not the protocol', () => {
  const TOKEN = 'tok-remote-test';
  let dir: string;
  let dbPath: string;
  let srv: RunningServer;
  let local: LocalDb;
  const queries = [{ ecosystem: 'npm', name: 'left-pad' }, { ecosystem: 'Debian:12', name: 'curl' }, { ecosystem: 'PyPI', name: 'nope' }];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-remote-'));
    mkdirSync(join(dir, 'r'));
    const records = [
      osvRecord('GHSA-1', 'npm', 'left-pad', '1.3.0', daysAgo(1)),
      osvRecord('DSA-1', 'Debian:12', 'curl', '7.88.1-10+deb12u1', daysAgo(2)),
      osvRecord('RHSA-1', 'Red Hat:enterprise_linux:9::appstream', 'curl', '1', daysAgo(3)),
    ];
    for (const r of records) writeFileSync(join(dir, 'r', `${r.id}.json`), JSON.stringify(r));
    writeFileSync(join(dir, 'kev.json'), JSON.stringify({ title: 'KEV', catalogVersion: '1', dateReleased: daysAgo(1), count: 1, vulnerabilities: [{ cveID: 'CVE-2024-0001', dateAdded: '2024-01-02' }] }));
    dbPath = join(dir, 'db.sqlite');
    await importFiles(dbPath, [join(dir, 'r'), join(dir, 'kev.json')]);
    srv = await serveDb({ dbPath, host: '127.0.0.1', port: 0, token: TOKEN });
    local = openLocalDb(dbPath);
  });
  afterAll(async () => {
    await srv?.close();
    await local?.close();
  });

  it('a real db serve answers coverage, data date and intel exactly like the file', async () => {
    const remote = await openRemoteDb(srv.url, { token: TOKEN });
    const ecosystems = ['npm', 'Debian:12', 'Debian:13', 'Red Hat:enterprise_linux:9', 'Red Hat'];
    expect(await remote.coverage(ecosystems)).toEqual(local.coverageSync(ecosystems));
    expect((await remote.coverage(['Debian:13'])).get('Debian:13')).toEqual({ records: 0, sources: [] });
    const { location: _r, ...rs } = remote.summary();
    const { location: _l, ...ls } = local.summary();
    expect(rs).toEqual(ls);
    expect(rs.intel).toEqual({ kev: 1, epss: 0, nvd: 0 });
    // The freshness check reads the same summary: an old remote DB is refused like an old file.
    expect(() => checkFreshness(remote)).not.toThrow();
    expect(() => checkFreshness(remote, 3600_000)).toThrow(/vulnerability data is .* old/);
    await remote.close();
  });

  it('a server answering 404 to everything, or a URL with a wrong path prefix, is an error (not an empty DB)', async () => {
    const s404 = await listen((_req, res) => void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: SECRET })));
    try {
      const m = await failure(openRemoteDb(s404.url));
      expect(m).toMatch(new RegExp(`^${s404.url}: neither a \`portcullis db serve\` nor an OSV API: HTTP 404 on /v1/portcullis/summary and on /v1/querybatch`));
    } finally {
      await s404.close();
    }
    const wrong = await failure(openRemoteDb(`${srv.url}/api/portcullis`, { token: TOKEN }));
    expect(wrong).toMatch(/\/api\/portcullis: neither .* HTTP 404/);
  });

  it('an answer with another number of results than queries, or results for other queries, is an error', async () => {
    const short = await listen(proxyTo(srv.url, TOKEN, (path, j) => (path === '/v1/portcullis/lookup' ? { results: j.results.slice(1) } : j)));
    const swapped = await listen(proxyTo(srv.url, TOKEN, (path, j) => (path === '/v1/portcullis/lookup' ? { results: [...j.results].reverse() } : j)));
    const empty = await listen(proxyTo(srv.url, TOKEN, (path, j) => (path === '/v1/portcullis/lookup' ? {} : j)));
    try {
      const a = await openRemoteDb(short.url);
      expect(await failure(a.lookup(queries))).toMatch(/\/v1\/portcullis\/lookup: answer has 2 results for 3 queries/);
      await a.close();
      const b = await openRemoteDb(swapped.url);
      expect(await failure(b.lookup(queries))).toMatch(/holds a record that does not answer its query/);
      await b.close();
      const c = await openRemoteDb(empty.url);
      expect(await failure(c.lookup(queries))).toMatch(/answer has no results array/);
      await c.close();
    } finally {
      await Promise.all([short.close(), swapped.close(), empty.close()]);
    }
  });

  it('a 404, an HTML page, a persistent 5xx or a missing coverage route after the summary are errors', async () => {
    const cases: [string, Handler, RegExp][] = [
      ['lookup 404', proxyTo(srv.url, TOKEN, undefined, (p) => (p === '/v1/portcullis/lookup' ? 404 : undefined)), /\/v1\/portcullis\/lookup: HTTP 404/],
      ['html', async (req, res, body) => {
        if (req.url === '/v1/portcullis/lookup') return void res.writeHead(200, { 'content-type': 'text/html' }).end(`<html>${SECRET}</html>`);
        await proxyTo(srv.url, TOKEN)(req, res, body);
      }, /HTTP 200 with a text\/html answer, not JSON/],
      ['500', proxyTo(srv.url, TOKEN, undefined, (p) => (p === '/v1/portcullis/lookup' ? 500 : undefined)), /HTTP 500 after 2 attempts/],
    ];
    for (const [name, handler, want] of cases) {
      const s = await listen(handler);
      try {
        const remote = await openRemoteDb(s.url, { retries: 1, backoffMs: 1 });
        expect(await failure(remote.lookup(queries)), name).toMatch(want);
        await remote.close();
      } finally {
        await s.close();
      }
    }
    const noCoverage = await listen(proxyTo(srv.url, TOKEN, undefined, (p) => (p === '/v1/portcullis/coverage' ? 404 : undefined)));
    try {
      const remote = await openRemoteDb(noCoverage.url);
      expect(await failure(remote.coverage(['npm']))).toMatch(/\/v1\/portcullis\/coverage: HTTP 404/);
      await remote.close();
    } finally {
      await noCoverage.close();
    }
  });

  it('a server of an older protocol (no coverage, no data dates) is refused with the fix', async () => {
    const old = await listen(proxyTo(srv.url, TOKEN, (path, j) => {
      if (path !== '/v1/portcullis/summary') return j;
      const { protocol: _p, intel: _i, dataDate: _d, ...rest } = j;
      return rest;
    }));
    try {
      expect(await failure(openRemoteDb(old.url))).toMatch(/speaks portcullis protocol 1, this client 2 .*upgrade the `portcullis db serve`/);
    } finally {
      await old.close();
    }
  });

  it('OSV API mode: an id the server lists must exist; coverage says who answers, never a count', async () => {
    const osv = await listen(proxyTo(srv.url, TOKEN, undefined, (p) => (p.startsWith('/v1/portcullis') ? 404 : undefined)));
    const osvMissing = await listen(proxyTo(srv.url, TOKEN, undefined, (p) => (p.startsWith('/v1/portcullis') || p.startsWith('/v1/vulns/') ? 404 : undefined)));
    try {
      const ok = await openRemoteDb(osv.url);
      expect(ok.mode).toBe('osv');
      expect(await ok.lookup(queries)).toEqual(await local.lookup(queries));
      const c = await ok.coverage(['npm', 'Debian:12', 'Amazon Linux:2']);
      expect(c.get('npm')).toEqual({ records: 0, sources: ['osv.dev'], counted: false });
      expect(c.get('Debian:12')).toEqual({ records: 0, sources: ['osv.dev'], counted: false });
      expect(c.get('Amazon Linux:2')).toEqual({ records: 0, sources: [] }); // OSV does not publish it
      await ok.close();
      const bad = await openRemoteDb(osvMissing.url);
      expect(await failure(bad.lookup(queries))).toMatch(/\/v1\/vulns\/GHSA-1: HTTP 404/);
      await bad.close();
    } finally {
      await Promise.all([osv.close(), osvMissing.close()]);
    }
  });

  it('never sends the token over plain http:// to a host that is not loopback, unless insecure is asked for', async () => {
    // `db.example.test` resolves (through this dispatcher only) to the real server on 127.0.0.1:
    // had the client sent anything, the server would have seen it.
    const port = new URL(srv.url).port;
    const lookup = (_h: string, o: { all?: boolean }, cb: (e: null, a: unknown, f?: number) => void) => (o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4));
    const dispatcher = new Agent({ connect: { lookup } as object });
    const before = (await request(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.body.text())).match(/route="\/v1\/portcullis\/summary",status="200"\} (\d+)/)?.[1] ?? '0';
    const m = await failure(openRemoteDb(`http://db.example.test:${port}`, { token: TOKEN, dispatcher }));
    expect(m).toMatch(/^http:\/\/db\.example\.test:\d+: refusing to send the DB token over plain http:\/\/ .*--insecure-db-url/);
    const after = (await request(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.body.text())).match(/route="\/v1\/portcullis\/summary",status="200"\} (\d+)/)?.[1] ?? '0';
    expect(after).toBe(before);
    const allowed = await openRemoteDb(`http://db.example.test:${port}`, { token: TOKEN, dispatcher, insecure: true });
    expect(allowed.mode).toBe('portcullis');
    await allowed.close();
    await dispatcher.close();
    // Loopback in any spelling is fine; credentials in the URL are never shown.
    const l = await openRemoteDb(srv.url.replace('127.0.0.1', 'localhost'), { token: TOKEN });
    await l.close();
    const s404 = await listen((_q, res) => void res.writeHead(404).end());
    try {
      const shown = await failure(openRemoteDb(s404.url.replace('http://', 'http://user:pw-SECRET@')));
      expect(shown).not.toContain('pw-SECRET');
    } finally {
      await s404.close();
    }
  });

  it('scan --db-url against a 404-everything server ends with exit 2 and one line (was: 0 vulnerabilities, PASSED)', async () => {
    const sbom = join(dir, 'bom.json');
    writeFileSync(sbom, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [{ type: 'library', name: 'left-pad', version: '1.0.0', purl: 'pkg:npm/left-pad@1.0.0' }] }));
    const s404 = await listen((_q, res) => void res.writeHead(404, { 'content-type': 'text/plain' }).end(SECRET));
    try {
      const r = await runCli(['scan', '--sbom', sbom, '--db-url', s404.url, '--policy', 'none', '--format', 'json'], { env: { PORTCULLIS_DB_TOKEN: '' } });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/neither a `portcullis db serve` nor an OSV API/);
      expect(r.stderr).not.toContain(SECRET);
      expect(r.stdout).toBe('');
      // The same scan against the real server finds the advisory.
      const ok = await runCli(['scan', '--sbom', sbom, '--db-url', srv.url, '--policy', 'none', '--format', 'json'], { env: { PORTCULLIS_DB_TOKEN: TOKEN } });
      expect(ok.code, ok.stderr).toBe(0);
      expect((JSON.parse(ok.stdout) as { findings: { id: string }[] }).findings.map((f) => f.id)).toEqual(['GHSA-1']);
    } finally {
      await s404.close();
    }
  });
});

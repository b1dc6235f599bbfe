// `db serve`: the local DB over HTTP, compatible with the OSV API (query, querybatch, vulns/{id})
// plus the routes a remote VulnSource needs to answer exactly as the local file does.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { statSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { PortcullisError, errorMessage } from '../errors.js';
import type { OsvRecord } from '../model/osv.js';
import { affects } from '../version/index.js';
import { affectedFor } from './ecosystem.js';
import { openLocalDb, type LocalDb } from './local.js';
import { ServerMetrics } from './metrics.js';
import { purlToQuery } from './purl.js';
import { lookupKey, REMOTE_PROTOCOL, type PackageQuery } from './source.js';
import { CVSS_CALCULATOR_ID } from '../cvss/vectors.js';

export interface ServeOptions {
  dbPath: string;
  host?: string;
  port?: number;
  token?: string;
  maxBodyBytes?: number;
  maxBatch?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** How long SIGTERM waits for in-flight requests before cutting connections. */
  drainMs?: number;
}

export interface RunningServer {
  url: string;
  dbPath: string;
  port: number;
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 4 * 1024 * 1024;
export const MAX_BATCH = 1000;

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new PortcullisError(`db serve: --listen must be HOST:PORT, not "${text}"`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** One package query of the OSV API body, resolved to (ecosystem, name, version?). */
function parseQuery(q: unknown, where: string): PackageQuery & { version?: string } {
  if (typeof q !== 'object' || q === null) throw new HttpError(400, `${where}: must be an object`);
  const { package: pkg, version, commit } = q as { package?: unknown; version?: unknown; commit?: unknown };
  if (commit !== undefined) throw new HttpError(400, `${where}: commit queries are not supported by this server`);
  if (version !== undefined && typeof version !== 'string') throw new HttpError(400, `${where}.version: must be a string`);
  if (typeof pkg !== 'object' || pkg === null) throw new HttpError(400, `${where}.package: required`);
  const { ecosystem, name, purl } = pkg as { ecosystem?: unknown; name?: unknown; purl?: unknown };
  if (typeof purl === 'string') {
    const p = purlToQuery(purl);
    if (!p) throw new HttpError(400, `${where}.package.purl: not a package URL of a known ecosystem`);
    if (version !== undefined && p.version !== undefined) throw new HttpError(400, `${where}: version given both in the purl and the query`);
    return version !== undefined ? { ...p, version } : p;
  }
  if (typeof ecosystem !== 'string' || !ecosystem || typeof name !== 'string' || !name) {
    throw new HttpError(400, `${where}.package: needs ecosystem and name, or purl`);
  }
  return version !== undefined ? { ecosystem, name, version } : { ecosystem, name };
}

/** The records that affect the version (or all records of the package when no version). */
function matching(db: LocalDb, q: PackageQuery & { version?: string }, found = db.lookupSync([q])): OsvRecord[] {
  const records = found.get(lookupKey(q)) ?? [];
  if (q.version === undefined) return records;
  const version = q.version;
  return records.filter((r) => affectedFor(r, q).some((a) => affects(a, version).affected));
}

async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw new HttpError(413, `request body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Starts the server; resolves once it listens. */
export async function serveDb(opts: ServeOptions): Promise<RunningServer> {
  const maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const maxBatch = opts.maxBatch ?? MAX_BATCH;
  let db = openLocalDb(opts.dbPath);
  let dbIno = statSync(opts.dbPath).ino;
  let lastCheck = Date.now();
  const metrics = new ServerMetrics();
  const token = opts.token ? Buffer.from(`Bearer ${opts.token}`) : undefined;

  // `db update` renames a new file into place: notice it (at most every 2 s) and reopen.
  const current = (): LocalDb => {
    const now = Date.now();
    if (now - lastCheck > 2000) {
      lastCheck = now;
      try {
        const ino = statSync(opts.dbPath).ino;
        if (ino !== dbIno) {
          const next = openLocalDb(opts.dbPath);
          void db.close();
          db = next;
          dbIno = ino;
        }
      } catch {
        // keep serving the file we have
      }
    }
    return db;
  };

  const authorised = (req: IncomingMessage): boolean => {
    if (!token) return true;
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === token.length && timingSafeEqual(got, token);
  };

  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === '/healthz' && method === 'GET') {
      const s = current().summary();
      return send(res, 200, { status: 'ok', builtAt: s.builtAt, updatedAt: s.updatedAt, dataDate: s.dataDate });
    }
    if (!authorised(req)) {
      res.setHeader('www-authenticate', 'Bearer');
      throw new HttpError(401, 'missing or wrong bearer token');
    }
    const d = current();
    if (path === '/metrics' && method === 'GET') {
      const s = d.summary();
      // The age of the data itself (docs/database.md, Freshness), as the scan checks it.
      const dated = s.dataDate ?? s.updatedAt;
      const age = dated ? (Date.now() - Date.parse(dated)) / 1000 : undefined;
      return send(res, 200, metrics.render(age, d.counts().records, inFlight), 'text/plain; version=0.0.4');
    }
    if (path.startsWith('/v1/vulns/') && method === 'GET') {
      const id = decodeURIComponent(path.slice('/v1/vulns/'.length));
      const record = d.getRecord(id);
      if (!record) throw new HttpError(404, 'Bug not found.');
      return send(res, 200, record);
    }
    if (path === '/v1/portcullis/summary' && method === 'GET') return send(res, 200, { protocol: REMOTE_PROTOCOL, ...d.summary() });
    if (method !== 'POST') throw new HttpError(path.startsWith('/v1/') ? 405 : 404, 'not found');
    const body = await readJson(req, maxBody);
    const obj = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    switch (path) {
      case '/v1/query': {
        const vulns = matching(d, parseQuery(body, 'query'));
        return send(res, 200, vulns.length ? { vulns } : {});
      }
      case '/v1/querybatch': {
        const queries = obj.queries;
        if (!Array.isArray(queries)) throw new HttpError(400, 'queries: must be an array');
        if (queries.length > maxBatch) throw new HttpError(400, `too many queries: ${queries.length} (limit ${maxBatch})`);
        const parsed = queries.map((q, i) => parseQuery(q, `queries[${i}]`));
        // One lookup for the whole batch, then each query's version filter.
        const found = d.lookupSync(parsed);
        const results = parsed.map((q) => {
          const vulns = matching(d, q, found).map((r) => ({ id: r.id, modified: r.modified }));
          return vulns.length ? { vulns } : {};
        });
        return send(res, 200, { results });
      }
      case '/v1/portcullis/lookup': {
        const queries = obj.queries;
        if (!Array.isArray(queries)) throw new HttpError(400, 'queries: must be an array');
        if (queries.length > maxBatch) throw new HttpError(400, `too many queries: ${queries.length} (limit ${maxBatch})`);
        const parsed = queries.map((q, i) => {
          const { ecosystem, name } = (q ?? {}) as { ecosystem?: unknown; name?: unknown };
          if (typeof ecosystem !== 'string' || typeof name !== 'string' || !ecosystem || !name) throw new HttpError(400, `queries[${i}]: needs ecosystem and name`);
          return { ecosystem, name };
        });
        const found = d.lookupSync(parsed);
        return send(res, 200, { results: parsed.map((q) => ({ vulns: found.get(lookupKey(q)) ?? [] })) });
      }
      case '/v1/portcullis/coverage': {
        const ecosystems = obj.ecosystems;
        if (!Array.isArray(ecosystems) || !ecosystems.every((x) => typeof x === 'string')) throw new HttpError(400, 'ecosystems: must be an array of strings');
        if (ecosystems.length > maxBatch) throw new HttpError(400, `too many ecosystems: ${ecosystems.length} (limit ${maxBatch})`);
        return send(res, 200, { results: Object.fromEntries(d.coverageSync(ecosystems as string[])) });
      }
      case '/v1/portcullis/enrich': {
        const ids = obj.ids;
        if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string')) throw new HttpError(400, 'ids: must be an array of strings');
        if (ids.length > maxBatch * 10) throw new HttpError(400, `too many ids: ${ids.length} (limit ${maxBatch * 10})`);
        return send(res, 200, { results: Object.fromEntries(d.enrichSync(ids as string[])) });
      }
      case '/v1/portcullis/cvss': {
        const vectors = obj.vectors;
        if (!Array.isArray(vectors) || !vectors.every((x) => typeof x === 'string')) throw new HttpError(400, 'vectors: must be an array of strings');
        if (vectors.length > maxBatch * 10) throw new HttpError(400, `too many vectors: ${vectors.length} (limit ${maxBatch * 10})`);
        // The calculator our scores come from: a client carrying another one scores them itself.
        return send(res, 200, { calculator: CVSS_CALCULATOR_ID, results: Object.fromEntries(d.cvssScoresSync(vectors as string[])) });
      }
      default:
        throw new HttpError(404, 'not found');
    }
  }

  const routeName = (path: string): string =>
    path.startsWith('/v1/vulns/') ? '/v1/vulns/{id}' : ['/v1/query', '/v1/querybatch', '/healthz', '/metrics', '/v1/portcullis/lookup', '/v1/portcullis/enrich', '/v1/portcullis/cvss', '/v1/portcullis/summary', '/v1/portcullis/coverage'].includes(path) ? path : 'other';

  let inFlight = 0;
  let drained: (() => void) | undefined;
  const headersTimeout = opts.headersTimeoutMs ?? 10_000;
  // Node checks header/request timeouts only every connectionsCheckingInterval (30 s by default),
  // so a slow client would hold its socket for up to 30 s past the timeout: check every second.
  const server = createServer({ connectionsCheckingInterval: Math.min(1000, headersTimeout) }, (req, res) => {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0]!;
    inFlight++;
    res.on('close', () => {
      metrics.observe(routeName(path), res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
      if (--inFlight === 0) drained?.();
    });
    route(req, res, path).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : `internal error: ${errorMessage(err)}`;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // OSV answers errors as {code, message}; code 3 = INVALID_ARGUMENT, 5 = NOT_FOUND.
      const code = status === 404 ? 5 : status === 401 ? 16 : status === 413 ? 8 : status === 400 ? 3 : 13;
      if (status === 413) res.setHeader('connection', 'close');
      send(res, status, { code, message });
      if (status === 413) req.resume();
    });
  });
  server.headersTimeout = headersTimeout;
  server.requestTimeout = opts.requestTimeoutMs ?? 30_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new PortcullisError(`cannot listen on ${opts.host ?? '127.0.0.1'}:${opts.port ?? 8080}: ${errorMessage(err)}`)));
    server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    dbPath: opts.dbPath,
    port: addr.port,
    close: async () => {
      // Stop accepting, let in-flight requests finish (bounded), then cut what is left.
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        // The limit timer is cleared once drained: left pending, it kept `db serve` alive for the
        // whole drain limit after the last request had finished.
        let limit: NodeJS.Timeout | undefined;
        await Promise.race([new Promise<void>((r) => (drained = r)), new Promise<void>((r) => (limit = setTimeout(r, opts.drainMs ?? 10_000)))]);
        clearTimeout(limit);
      }
      server.closeAllConnections();
      await closed;
      await db.close();
    },
  };
}

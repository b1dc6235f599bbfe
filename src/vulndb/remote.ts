// A VulnSource over HTTP: a `db serve` (exact same answers as the local file, through the
// /v1/portcullis routes) or the public OSV API, where only querybatch + GET /v1/vulns/{id} exist —
// there the full records are fetched and the (ecosystem, name) matching is redone locally, so the
// answers follow the same rules; only the data differs.
import { Agent, request, type Dispatcher } from 'undici';
import { PortcullisError, errorMessage } from '../errors.js';
import type { OsvRecord } from '../model/osv.js';
import type { DbSummary } from '../model/report.js';
import { affectedFor } from './ecosystem.js';
import { lookupKey, type Enrichment, type PackageQuery, type VulnSource } from './source.js';

export interface RemoteOptions {
  token?: string;
  /** Parallel requests (default 8). */
  concurrency?: number;
  retries?: number;
  backoffMs?: number;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

export interface RemoteDb extends VulnSource {
  readonly url: string;
  /** `portcullis`: a db serve; `osv`: an OSV API without our routes. */
  readonly mode: 'portcullis' | 'osv';
}

const BATCH = 500;

class Http {
  private readonly dispatcher: Dispatcher;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly base: string, private readonly opts: RemoteOptions) {
    this.dispatcher = opts.dispatcher ?? new Agent({ headersTimeout: opts.timeoutMs ?? 60_000, bodyTimeout: opts.timeoutMs ?? 60_000, connections: opts.concurrency ?? 8 });
  }

  private async slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= (this.opts.concurrency ?? 8)) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  /** JSON request with retries on 429 / 5xx / network errors; 404 -> undefined. */
  call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T | undefined> {
    return this.slot(async () => {
      const retries = this.opts.retries ?? 3;
      for (let attempt = 0; ; attempt++) {
        let status = 0;
        let text = '';
        try {
          const headers: Record<string, string> = { accept: 'application/json' };
          if (body !== undefined) headers['content-type'] = 'application/json';
          if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
          const res = await request(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), dispatcher: this.dispatcher });
          status = res.statusCode;
          text = await res.body.text();
        } catch (err) {
          if (attempt >= retries) throw new PortcullisError(`request failed: ${errorMessage(err)}`, { subject: `${this.base}${path}` });
          // A body cut off after its status line is a network failure too: retried, not parsed.
          status = 0;
        }
        if (status === 404) return undefined;
        if (status >= 200 && status < 300) {
          try {
            return JSON.parse(text) as T;
          } catch {
            throw new PortcullisError('answer is not JSON', { subject: `${this.base}${path}` });
          }
        }
        if (status !== 0 && status !== 429 && status < 500) {
          throw new PortcullisError(`HTTP ${status}: ${text.slice(0, 200)}`, { subject: `${this.base}${path}` });
        }
        if (attempt >= retries) throw new PortcullisError(`HTTP ${status} after ${retries + 1} attempts`, { subject: `${this.base}${path}` });
        await new Promise((r) => setTimeout(r, (this.opts.backoffMs ?? 300) * 2 ** attempt));
      }
    });
  }

  async close(): Promise<void> {
    if (!this.opts.dispatcher) await this.dispatcher.close();
  }
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

class RemoteSource implements RemoteDb {
  constructor(readonly url: string, readonly mode: 'portcullis' | 'osv', private readonly http: Http, private readonly info: DbSummary) {}

  summary(): DbSummary {
    return this.info;
  }

  async lookup(queries: PackageQuery[]): Promise<Map<string, OsvRecord[]>> {
    const unique = [...new Map(queries.map((q) => [lookupKey(q), { ecosystem: q.ecosystem, name: q.name }])).values()];
    const out = new Map<string, OsvRecord[]>();
    if (this.mode === 'portcullis') {
      await Promise.all(
        chunks(unique, BATCH).map(async (batch) => {
          const res = await this.http.call<{ results: { vulns: OsvRecord[] }[] }>('POST', '/v1/portcullis/lookup', { queries: batch });
          batch.forEach((q, i) => out.set(lookupKey(q), res?.results[i]?.vulns ?? []));
        }),
      );
      return out;
    }
    // OSV API: ids per package (all versions), then the full records, then our own matching.
    const idsFor = new Map<string, Set<string>>();
    await Promise.all(
      chunks(unique, BATCH).map(async (batch) => {
        type Batch = { results: { vulns?: { id: string }[]; next_page_token?: string }[] };
        const res = await this.http.call<Batch>('POST', '/v1/querybatch', { queries: batch.map((q) => ({ package: q })) });
        await Promise.all(
          batch.map(async (q, i) => {
            const ids = new Set((res?.results[i]?.vulns ?? []).map((v) => v.id));
            let token = res?.results[i]?.next_page_token;
            for (let pages = 0; token && pages < 100; pages++) {
              const more = await this.http.call<Batch>('POST', '/v1/querybatch', { queries: [{ package: q, page_token: token }] });
              for (const v of more?.results[0]?.vulns ?? []) ids.add(v.id);
              token = more?.results[0]?.next_page_token;
            }
            idsFor.set(lookupKey(q), ids);
          }),
        );
      }),
    );
    const allIds = [...new Set([...idsFor.values()].flatMap((s) => [...s]))];
    const records = new Map<string, OsvRecord>();
    await Promise.all(
      allIds.map(async (id) => {
        const r = await this.http.call<OsvRecord>('GET', `/v1/vulns/${encodeURIComponent(id)}`);
        if (r) records.set(id, r);
      }),
    );
    for (const q of unique) {
      const key = lookupKey(q);
      const found = [...(idsFor.get(key) ?? [])]
        .map((id) => records.get(id))
        .filter((r): r is OsvRecord => r !== undefined && !r.withdrawn && affectedFor(r, q).length > 0)
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      out.set(key, found);
    }
    return out;
  }

  async enrich(ids: string[]): Promise<Map<string, Enrichment>> {
    if (this.mode === 'osv' || ids.length === 0) return new Map();
    const out = new Map<string, Enrichment>();
    await Promise.all(
      chunks([...new Set(ids)], 5000).map(async (batch) => {
        const res = await this.http.call<{ results: Record<string, Enrichment> }>('POST', '/v1/portcullis/enrich', { ids: batch });
        for (const [k, v] of Object.entries(res?.results ?? {})) out.set(k, v);
      }),
    );
    return out;
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

/** Connects to a `db serve` (or an OSV API); reads its summary once. */
export async function openRemoteDb(url: string, opts: RemoteOptions = {}): Promise<RemoteDb> {
  const base = url.replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) throw new PortcullisError('--db-url must be an http:// or https:// URL', { subject: url });
  const http = new Http(base, opts);
  try {
    const info = await http.call<DbSummary>('GET', '/v1/portcullis/summary');
    if (info) return new RemoteSource(base, 'portcullis', http, { ...info, location: base });
    return new RemoteSource(base, 'osv', http, { location: base, sources: [{ name: 'osv-api', fetchedAt: new Date().toISOString() }], updatedAt: new Date().toISOString() });
  } catch (err) {
    await http.close();
    throw err;
  }
}

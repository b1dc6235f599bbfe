// A VulnSource over HTTP: a `db serve` (exact same answers as the local file, through the
// /v1/portcullis routes) or the public OSV API, where only querybatch + GET /v1/vulns/{id} exist —
// there the full records are fetched and the (ecosystem, name) matching is redone locally, so the
// answers follow the same rules; only the data differs.
//
// Fails closed: every answer is checked against the protocol (status, JSON, shape, one result per
// query, records that name the queried package). Anything else is a PortcullisError naming the URL
// and the problem, never the body (it could hold a secret), so a scan ends with exit 2 rather than
// reading "no answer" as "no vulnerability".
import { Agent, request, type Dispatcher } from 'undici';
import { PortcullisError, errorMessage } from '../errors.js';
import type { EcosystemData } from '../model/coverage.js';
import type { OsvRecord } from '../model/osv.js';
import type { DbSummary } from '../model/report.js';
import { affectedFor, mainEcosystem } from './ecosystem.js';
import { lookupKey, REMOTE_PROTOCOL, type Enrichment, type PackageQuery, type VulnSource } from './source.js';
import { checkOsvRecord } from './validate.js';
import { CVSS_CALCULATOR_ID, type CvssScore } from '../cvss/vectors.js';

export { REMOTE_PROTOCOL };

/**
 * Ecosystems the OSV project publishes (the osv-schema's list). Against the public API coverage
 * can only say "OSV answers for this ecosystem", not how many records it holds.
 */
const OSV_ECOSYSTEMS = new Set([
  'AlmaLinux', 'Alpaquita', 'Alpine', 'Android', 'Azure Linux', 'BellSoft Hardened Containers', 'Bioconductor', 'Bitnami',
  'Chainguard', 'CleanStart', 'ConanCenter', 'CRAN', 'crates.io', 'Debian', 'Docker Hardened Images', 'Echo', 'FreeBSD', 'GHC',
  'GitHub Actions', 'Go', 'Hackage', 'Hex', 'Julia', 'Kubernetes', 'Linux', 'Mageia', 'Maven', 'MinimOS', 'npm', 'NuGet', 'opam',
  'openEuler', 'openSUSE', 'OSS-Fuzz', 'Packagist', 'Photon OS', 'Pub', 'PyPI', 'Red Hat', 'Rocky Linux', 'Root', 'RubyGems',
  'SUSE', 'SwiftURL', 'TuxCare', 'Ubuntu', 'VSCode', 'Wolfi',
]);

export interface RemoteOptions {
  token?: string;
  /** Allow the token over plain http:// to a host other than loopback (`--insecure-db-url`). */
  insecure?: boolean;
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

/** A 404: the route does not exist there (how the OSV API is told from a `db serve`). */
class NotFound extends Error {}

/** The URL as shown in messages: without user:password@ or a query string. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable URL)';
  }
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

class Http {
  private readonly dispatcher: Dispatcher;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  readonly shown: string;

  constructor(private readonly base: string, private readonly opts: RemoteOptions) {
    this.dispatcher = opts.dispatcher ?? new Agent({ headersTimeout: opts.timeoutMs ?? 60_000, bodyTimeout: opts.timeoutMs ?? 60_000, connections: opts.concurrency ?? 8 });
    this.shown = displayUrl(base);
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

  /** An error about one route of this server: `URL/path: problem` (never the answer's body). */
  fail(path: string, problem: string): PortcullisError {
    return new PortcullisError(`${problem} (not the vulnerability DB protocol: check --db-url)`, { subject: `${this.shown}${path}` });
  }

  /**
   * JSON request with retries on 429 / 5xx / network errors. 2xx with a JSON body -> the value;
   * 404 -> NotFound; anything else -> PortcullisError.
   */
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    return this.slot(async () => {
      const retries = this.opts.retries ?? 3;
      for (let attempt = 0; ; attempt++) {
        let status = 0;
        let text = '';
        let type = '';
        try {
          const headers: Record<string, string> = { accept: 'application/json' };
          if (body !== undefined) headers['content-type'] = 'application/json';
          if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
          const res = await request(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), dispatcher: this.dispatcher });
          status = res.statusCode;
          type = String(res.headers['content-type'] ?? '');
          text = await res.body.text();
        } catch (err) {
          if (attempt >= retries) throw new PortcullisError(`request failed: ${errorMessage(err)}`, { subject: `${this.shown}${path}` });
          // A body cut off after its status line is a network failure too: retried, not parsed.
          status = 0;
        }
        if (status === 404) throw new NotFound(`${path}: HTTP 404`);
        if (status >= 200 && status < 300) {
          if (type && !/\bjson\b/i.test(type)) throw this.fail(path, `HTTP ${status} with a ${type.split(';')[0]} answer, not JSON`);
          try {
            return JSON.parse(text) as unknown;
          } catch {
            throw this.fail(path, `HTTP ${status} answer is not JSON`);
          }
        }
        if (status === 401 || status === 403) {
          throw new PortcullisError(`HTTP ${status}: the server refused the ${this.opts.token ? 'bearer token' : 'request (it may need a token: PORTCULLIS_DB_TOKEN)'}`, { subject: `${this.shown}${path}` });
        }
        if (status !== 0 && status !== 429 && status < 500) throw this.fail(path, `HTTP ${status}`);
        if (attempt >= retries) throw new PortcullisError(`HTTP ${status || 'connection failure'} after ${retries + 1} attempts`, { subject: `${this.shown}${path}` });
        await new Promise((r) => setTimeout(r, (this.opts.backoffMs ?? 300) * 2 ** attempt));
      }
    });
  }

  /** As call, but a 404 is a protocol error too (a route this server was found to have). */
  async must(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    try {
      return await this.call(method, path, body);
    } catch (err) {
      if (err instanceof NotFound) throw this.fail(path, 'HTTP 404');
      throw err;
    }
  }

  async close(): Promise<void> {
    if (!this.opts.dispatcher) await this.dispatcher.close();
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{results: [...]}` with exactly `n` objects. */
function resultsOf(http: Http, path: string, v: unknown, n: number): Record<string, unknown>[] {
  const results = isObject(v) ? v.results : undefined;
  if (!Array.isArray(results)) throw http.fail(path, 'answer has no results array');
  if (results.length !== n) throw http.fail(path, `answer has ${results.length} results for ${n} queries`);
  results.forEach((r, i) => {
    if (!isObject(r)) throw http.fail(path, `result ${i} is not an object`);
  });
  return results as Record<string, unknown>[];
}

/** A full OSV record as the protocol requires (the fields portcullis relies on). */
function recordOf(http: Http, path: string, v: unknown, where: string): OsvRecord {
  const problem = checkOsvRecord(v);
  if (problem) throw http.fail(path, `${where} is not a valid OSV record (${problem.field} ${problem.message})`);
  return v as OsvRecord;
}

function ecosystemDataOf(http: Http, path: string, v: unknown, ecosystem: string): EcosystemData {
  if (!isObject(v)) throw http.fail(path, `answer has no coverage for ${ecosystem}`);
  const { records, sources, dataDate } = v;
  if (typeof records !== 'number' || !Number.isSafeInteger(records) || records < 0) throw http.fail(path, `coverage of ${ecosystem}: records is not a count`);
  if (!Array.isArray(sources) || !sources.every((x) => typeof x === 'string')) throw http.fail(path, `coverage of ${ecosystem}: sources is not a list of names`);
  if (dataDate !== undefined && (typeof dataDate !== 'string' || !Number.isFinite(Date.parse(dataDate)))) throw http.fail(path, `coverage of ${ecosystem}: dataDate is not a date`);
  if (records > 0 && sources.length === 0) throw http.fail(path, `coverage of ${ecosystem}: records without a source`);
  const out: EcosystemData = { records, sources: sources as string[] };
  if (dataDate !== undefined) out.dataDate = dataDate as string;
  return out;
}

function summaryOf(http: Http, path: string, v: unknown): DbSummary {
  if (!isObject(v)) throw http.fail(path, 'summary is not an object');
  if (v.protocol !== REMOTE_PROTOCOL) {
    throw new PortcullisError(
      `the server speaks portcullis protocol ${typeof v.protocol === 'number' ? v.protocol : 1}, this client ${REMOTE_PROTOCOL} (per-ecosystem coverage and data dates): upgrade the \`portcullis db serve\` there`,
      { subject: `${http.shown}${path}` },
    );
  }
  const sources = v.sources;
  if (!Array.isArray(sources) || !sources.every((s) => isObject(s) && typeof s.name === 'string')) throw http.fail(path, 'summary has no valid sources list');
  const intel = v.intel;
  if (!isObject(intel) || !['kev', 'epss', 'nvd'].every((k) => typeof intel[k] === 'number')) throw http.fail(path, 'summary has no intel counts');
  for (const k of ['builtAt', 'updatedAt', 'dataDate'] as const) {
    if (v[k] !== undefined && (typeof v[k] !== 'string' || !Number.isFinite(Date.parse(v[k] as string)))) throw http.fail(path, `summary ${k} is not a date`);
  }
  const { protocol: _p, location: _l, ...rest } = v;
  return rest as unknown as DbSummary;
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

class RemoteSource implements RemoteDb {
  constructor(readonly url: string, readonly mode: 'portcullis' | 'osv', private readonly http: Http, private readonly info: DbSummary) {}

  summary(): DbSummary {
    return structuredClone(this.info);
  }

  async lookup(queries: PackageQuery[]): Promise<Map<string, OsvRecord[]>> {
    const unique = [...new Map(queries.map((q) => [lookupKey(q), { ecosystem: q.ecosystem, name: q.name }])).values()];
    const out = new Map<string, OsvRecord[]>();
    const http = this.http;
    if (this.mode === 'portcullis') {
      const path = '/v1/portcullis/lookup';
      await Promise.all(
        chunks(unique, BATCH).map(async (batch) => {
          const results = resultsOf(http, path, await http.must('POST', path, { queries: batch }), batch.length);
          batch.forEach((q, i) => {
            const vulns = results[i]!.vulns;
            if (!Array.isArray(vulns)) throw http.fail(path, `result ${i} has no vulns array`);
            out.set(
              lookupKey(q),
              vulns.map((v, j) => {
                const r = recordOf(http, path, v, `result ${i} record ${j}`);
                // Answers in the wrong order or for another package would be matched as ours.
                if (r.withdrawn || affectedFor(r, q).length === 0) throw http.fail(path, `result ${i} holds a record that does not answer its query`);
                return r;
              }),
            );
          });
        }),
      );
      return out;
    }
    // OSV API: ids per package (all versions), then the full records, then our own matching.
    const idsFor = new Map<string, Set<string>>();
    const path = '/v1/querybatch';
    type Page = { ids: string[]; next?: string };
    const page = (r: Record<string, unknown>, i: number): Page => {
      const vulns = r.vulns ?? [];
      if (!Array.isArray(vulns) || !vulns.every((v) => isObject(v) && typeof v.id === 'string' && v.id !== '')) throw http.fail(path, `result ${i} has no valid vulns list`);
      const next = r.next_page_token;
      if (next !== undefined && typeof next !== 'string') throw http.fail(path, `result ${i} has a bad next_page_token`);
      return { ids: (vulns as { id: string }[]).map((v) => v.id), ...(next ? { next } : {}) };
    };
    await Promise.all(
      chunks(unique, BATCH).map(async (batch) => {
        const results = resultsOf(http, path, await http.must('POST', path, { queries: batch.map((q) => ({ package: q })) }), batch.length);
        await Promise.all(
          batch.map(async (q, i) => {
            const first = page(results[i]!, i);
            const ids = new Set(first.ids);
            let token = first.next;
            for (let pages = 0; token; pages++) {
              if (pages >= 100) throw http.fail(path, `more than 100 pages of results for ${q.ecosystem}/${q.name}`);
              const more = page(resultsOf(http, path, await http.must('POST', path, { queries: [{ package: q, page_token: token }] }), 1)[0]!, 0);
              for (const id of more.ids) ids.add(id);
              token = more.next;
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
        // An id the server just listed must exist: a 404 here is not "no vulnerability".
        const p = `/v1/vulns/${encodeURIComponent(id)}`;
        const r = recordOf(http, p, await http.must('GET', p), 'answer');
        if (r.id !== id && !(r.aliases ?? []).includes(id)) throw http.fail(p, 'answer is another record');
        records.set(id, r);
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

  async coverage(ecosystems: string[]): Promise<Map<string, EcosystemData>> {
    const unique = [...new Set(ecosystems)];
    const out = new Map<string, EcosystemData>();
    if (this.mode === 'osv') {
      // The OSV API cannot count: say who answers, never how much. An ecosystem OSV does not
      // publish is reported empty, like any DB without it.
      for (const e of unique) out.set(e, OSV_ECOSYSTEMS.has(mainEcosystem(e)) ? { records: 0, sources: ['osv.dev'], counted: false } : { records: 0, sources: [] });
      return out;
    }
    if (unique.length === 0) return out;
    const path = '/v1/portcullis/coverage';
    await Promise.all(
      chunks(unique, BATCH).map(async (batch) => {
        const v = await this.http.must('POST', path, { ecosystems: batch });
        const results = isObject(v) ? v.results : undefined;
        if (!isObject(results)) throw this.http.fail(path, 'answer has no results object');
        for (const e of batch) out.set(e, ecosystemDataOf(this.http, path, results[e], e));
      }),
    );
    return out;
  }

  async enrich(ids: string[]): Promise<Map<string, Enrichment>> {
    if (this.mode === 'osv' || ids.length === 0) return new Map();
    const out = new Map<string, Enrichment>();
    const path = '/v1/portcullis/enrich';
    await Promise.all(
      chunks([...new Set(ids)], 5000).map(async (batch) => {
        const v = await this.http.must('POST', path, { ids: batch });
        const results = isObject(v) ? v.results : undefined;
        if (!isObject(results)) throw this.http.fail(path, 'answer has no results object');
        const asked = new Set(batch);
        for (const [k, e] of Object.entries(results)) {
          if (!asked.has(k) || !isObject(e)) throw this.http.fail(path, 'answer holds an entry that was not asked for');
          out.set(k, e as Enrichment);
        }
      }),
    );
    return out;
  }

  /**
   * The server's scores when it computed them with our calculator. A server without the route
   * (older than it) or with another calculator gives none: the matcher scores the vectors itself.
   * An answer that does not keep to the protocol is an error, as for every other route.
   */
  async cvssScores(vectors: string[]): Promise<Map<string, CvssScore | null>> {
    const out = new Map<string, CvssScore | null>();
    if (this.mode === 'osv' || vectors.length === 0) return out;
    const path = '/v1/portcullis/cvss';
    for (const batch of chunks([...new Set(vectors)], 5000)) {
      let v: unknown;
      try {
        v = await this.http.call('POST', path, { vectors: batch });
      } catch (err) {
        if (err instanceof NotFound) return new Map();
        throw err;
      }
      const results = isObject(v) ? v.results : undefined;
      if (!isObject(v) || !isObject(results)) throw this.http.fail(path, 'answer has no results object');
      if (v.calculator !== CVSS_CALCULATOR_ID) return new Map();
      const asked = new Set(batch);
      for (const [k, e] of Object.entries(results)) {
        if (!asked.has(k)) throw this.http.fail(path, 'answer holds a vector that was not asked for');
        out.set(k, cvssScoreOf(this.http, path, e));
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

const CVSS_VERSIONS: readonly unknown[] = ['2.0', '3.0', '3.1', '4.0'];

function cvssScoreOf(http: Http, path: string, e: unknown): CvssScore | null {
  if (e === null) return null;
  if (!isObject(e) || !CVSS_VERSIONS.includes(e.version) || typeof e.score !== 'number' || !(e.score >= 0 && e.score <= 10)) {
    throw http.fail(path, 'answer holds a score that is not a CVSS version and a number from 0 to 10');
  }
  return { version: e.version as CvssScore['version'], score: e.score };
}

/**
 * Connects to a `db serve` (or an OSV API) and reads its summary once. Refuses, before any
 * request, to send a bearer token over plain http:// to a host other than loopback (unless
 * `insecure`); refuses a server that is neither (404 to both protocols' first routes).
 */
export async function openRemoteDb(url: string, opts: RemoteOptions = {}): Promise<RemoteDb> {
  const base = url.replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw new PortcullisError('--db-url is not a URL', { subject: displayUrl(url) });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new PortcullisError('--db-url must be an http:// or https:// URL', { subject: displayUrl(url) });
  if (opts.token && parsed.protocol === 'http:' && !isLoopback(parsed.hostname) && !opts.insecure) {
    throw new PortcullisError(
      'refusing to send the DB token over plain http:// to a host that is not loopback (anyone on the path could read it); use https://, or pass --insecure-db-url (PORTCULLIS_INSECURE_DB_URL=1) if you accept that',
      { subject: displayUrl(url) },
    );
  }
  const http = new Http(base, opts);
  const shown = http.shown;
  try {
    const summaryPath = '/v1/portcullis/summary';
    let answer: unknown;
    try {
      answer = await http.call('GET', summaryPath);
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
      // No portcullis routes: it must then answer the OSV API's querybatch, one result per query.
      const probe = '/v1/querybatch';
      try {
        resultsOf(http, probe, await http.call('POST', probe, { queries: [{ package: { ecosystem: 'PyPI', name: 'portcullis-protocol-probe' } }] }), 1);
      } catch (e) {
        if (e instanceof NotFound) {
          throw new PortcullisError(`neither a \`portcullis db serve\` nor an OSV API: HTTP 404 on ${summaryPath} and on ${probe} (check the URL's path)`, { subject: shown });
        }
        throw e;
      }
      const now = new Date().toISOString();
      // The public OSV API serves its live data: its data date is now, and it cannot count.
      return new RemoteSource(base, 'osv', http, { location: shown, sources: [{ name: 'osv.dev API', fetchedAt: now, dataDate: now }], updatedAt: now, dataDate: now });
    }
    return new RemoteSource(base, 'portcullis', http, { ...summaryOf(http, summaryPath, answer), location: shown });
  } catch (err) {
    await http.close();
    throw err;
  }
}

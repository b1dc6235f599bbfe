// `db update` as a library call (`scan` runs it on first use): fetch each needed ecosystem from the
// ordered sources, import it into a build beside the DB, and publish only when every part is done.
import { rmSync } from 'node:fs';
import { PortcullisError, errorMessage } from '../errors.js';
import { ecosystemMatches, mainEcosystem } from './ecosystem.js';
import { download, type Download, type FetchOptions, type Validators } from './fetch.js';
import { Importer } from './import.js';
import { tempPrefix, beginBuild, type Db } from './store.js';
import { heldEcosystems, laterOf, normaliseTime, settleImportSources } from './stats.js';
import { DbWriter, type SourceRow } from './writer.js';

export const OSV_BUCKET = 'https://osv-vulnerabilities.storage.googleapis.com/{ecosystem}/all.zip';
export const KEV_URL = 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json';
export const EPSS_URL = 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz';

export type UpdateEvent =
  | { type: 'start'; source: string; url: string }
  | { type: 'bytes'; source: string; received: number; total?: number }
  | { type: 'retry'; source: string; message: string }
  | { type: 'fallback'; source: string; url: string; message: string }
  | { type: 'done'; source: string; url?: string; status: 'updated' | 'unchanged'; records: number; bytes: number };

export interface UpdateOptions {
  dbPath: string;
  /**
   * Ecosystems to fetch (`Debian:12`, `npm`…). Default: the ones the DB already holds — those of
   * earlier updates and those of imported records.
   */
  ecosystems?: string[];
  /** Ordered URL templates with `{ecosystem}`; default the OSV bucket. */
  sources?: string[];
  /** Tried after `sources` (`--mirror`, PORTCULLIS_DB_MIRRORS). */
  mirrors?: string[];
  /** Also fetch KEV and EPSS. */
  enrichment?: boolean;
  kevUrls?: string[];
  epssUrls?: string[];
  /** Ignore stored ETag / Last-Modified (full download). */
  force?: boolean;
  fetch?: FetchOptions;
  onEvent?: (e: UpdateEvent) => void;
  warn?: (message: string) => void;
}

export interface UpdateResult {
  sources: { name: string; url?: string; status: 'updated' | 'unchanged'; records: number; bytes: number }[];
}

/** PORTCULLIS_DB_MIRRORS: URL templates separated by commas or whitespace. */
export function mirrorsFromEnv(env: NodeJS.ProcessEnv): string[] {
  return (env.PORTCULLIS_DB_MIRRORS ?? '').split(/[\s,]+/).filter(Boolean);
}

/**
 * Where updates come from when no flag says: PORTCULLIS_DB_SOURCES (replaces the OSV bucket, e.g.
 * an internal mirror), PORTCULLIS_DB_MIRRORS (fallbacks), PORTCULLIS_KEV_URL, PORTCULLIS_EPSS_URL.
 * `db update` and the first-run update of `scan` both use it.
 */
export function updateSourcesFromEnv(env: NodeJS.ProcessEnv): Pick<UpdateOptions, 'sources' | 'mirrors' | 'kevUrls' | 'epssUrls'> {
  const list = (v: string | undefined) => (v ?? '').split(/[\s,]+/).filter(Boolean);
  const out: Pick<UpdateOptions, 'sources' | 'mirrors' | 'kevUrls' | 'epssUrls'> = { mirrors: mirrorsFromEnv(env) };
  if (list(env.PORTCULLIS_DB_SOURCES).length) out.sources = list(env.PORTCULLIS_DB_SOURCES);
  if (env.PORTCULLIS_KEV_URL) out.kevUrls = [env.PORTCULLIS_KEV_URL];
  if (env.PORTCULLIS_EPSS_URL) out.epssUrls = [env.PORTCULLIS_EPSS_URL];
  return out;
}

function expand(template: string, ecosystem: string): string {
  return template.includes('{ecosystem}') ? template.replaceAll('{ecosystem}', encodeURIComponent(ecosystem)) : template;
}

/**
 * What `db update` without --ecosystem refreshes: the ecosystems of earlier updates, plus every
 * ecosystem imported records are in that no earlier update covers (an imported all.zip is
 * refreshed, not left to age), without one that another in the list already covers.
 */
export function ecosystemsToRefresh(db: Db): string[] {
  const stored = (db.prepare("SELECT name FROM sources WHERE kind = 'osv'").pluck().all() as string[]).map((n) => n.replace(/^osv:/, ''));
  const imported = heldEcosystems(db)
    .filter((h) => !h.source.startsWith('osv:'))
    .map((h) => h.ecosystem)
    .filter((e) => !stored.some((f) => ecosystemMatches(e, f)));
  const all = [...new Set([...stored, ...imported])];
  return all.filter((e) => !all.some((o) => o !== e && ecosystemMatches(e, o))).sort();
}

/** Newest `modified` of the records in an ecosystem (prefix rule), from the statistics. */
function newestIn(db: Db, ecosystem: string): string | undefined {
  return (db.prepare('SELECT max(modified) FROM ecosystem_stats WHERE ecosystem = ? AND records > 0').pluck().get(ecosystem) as string | null) ?? undefined;
}

/** A download's Last-Modified as ISO 8601 (undefined when absent or unparseable). */
function lastModifiedIso(lm: string | undefined | null): string | undefined {
  if (!lm || !Number.isFinite(Date.parse(lm))) return undefined;
  return normaliseTime(lm);
}

function countInEcosystem(db: Db, ecosystem: string): number {
  return db
    .prepare('SELECT count(DISTINCT a.rid) FROM affected a JOIN records r ON r.rid = a.rid WHERE (a.ecosystem = ? OR (a.ecosystem > ? AND a.ecosystem < ?)) AND r.withdrawn = 0')
    .pluck()
    .get(ecosystem, `${ecosystem}:`, `${ecosystem};`) as number;
}

/** Tries each URL in order; returns the first answer and which URL gave it. */
async function fromFirstSource(
  name: string,
  urls: string[],
  stored: SourceRow[],
  force: boolean,
  tmpDir: string,
  opts: UpdateOptions,
): Promise<{ url: string; result: Download }> {
  const failures: string[] = [];
  for (const [i, url] of urls.entries()) {
    // Validators are only meaningful against the URL that issued them, and only when every part
    // of the group was fetched with the same ones.
    const same = !force && stored.length > 0 && stored.every((s) => s.url === url && s.etag === stored[0]!.etag && s.lastModified === stored[0]!.lastModified);
    const v: Validators = {};
    if (same && stored[0]!.etag) v.etag = stored[0]!.etag;
    if (same && stored[0]!.lastModified) v.lastModified = stored[0]!.lastModified;
    opts.onEvent?.({ type: 'start', source: name, url });
    try {
      const result = await download(url, v, tmpDir, {
        ...opts.fetch,
        onBytes: (received, total) => opts.onEvent?.({ type: 'bytes', source: name, received, total }),
        log: (message) => opts.onEvent?.({ type: 'retry', source: name, message }),
      });
      return { url, result };
    } catch (err) {
      const message = errorMessage(err);
      failures.push(`${url}: ${message}`);
      if (i + 1 < urls.length) opts.onEvent?.({ type: 'fallback', source: name, url: urls[i + 1]!, message });
    }
  }
  throw new PortcullisError(`every source failed: ${failures.join('; ')}`, { subject: name });
}

/**
 * Updates the DB at `opts.dbPath`. Throws PortcullisError when a needed source cannot be fetched
 * from any URL; the existing DB is then untouched (and stays usable throughout).
 */
export async function updateDb(opts: UpdateOptions): Promise<UpdateResult> {
  const build = beginBuild(opts.dbPath);
  const tmpDir = tempPrefix(opts.dbPath);
  const temps: string[] = [];
  try {
    const writer = new DbWriter(build.db);
    const ecosystems = [...new Set(opts.ecosystems?.length ? opts.ecosystems : ecosystemsToRefresh(build.db))];
    if (ecosystems.length === 0 && !opts.enrichment) {
      throw new PortcullisError('no ecosystems to update: name them with --ecosystem (e.g. --ecosystem Debian:12 --ecosystem npm)', { subject: opts.dbPath });
    }
    const templates = [...(opts.sources?.length ? opts.sources : [OSV_BUCKET]), ...(opts.mirrors ?? [])];
    const groups = new Map<string, string[]>();
    for (const e of ecosystems) groups.set(mainEcosystem(e), [...(groups.get(mainEcosystem(e)) ?? []), e]);
    const result: UpdateResult = { sources: [] };
    const now = () => new Date().toISOString();

    for (const [main, filters] of groups) {
      const name = filters.length === 1 ? `osv:${filters[0]}` : `osv:${main} (${filters.join(', ')})`;
      const stored = filters.map((f) => writer.getSource(`osv:${f}`)).filter((s): s is SourceRow => s !== undefined);
      const complete = stored.length === filters.length;
      const { url, result: got } = await fromFirstSource(name, templates.map((t) => expand(t, main)), complete ? stored : [], opts.force ?? false, tmpDir, opts);
      let bytes = 0;
      let status: 'updated' | 'unchanged' = 'unchanged';
      if (got.kind === 'ok') {
        temps.push(got.file);
        bytes = got.bytes;
        status = 'updated';
        // A filter equal to the main ecosystem keeps everything in the archive.
        const importer = new Importer(writer, { source: `osv:${main}`, ecosystems: filters.includes(main) ? [] : filters, warn: opts.warn });
        await importer.zip(got.file);
        writer.flush();
        rmSync(got.file, { force: true });
      }
      let records = 0;
      for (const f of filters) {
        const old = stored.find((s) => s.name === `osv:${f}`);
        const n = countInEcosystem(build.db, f);
        records += n;
        const row: SourceRow = { name: `osv:${f}`, kind: 'osv', url, fetchedAt: now(), records: n };
        const etag = got.kind === 'ok' ? got.etag : old?.etag;
        const lm = got.kind === 'ok' ? got.lastModified : old?.lastModified;
        if (etag) row.etag = etag;
        if (lm) row.lastModified = lm;
        // How current the archive is: when its server last changed it, and at least as new as
        // its newest record (docs/database.md, Freshness) — not the time of this download.
        const dataDate = laterOf(lastModifiedIso(lm), newestIn(build.db, f));
        if (dataDate) row.dataDate = dataDate;
        writer.setSource(row);
      }
      opts.onEvent?.({ type: 'done', source: name, url, status, records, bytes });
      result.sources.push({ name, url, status, records, bytes });
    }

    if (opts.enrichment) {
      for (const [kind, urls] of [
        ['kev', opts.kevUrls?.length ? opts.kevUrls : [KEV_URL]],
        ['epss', opts.epssUrls?.length ? opts.epssUrls : [EPSS_URL]],
      ] as const) {
        const old = writer.getSource(kind);
        const { url, result: got } = await fromFirstSource(kind, urls, old ? [old] : [], opts.force ?? false, tmpDir, opts);
        let records = old?.records ?? 0;
        let bytes = 0;
        const row: SourceRow = { name: kind, kind, url, fetchedAt: now(), records };
        if (got.kind === 'ok') {
          temps.push(got.file);
          bytes = got.bytes;
          const importer = new Importer(writer, { source: kind, replaceEnrichment: true, warn: opts.warn });
          await importer.path(got.file);
          writer.flush();
          rmSync(got.file, { force: true });
          records = kind === 'kev' ? importer.stats.kev : importer.stats.epss;
          if (records === 0) throw new PortcullisError(`the ${kind.toUpperCase()} feed held no entries`, { subject: url });
          row.records = records;
          if (got.etag) row.etag = got.etag;
          if (got.lastModified) row.lastModified = got.lastModified;
          // A feed fetched from its URL is current as of the fetch: KEV is released only when
          // entries are added (days may pass), so its own date says when it last changed, not
          // whether it is current (docs/database.md, Freshness). Imported feed files are dated by
          // what they state.
          row.dataDate = row.fetchedAt;
        } else {
          if (old?.etag) row.etag = old.etag;
          if (old?.lastModified) row.lastModified = old.lastModified;
          row.dataDate = row.fetchedAt; // 304: the server confirmed this is its current feed
        }
        writer.setSource(row);
        const status = got.kind === 'ok' ? 'updated' : 'unchanged';
        opts.onEvent?.({ type: 'done', source: kind, url, status, records, bytes });
        result.sources.push({ name: kind, url, status, records, bytes });
      }
    }
    writer.finish();
    settleImportSources(build.db);
    build.publish();
    return result;
  } catch (err) {
    build.discard();
    throw err;
  } finally {
    for (const t of temps) rmSync(t, { force: true });
  }
}

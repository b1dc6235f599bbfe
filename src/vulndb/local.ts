// The local SQLite file as a VulnSource: prepared point queries on (name, ecosystem).
import type { EcosystemData } from '../model/coverage.js';
import type { Cvss, KevEntry } from '../model/finding.js';
import type { OsvRecord } from '../model/osv.js';
import type { DbSummary } from '../model/report.js';
import { PortcullisError, errorMessage } from '../errors.js';
import { lookupKey, normalisePackageName, type Enrichment, type PackageQuery, type VulnSource } from './source.js';
import { dataDateOf } from './freshness.js';
import { heldEcosystems, readCoverage } from './stats.js';
import { countIntel, openReadonly, type Db } from './store.js';
import { CVSS_CALCULATOR_ID, type CvssScore } from '../cvss/vectors.js';

export interface SourceInfo {
  name: string;
  kind: string;
  url?: string;
  etag?: string;
  lastModified?: string;
  fetchedAt: string;
  records: number;
  /** How current the source's data is (docs/database.md, Freshness). */
  dataDate?: string;
}

/** One ecosystem the DB holds records of (`db status`). */
export interface HeldEcosystem {
  ecosystem: string;
  records: number;
  sources: string[];
  dataDate?: string;
}

export interface LocalDb extends VulnSource {
  readonly path: string;
  /** Every source with its fetch time and record count. */
  sources(): SourceInfo[];
  /** Counts of the stored tables. */
  counts(): { records: number; withdrawn: number; kev: number; epss: number; nvd: number };
  /** A record by id, or by an alias when no record has that id (withdrawn ones included). */
  getRecord(idOrAlias: string): OsvRecord | undefined;
  /** All ids of the stored records (tests, diagnostics). */
  ids(): string[];
  /** The synchronous core of lookup (the server uses it). Returned records are frozen and shared. */
  lookupSync(queries: PackageQuery[]): Map<string, OsvRecord[]>;
  enrichSync(ids: string[]): Map<string, Enrichment>;
  /** The synchronous core of cvssScores (the server uses it). */
  cvssScoresSync(vectors: string[]): Map<string, CvssScore | null>;
  modifiedOf(id: string): string | undefined;
  coverageSync(ecosystems: string[]): Map<string, EcosystemData>;
  /** Every ecosystem named by a live record's affected entry, with its counts and data date. */
  ecosystems(): HeldEcosystem[];
}

/** `openLocalDb(path)`: read-only; throws PortcullisError when missing, not ours, or corrupt. */
export function openLocalDb(path: string): LocalDb {
  const db = openReadonly(path);
  return new SqliteSource(db, path);
}

class SqliteSource implements LocalDb {
  private readonly q;

  constructor(private readonly db: Db, readonly path: string) {
    this.q = {
      // One statement for a whole scan's queries: the per-call and per-row costs of thousands of
      // point queries dwarf the index searches themselves. `?` is a JSON array of [name,
      // ecosystem]; a record's ecosystem answers when equal or when it extends the queried one
      // past a ':'. One row per query that has records: its index and the rids, comma-joined.
      // Withdrawn records are dropped after parsing (the column mirrors the record's field).
      lookup: db.prepare(
        `SELECT q.key, group_concat(a.rid)
         FROM json_each(?) q
         JOIN affected a ON a.name = q.value ->> 0
           AND (a.ecosystem = q.value ->> 1 OR (a.ecosystem > (q.value ->> 1) || ':' AND a.ecosystem < (q.value ->> 1) || ';'))
         GROUP BY q.key`,
      ).raw(),
      jsonOf: db.prepare('SELECT json FROM records WHERE rid = ?').pluck(),
      byId: db.prepare('SELECT json FROM records WHERE id = ?'),
      byAlias: db.prepare('SELECT r.json FROM aliases a JOIN records r ON r.rid = a.rid WHERE a.alias = ? ORDER BY r.withdrawn, r.id LIMIT 1'),
      modified: db.prepare('SELECT modified FROM records WHERE id = ?'),
      ids: db.prepare('SELECT id FROM records ORDER BY id').pluck(),
      kev: db.prepare('SELECT cve, json FROM kev WHERE cve IN (SELECT value FROM json_each(?))').raw(),
      epss: db.prepare('SELECT cve, score, percentile, date FROM epss WHERE cve IN (SELECT value FROM json_each(?))').raw(),
      nvd: db.prepare('SELECT cve, json FROM nvd WHERE cve IN (SELECT value FROM json_each(?))').raw(),
      sources: db.prepare('SELECT name, kind, url, etag, last_modified AS lastModified, fetched_at AS fetchedAt, records, data_date AS dataDate FROM sources ORDER BY name'),
      builtAt: db.prepare("SELECT value FROM meta WHERE key = 'built_at'").pluck(),
      cvssCalculator: db.prepare("SELECT value FROM meta WHERE key = 'cvss_calculator'").pluck(),
    };
  }

  /** Scores a scan may use: the DB's when our calculator made them (undefined: none). */
  private cvssStmt: ReturnType<Db['prepare']> | null | undefined;

  async cvssScores(vectors: string[]): Promise<Map<string, CvssScore | null>> {
    return this.cvssScoresSync(vectors);
  }

  cvssScoresSync(vectors: string[]): Map<string, CvssScore | null> {
    return this.guard(() => {
      const out = new Map<string, CvssScore | null>();
      if (this.cvssStmt === undefined) {
        this.cvssStmt =
          this.q.cvssCalculator.get() === CVSS_CALCULATOR_ID
            ? this.db.prepare('SELECT vector, version, score FROM cvss WHERE vector IN (SELECT value FROM json_each(?))').raw()
            : null;
      }
      if (this.cvssStmt === null || vectors.length === 0) return out;
      for (const [vector, version, score] of this.cvssStmt.all(JSON.stringify(vectors)) as [string, CvssScore['version'] | null, number | null][]) {
        out.set(vector, version !== null && score !== null ? { version, score } : null);
      }
      return out;
    });
  }

  /**
   * Parsed records by rowid, bounded. The file never changes under an open handle (updates
   * publish a new file), so entries never go stale. Records are frozen: callers share them.
   */
  private readonly cache = new Map<number, OsvRecord>();

  private record(rid: number): OsvRecord {
    let r = this.cache.get(rid);
    if (!r) {
      r = deepFreeze(JSON.parse(this.q.jsonOf.get(rid) as string) as OsvRecord);
      if (this.cache.size >= 50_000) this.cache.delete(this.cache.keys().next().value as number);
      this.cache.set(rid, r);
    }
    return r;
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof PortcullisError) throw err;
      throw new PortcullisError(`database read failed (corrupt file?): ${errorMessage(err)}`, { subject: this.path, cause: err });
    }
  }

  /** The file never changes under an open handle: the summary is computed once. */
  private summaryCache: DbSummary | undefined;

  summary(): DbSummary {
    return this.guard(() => {
      if (this.summaryCache) return structuredClone(this.summaryCache);
      const sources = this.sources();
      const builtAt = this.q.builtAt.get() as string | undefined;
      const times = sources.map((s) => s.fetchedAt).sort();
      const s: DbSummary = {
        location: `file:${this.path}`,
        sources: sources.map((x) => ({ name: x.name, fetchedAt: x.fetchedAt, records: x.records, ...(x.dataDate ? { dataDate: x.dataDate } : {}) })),
      };
      if (builtAt) s.builtAt = builtAt;
      if (times[0]) s.updatedAt = times[0];
      const dataDate = dataDateOf(s.sources);
      if (dataDate) s.dataDate = dataDate;
      const { kev, epss, nvd } = this.intelCounts();
      s.intel = { kev, epss, nvd };
      this.summaryCache = s;
      return structuredClone(s);
    });
  }

  sources(): SourceInfo[] {
    return this.guard(() =>
      (this.q.sources.all() as (SourceInfo & { url: string | null; etag: string | null; lastModified: string | null; dataDate: string | null })[]).map((r) => {
        const s: SourceInfo = { name: r.name, kind: r.kind, fetchedAt: r.fetchedAt, records: r.records };
        if (r.url) s.url = r.url;
        if (r.etag) s.etag = r.etag;
        if (r.lastModified) s.lastModified = r.lastModified;
        if (r.dataDate) s.dataDate = r.dataDate;
        return s;
      }),
    );
  }

  /** As counted when the file was published; a file from before that was stored is counted now. */
  private intelCounts(): { kev: number; epss: number; nvd: number } {
    const stored = this.db.prepare("SELECT value FROM meta WHERE key = 'intel_counts'").pluck().get() as string | undefined;
    if (stored !== undefined) {
      const c = JSON.parse(stored) as Record<string, unknown>;
      const n = (x: unknown) => (Number.isSafeInteger(x) && (x as number) >= 0 ? (x as number) : undefined);
      const kev = n(c.kev), epss = n(c.epss), nvd = n(c.nvd);
      if (kev !== undefined && epss !== undefined && nvd !== undefined) return { kev, epss, nvd };
      throw new PortcullisError("database read failed (corrupt file?): meta 'intel_counts' is not three counts", { subject: this.path });
    }
    return countIntel(this.db);
  }

  coverageSync(ecosystems: string[]): Map<string, EcosystemData> {
    return this.guard(() => readCoverage(this.db, ecosystems));
  }

  async coverage(ecosystems: string[]): Promise<Map<string, EcosystemData>> {
    return this.coverageSync(ecosystems);
  }

  ecosystems(): HeldEcosystem[] {
    return this.guard(() => {
      const out = new Map<string, HeldEcosystem>();
      for (const row of heldEcosystems(this.db)) {
        let e = out.get(row.ecosystem);
        if (!e) out.set(row.ecosystem, (e = { ecosystem: row.ecosystem, records: 0, sources: [] }));
        e.records += row.records;
        e.sources.push(row.source);
        if (row.modified && (!e.dataDate || row.modified > e.dataDate)) e.dataDate = row.modified;
      }
      return [...out.values()];
    });
  }

  counts() {
    return this.guard(() => {
      const one = (sql: string) => this.db.prepare(sql).pluck().get() as number;
      return {
        records: one('SELECT count(*) FROM records'),
        withdrawn: one('SELECT count(*) FROM records WHERE withdrawn = 1'),
        ...this.intelCounts(),
      };
    });
  }

  lookupSync(queries: PackageQuery[]): Map<string, OsvRecord[]> {
    return this.guard(() => {
      const out = new Map<string, OsvRecord[]>();
      const keys: string[] = [];
      const args: [string, string][] = [];
      for (const query of queries) {
        const key = lookupKey(query);
        if (out.has(key)) continue;
        out.set(key, []);
        keys.push(key);
        args.push([normalisePackageName(query.ecosystem, query.name), query.ecosystem]);
      }
      if (args.length === 0) return out;
      for (const [i, joined] of this.q.lookup.all(JSON.stringify(args)) as [number, string][]) {
        const rids = [...new Set(joined.split(',').map(Number))].sort((x, y) => x - y);
        const list = out.get(keys[i]!)!;
        for (const rid of rids) {
          const record = this.record(rid);
          if (!record.withdrawn) list.push(record);
        }
      }
      return out;
    });
  }

  async lookup(queries: PackageQuery[]): Promise<Map<string, OsvRecord[]>> {
    return this.lookupSync(queries);
  }

  enrichSync(ids: string[]): Map<string, Enrichment> {
    return this.guard(() => {
      const out = new Map<string, Enrichment>();
      if (ids.length === 0) return out;
      const arg = JSON.stringify([...new Set(ids)]);
      const entry = (cve: string): Enrichment => {
        let e = out.get(cve);
        if (!e) out.set(cve, (e = {}));
        return e;
      };
      for (const [cve, json] of this.q.kev.all(arg) as [string, string][]) entry(cve).kev = JSON.parse(json) as KevEntry;
      for (const [cve, score, percentile, date] of this.q.epss.all(arg) as [string, number, number, string | null][]) {
        entry(cve).epss = date ? { score, percentile, date } : { score, percentile };
      }
      for (const [cve, json] of this.q.nvd.all(arg) as [string, string][]) entry(cve).nvd = JSON.parse(json) as Cvss[];
      return out;
    });
  }

  async enrich(ids: string[]): Promise<Map<string, Enrichment>> {
    return this.enrichSync(ids);
  }

  getRecord(idOrAlias: string): OsvRecord | undefined {
    return this.guard(() => {
      const row = (this.q.byId.get(idOrAlias) ?? this.q.byAlias.get(idOrAlias)) as { json: string } | undefined;
      return row ? (JSON.parse(row.json) as OsvRecord) : undefined;
    });
  }

  modifiedOf(id: string): string | undefined {
    return (this.q.modified.get(id) as { modified: string } | undefined)?.modified;
  }

  ids(): string[] {
    return this.guard(() => this.q.ids.all() as string[]);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

// Per-ecosystem statistics (the `ecosystem_stats` table): what coverage() reads. Kept up to date
// by the writer record by record (a delta per batch), so a coverage question costs one indexed
// read per ecosystem however many affected rows the DB holds.
import type { EcosystemData } from '../model/coverage.js';
import type { Db } from './store.js';

/** ISO 8601 in UTC when parseable (so string order is time order), else as written. */
export function normaliseTime(t: string): string {
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : t;
}

/** The later of two times (either may be absent). */
export function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return normaliseTime(a) >= normaliseTime(b) ? a : b;
}

/**
 * Every stats key a record with these affected ecosystems counts under: each ecosystem (exact),
 * each of its prefixes ending before a ':' (the queries `ecosystemMatches` lets it answer), and ''
 * (the whole source). Value: whether the key is itself an affected ecosystem.
 */
export function statsKeys(ecosystems: Iterable<string>): Map<string, boolean> {
  const out = new Map<string, boolean>([['', false]]);
  for (const e of ecosystems) {
    out.set(e, true);
    for (let i = e.indexOf(':'); i >= 0; i = e.indexOf(':', i + 1)) {
      const k = e.slice(0, i);
      if (!out.has(k)) out.set(k, false);
    }
  }
  return out;
}

interface Delta {
  records: number;
  modified: string | undefined;
  exact: boolean;
}

/** Accumulated changes of one batch, applied in the batch's transaction. */
export class StatsDelta {
  private readonly deltas = new Map<string, Delta>();

  /** `records` +1 / -1 for a live record, 0 for one that only dates the data (withdrawn). */
  add(ecosystems: Iterable<string>, source: string, records: number, modified: string | undefined): void {
    const m = modified === undefined ? undefined : normaliseTime(modified);
    for (const [key, exact] of statsKeys(ecosystems)) {
      const id = `${key}\u0000${source}`;
      let d = this.deltas.get(id);
      if (!d) this.deltas.set(id, (d = { records: 0, modified: undefined, exact: false }));
      d.records += records;
      if (m !== undefined && (d.modified === undefined || m > d.modified)) d.modified = m;
      d.exact ||= exact;
    }
  }

  get size(): number {
    return this.deltas.size;
  }

  apply(db: Db): void {
    if (this.deltas.size === 0) return;
    const stmt = db.prepare(
      `INSERT INTO ecosystem_stats (ecosystem, source, records, modified, exact) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (ecosystem, source) DO UPDATE SET
         records = records + excluded.records,
         modified = nullif(max(coalesce(modified, ''), coalesce(excluded.modified, '')), ''),
         exact = max(exact, excluded.exact)`,
    );
    for (const [id, d] of this.deltas) {
      const [key, source] = id.split('\u0000') as [string, string];
      stmt.run(key, source, d.records, d.modified ?? null, d.exact ? 1 : 0);
    }
    this.deltas.clear();
  }
}

/** Drops keys that no longer hold a live record (called before a build is published). */
export function pruneStats(db: Db): void {
  db.exec('DELETE FROM ecosystem_stats WHERE records <= 0');
}

/**
 * Recomputes the whole table from the records (upgrading a schema-1 file, which had none): one
 * pass over the affected rows in record order.
 */
export function rebuildEcosystemStats(db: Db): void {
  db.exec('DELETE FROM ecosystem_stats');
  const delta = new StatsDelta();
  let rid = -1;
  let ecos: string[] = [];
  let meta: { source: string; modified: string; withdrawn: number } | undefined;
  const emit = () => {
    if (meta) delta.add(ecos, meta.source, meta.withdrawn ? 0 : 1, meta.modified);
  };
  const rows = db
    .prepare('SELECT a.rid, a.ecosystem, r.source, r.modified, r.withdrawn FROM affected a JOIN records r ON r.rid = a.rid ORDER BY a.rid')
    .raw()
    .iterate() as IterableIterator<[number, string, string | null, string, number]>;
  for (const [r, ecosystem, source, modified, withdrawn] of rows) {
    if (r !== rid) {
      emit();
      rid = r;
      ecos = [];
      meta = { source: source ?? '', modified, withdrawn };
    }
    ecos.push(ecosystem);
  }
  emit();
  db.exec('BEGIN');
  delta.apply(db);
  pruneStats(db);
  db.exec('COMMIT');
}

/** What the DB holds for each queried ecosystem (the prefix rule of lookups). */
export function readCoverage(db: Db, ecosystems: readonly string[]): Map<string, EcosystemData> {
  const stmt = db.prepare("SELECT source, records, modified FROM ecosystem_stats WHERE ecosystem = ? AND records > 0 ORDER BY source").raw();
  const out = new Map<string, EcosystemData>();
  for (const e of ecosystems) {
    if (out.has(e)) continue;
    // '' is the whole-source key, never an ecosystem: a query for it holds nothing.
    const rows = e === '' ? [] : (stmt.all(e) as [string, number, string | null][]);
    const data: EcosystemData = { records: 0, sources: [] };
    for (const [source, records, modified] of rows) {
      data.records += records;
      data.sources.push(source);
      const date = laterOf(data.dataDate, modified ?? undefined);
      if (date !== undefined) data.dataDate = date;
    }
    out.set(e, data);
  }
  return out;
}

/** Live records per source ('' key), for sources whose records are attributed to them by name. */
export function liveRecordsBySource(db: Db): Map<string, { records: number; modified?: string }> {
  const out = new Map<string, { records: number; modified?: string }>();
  for (const [source, records, modified] of db.prepare("SELECT source, records, modified FROM ecosystem_stats WHERE ecosystem = ''").raw().all() as [string, number, string | null][]) {
    out.set(source, modified ? { records, modified } : { records });
  }
  return out;
}

/** Exact ecosystems held (live records), with the sources they came from. */
export function heldEcosystems(db: Db): { ecosystem: string; source: string; records: number; modified?: string }[] {
  return (db.prepare('SELECT ecosystem, source, records, modified FROM ecosystem_stats WHERE exact = 1 AND records > 0 ORDER BY ecosystem, source').raw().all() as [string, string, number, string | null][]).map(
    ([ecosystem, source, records, modified]) => (modified ? { ecosystem, source, records, modified } : { ecosystem, source, records }),
  );
}

/**
 * Import sources count the records still attributed to them; one whose every record was since
 * delivered again by another source (a `db update` of the same ecosystem) holds nothing and is
 * dropped, so its old data date no longer counts for freshness.
 */
export function settleImportSources(db: Db): void {
  const live = liveRecordsBySource(db);
  for (const name of db.prepare("SELECT name FROM sources WHERE kind = 'import'").pluck().all() as string[]) {
    const n = live.get(name)?.records ?? 0;
    if (n > 0) db.prepare('UPDATE sources SET records = ? WHERE name = ?').run(n, name);
    else db.prepare('DELETE FROM sources WHERE name = ?').run(name);
  }
}

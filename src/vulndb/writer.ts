// Writes records and enrichment into a build DB with prepared statements, one transaction per batch.
import type { OsvRecord } from '../model/osv.js';
import type { Db } from './store.js';
import { normalisePackageName } from './source.js';
import type { EpssRow, KevRow, NvdRow } from './enrichment-parse.js';
import { pruneStats, StatsDelta } from './stats.js';
import { CVSS_CALCULATOR_ID, cvssVectorsOfRecords } from '../cvss/vectors.js';
import { scoreVector } from '../cvss/calculator.js';

/** `moved`: the same record (same modified and content) now attributed to this source. */
export type UpsertResult = 'added' | 'replaced' | 'kept' | 'moved';

export interface SourceRow {
  name: string;
  kind: 'osv' | 'kev' | 'epss' | 'nvd' | 'import';
  url?: string;
  etag?: string;
  lastModified?: string;
  fetchedAt: string;
  records: number;
  /** How current the data is (docs/database.md, Freshness); absent when unknown. */
  dataDate?: string;
}

const BATCH = 2000;

function newerOrEqual(a: string, b: string): number {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (Number.isFinite(ta) && Number.isFinite(tb)) return Math.sign(ta - tb);
  return a < b ? -1 : a > b ? 1 : 0;
}

export class DbWriter {
  private pending = 0;
  private readonly stmt;
  private inTx = false;
  private readonly stats = new StatsDelta();
  /** True once a record or feed row was written (a build with no such change need not be published). */
  changed = false;

  constructor(private readonly db: Db) {
    this.stmt = {
      find: db.prepare('SELECT rid, modified, withdrawn, source, json FROM records WHERE id = ?'),
      ecosystemsOf: db.prepare('SELECT DISTINCT ecosystem FROM affected WHERE rid = ?').pluck(),
      setRecordSource: db.prepare('UPDATE records SET source = ? WHERE rid = ?'),
      insert: db.prepare('INSERT INTO records (id, modified, withdrawn, source, json) VALUES (?, ?, ?, ?, ?)'),
      update: db.prepare('UPDATE records SET modified = ?, withdrawn = ?, source = ?, json = ? WHERE rid = ?'),
      delAffected: db.prepare('DELETE FROM affected WHERE rid = ?'),
      delAliases: db.prepare('DELETE FROM aliases WHERE rid = ?'),
      addAffected: db.prepare('INSERT OR IGNORE INTO affected (name, ecosystem, rid) VALUES (?, ?, ?)'),
      addAlias: db.prepare('INSERT OR IGNORE INTO aliases (alias, rid) VALUES (?, ?)'),
      kev: db.prepare('INSERT OR REPLACE INTO kev (cve, json) VALUES (?, ?)'),
      epss: db.prepare('INSERT OR REPLACE INTO epss (cve, score, percentile, date) VALUES (?, ?, ?, ?)'),
      nvd: db.prepare('INSERT OR REPLACE INTO nvd (cve, json) VALUES (?, ?)'),
      source: db.prepare(
        'INSERT OR REPLACE INTO sources (name, kind, url, etag, last_modified, fetched_at, records, data_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      getSource: db.prepare('SELECT name, kind, url, etag, last_modified AS lastModified, fetched_at AS fetchedAt, records, data_date AS dataDate FROM sources WHERE name = ?'),
      cvss: db.prepare('INSERT OR IGNORE INTO cvss (vector, version, score) VALUES (?, ?, ?)'),
    };
    this.rescoreIfStale();
  }

  /**
   * A DB scored by another calculator (or before the cvss table existed) is scored again, whole,
   * with ours: a scan trusts the table only when the DB names the calculator the scan carries.
   */
  private rescoreIfStale(): void {
    const meta = this.db.prepare("SELECT value FROM meta WHERE key = 'cvss_calculator'").pluck();
    if (meta.get() === CVSS_CALCULATOR_ID) return;
    this.db.exec('BEGIN');
    try {
      this.db.exec('DELETE FROM cvss');
      const vectors = new Set<string>();
      for (const json of this.db.prepare('SELECT json FROM records').pluck().iterate() as IterableIterator<string>) {
        cvssVectorsOfRecords([JSON.parse(json) as OsvRecord], vectors);
      }
      for (const v of vectors) this.scoreVector(v);
      this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('cvss_calculator', ?)").run(CVSS_CALCULATOR_ID);
      this.db.exec('COMMIT');
      // Published even when nothing else changes (an import of records it already holds).
      if (vectors.size > 0) this.changed = true;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Vectors this writer has stored: an import meets the same few vectors in thousands of records. */
  private readonly scored = new Set<string>();

  private scoreVector(vector: string): void {
    if (this.scored.has(vector)) return;
    this.scored.add(vector);
    const s = scoreVector(vector);
    this.stmt.cvss.run(vector, s?.version ?? null, s?.score ?? null);
  }

  /** Before each write: commits a full batch, then makes sure the write is inside a transaction. */
  private tick(): void {
    this.changed = true;
    if (this.pending >= BATCH) this.flush();
    if (!this.inTx) {
      this.db.exec('BEGIN');
      this.inTx = true;
    }
    this.pending++;
  }

  /** Commits the open batch, with the statistics of its records. */
  flush(): void {
    this.stats.apply(this.db);
    if (this.inTx) this.db.exec('COMMIT');
    this.inTx = false;
    this.pending = 0;
  }

  /**
   * A newer `modified` replaces; an older one never does; an equal one replaces when the content
   * differs. The same record delivered again by another source (an import, then the same record in a
   * fetched all.zip) is attributed to the newer delivery: a source's records are then the ones it
   * still supplies, and an import superseded by `db update` stops counting for freshness. Every
   * write goes with its change of the per-ecosystem statistics, applied in the same batch.
   */
  upsert(record: OsvRecord, source: string, json = JSON.stringify(record)): UpsertResult {
    const s = this.stmt;
    const withdrawn = record.withdrawn ? 1 : 0;
    const old = s.find.get(record.id) as { rid: number; modified: string; withdrawn: number; source: string | null; json: string } | undefined;
    let rid: number;
    let result: UpsertResult;
    if (old) {
      const cmp = newerOrEqual(record.modified, old.modified);
      if (cmp < 0) return 'kept';
      if (cmp === 0 && old.json === json) {
        if (old.source === source) return 'kept';
        this.tick();
        const ecos = s.ecosystemsOf.all(old.rid) as string[];
        if (!old.withdrawn) this.stats.add(ecos, old.source ?? '', -1, undefined);
        this.stats.add(ecos, source, old.withdrawn ? 0 : 1, old.modified);
        s.setRecordSource.run(source, old.rid);
        return 'moved';
      }
      this.tick();
      if (!old.withdrawn) this.stats.add(s.ecosystemsOf.all(old.rid) as string[], old.source ?? '', -1, undefined);
      s.update.run(record.modified, withdrawn, source, json, old.rid);
      s.delAffected.run(old.rid);
      s.delAliases.run(old.rid);
      rid = old.rid;
      result = 'replaced';
    } else {
      this.tick();
      rid = Number(s.insert.run(record.id, record.modified, withdrawn, source, json).lastInsertRowid);
      result = 'added';
    }
    const ecos = new Set<string>();
    for (const a of record.affected ?? []) {
      const p = a.package;
      if (p) {
        s.addAffected.run(normalisePackageName(p.ecosystem, p.name), p.ecosystem, rid);
        ecos.add(p.ecosystem);
      }
    }
    // A withdrawn record holds nothing a lookup returns, but its date still dates the data.
    this.stats.add(ecos, source, withdrawn ? 0 : 1, record.modified);
    for (const alias of record.aliases ?? []) s.addAlias.run(alias, rid);
    // Scores of a replaced record's old vectors stay: a score depends on the vector alone.
    for (const v of cvssVectorsOfRecords([record])) this.scoreVector(v);
    return result;
  }

  kev(row: KevRow): void {
    this.tick();
    this.stmt.kev.run(row.cve, JSON.stringify(row.entry));
  }

  epss(row: EpssRow): void {
    this.tick();
    this.stmt.epss.run(row.cve, row.score, row.percentile, row.date ?? null);
  }

  nvd(row: NvdRow): void {
    this.tick();
    this.stmt.nvd.run(row.cve, JSON.stringify(row.cvss));
  }

  /** Removes every KEV / EPSS row before a full refresh of that feed. */
  clearEnrichment(kind: 'kev' | 'epss'): void {
    this.flush();
    this.db.exec(`DELETE FROM ${kind}`);
  }

  setSource(row: SourceRow): void {
    this.flush();
    this.stmt.source.run(row.name, row.kind, row.url ?? null, row.etag ?? null, row.lastModified ?? null, row.fetchedAt, row.records, row.dataDate ?? null);
  }

  /** Commits, and drops stats keys left without a live record; call before publishing. */
  finish(): void {
    this.flush();
    pruneStats(this.db);
  }

  getSource(name: string): SourceRow | undefined {
    return this.stmt.getSource.get(name) as SourceRow | undefined;
  }
}

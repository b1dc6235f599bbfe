// Opening, verifying and atomically replacing the SQLite file. The published file is never written
// in place: every change is built in a temp file beside it and renamed over it when complete, so a
// reader (or `db serve`) holding the old file keeps a consistent view, and a killed update leaves
// the old file intact.
import { openSqlite, type SqliteDatabase } from '../util/sqlite.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PortcullisError, errorMessage } from '../errors.js';
import { APPLICATION_ID, DB_SCHEMA_VERSION, DDL, UPGRADABLE_SCHEMA_VERSIONS } from './schema.js';
import { rebuildEcosystemStats } from './stats.js';

export type Db = SqliteDatabase;

function notOurs(path: string, why: string, cause?: unknown): PortcullisError {
  return new PortcullisError(`not a portcullis vulnerability database (${why}); remove it or choose another --db`, { subject: path, cause });
}

/**
 * Throws unless `db` has our application id and schema version (or, with `upgradable`, one a
 * build can upgrade). Reads only. Returns the file's schema version.
 */
function verify(db: Db, path: string, upgradable = false): number {
  let appId: unknown;
  try {
    appId = db.pragma('application_id', { simple: true });
  } catch (err) {
    throw notOurs(path, errorMessage(err).toLowerCase().includes('not a database') ? 'not SQLite, or corrupt' : errorMessage(err), err);
  }
  if (appId !== APPLICATION_ID) throw notOurs(path, 'a SQLite file of another program');
  let version: string | undefined;
  try {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    version = row?.value;
  } catch (err) {
    throw notOurs(path, `unreadable: ${errorMessage(err)}`, err);
  }
  if (version === String(DB_SCHEMA_VERSION)) return DB_SCHEMA_VERSION;
  const old = UPGRADABLE_SCHEMA_VERSIONS.find((v) => String(v) === version);
  if (old !== undefined && upgradable) return old;
  if (old !== undefined) {
    // Schema 1 has no per-ecosystem statistics: read as it is, its coverage would be unknown.
    throw new PortcullisError(
      `database schema ${version} is older than this portcullis reads (${DB_SCHEMA_VERSION}: per-ecosystem coverage and data dates); run \`portcullis db update\` (or \`db import\`) on it once to upgrade it`,
      { subject: path },
    );
  }
  throw new PortcullisError(
    `database schema ${version ?? 'unknown'} is not the one this portcullis reads (${DB_SCHEMA_VERSION}); rebuild it with \`portcullis db update\` or \`db import\` into a new --db`,
    { subject: path },
  );
}

/** Opens an existing DB read-only (never creates or modifies the file). */
export function openReadonly(path: string): Db {
  return openChecked(path, false).db;
}

function openChecked(path: string, upgradable: boolean): { db: Db; version: number } {
  if (!existsSync(path)) {
    throw new PortcullisError('no vulnerability database here; run `portcullis db update --ecosystem ECOSYSTEM` or `portcullis db import FILES`', { subject: path });
  }
  if (!statSync(path).isFile()) throw notOurs(path, 'not a regular file');
  let db: Db;
  try {
    db = openSqlite(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw notOurs(path, errorMessage(err), err);
  }
  try {
    const version = verify(db, path, upgradable);
    db.pragma('busy_timeout = 5000');
    return { db, version };
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Schema 1 -> 2, on a build copy: the `data_date` column of sources and the per-ecosystem
 * statistics, computed from the records (what the writer keeps up to date from then on). A source's
 * data date is what can be known afterwards: the newest `modified` of its records, or the
 * Last-Modified of a download.
 */
function upgrade(db: Db, from: number): void {
  if (from === 1) {
    db.exec('ALTER TABLE sources ADD COLUMN data_date TEXT');
    db.exec(DDL);
    rebuildEcosystemStats(db);
    const newestIn = db.prepare('SELECT max(modified) FROM ecosystem_stats WHERE ecosystem = ?').pluck();
    for (const s of db.prepare('SELECT name, kind, last_modified AS lm FROM sources').all() as { name: string; kind: string; lm: string | null }[]) {
      let date: string | null = s.lm ? new Date(Date.parse(s.lm)).toISOString() : null;
      if (s.kind === 'import') date = (db.prepare("SELECT modified FROM ecosystem_stats WHERE ecosystem = '' AND source = ?").pluck().get(s.name) as string | null) ?? null;
      if (s.kind === 'osv' && !date) date = (newestIn.get(s.name.replace(/^osv:/, '')) as string | null) ?? null;
      db.prepare('UPDATE sources SET data_date = ? WHERE name = ?').run(date, s.name);
    }
  }
  db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(DB_SCHEMA_VERSION));
}

/**
 * What every temp file beside the DB at `path` starts with (builds, downloads), so the sweep below
 * finds the ones a killed run left.
 */
export function tempPrefix(path: string): string {
  return join(dirname(path), `.${basename(path)}.`);
}

/** Temp files of builds that were killed: removed when older than an hour. */
function sweepStaleTemps(path: string): void {
  const dir = dirname(path);
  const prefix = basename(tempPrefix(path));
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix) || !/\.tmp(-wal|-shm|-journal)?$/.test(name)) continue;
    const p = join(dir, name);
    try {
      if (Date.now() - statSync(p).mtimeMs > 3600_000) rmSync(p, { force: true });
    } catch {
      // raced with another sweeper
    }
  }
}

export interface DbBuild {
  db: Db;
  /** True when the build started from an existing DB (copy then update). */
  fromExisting: boolean;
  /** Renames the finished build over the published file. */
  publish(): void;
  /** Drops the build; the published file is untouched. */
  discard(): void;
}

/**
 * Starts a build beside `path`: a compact copy of the existing DB (VACUUM INTO, from a read-only
 * connection) or a fresh schema. WAL + busy_timeout while building; the published file is switched
 * to rollback-journal mode because SQLite's -wal/-shm files follow the path, not the file, and
 * would be shared wrongly between the old and new file after a rename.
 */
export function beginBuild(path: string, opts: { fresh?: boolean } = {}): DbBuild {
  mkdirSync(dirname(path), { recursive: true });
  sweepStaleTemps(path);
  const tmp = `${tempPrefix(path)}${randomBytes(6).toString('hex')}.tmp`;
  const fromExisting = existsSync(path) && !opts.fresh;
  let oldVersion = DB_SCHEMA_VERSION;
  if (existsSync(path)) {
    // Refuses a file that is not ours before anything is written.
    const { db: old, version } = openChecked(path, true);
    oldVersion = version;
    try {
      if (fromExisting) old.prepare('VACUUM INTO ?').run(tmp);
    } catch (err) {
      // Disk full / read-only directory: no temp file may stay behind, and the user gets one line.
      rmTemp(tmp);
      throw new PortcullisError(`cannot copy the database to build the update: ${errorMessage(err)}`, { subject: path, cause: err });
    } finally {
      old.close();
    }
  }
  let db: Db;
  try {
    db = openSqlite(tmp);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF'); // a crash loses only the temp file
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -65536');
    if (fromExisting && oldVersion !== DB_SCHEMA_VERSION) upgrade(db, oldVersion);
    // Tables added within a schema version (cvss); every statement is IF NOT EXISTS.
    if (fromExisting) db.exec(DDL);
    if (!fromExisting) {
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.exec(DDL);
      db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(DB_SCHEMA_VERSION));
    }
  } catch (err) {
    rmTemp(tmp);
    throw new PortcullisError(`cannot create the database: ${errorMessage(err)}`, { subject: tmp, cause: err });
  }
  let done = false;
  return {
    db,
    fromExisting,
    publish() {
      if (done) return;
      done = true;
      try {
        db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('built_at', new Date().toISOString());
        // Counted once here, not by every scan: count(*) walks the whole table (EPSS's ~290k rows
        // took ~80 ms from the page cache, ~240 ms from disk). The file never changes once published.
        db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('intel_counts', JSON.stringify(countIntel(db)));
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.pragma('journal_mode = DELETE');
        db.pragma('synchronous = FULL');
        db.exec('ANALYZE');
        db.close();
        renameSync(tmp, path);
      } catch (err) {
        if (db.open) db.close();
        rmTemp(tmp);
        throw new PortcullisError(`cannot publish the database: ${errorMessage(err)}`, { subject: path, cause: err });
      }
    },
    discard() {
      if (done) return;
      done = true;
      if (db.open) db.close();
      rmTemp(tmp);
    },
  };
}

function rmTemp(tmp: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(tmp + suffix, { force: true });
}

/** KEV, EPSS and NVD rows: what a DB's summary reports (stored at publish as meta 'intel_counts'). */
export function countIntel(db: Db): { kev: number; epss: number; nvd: number } {
  const one = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  return { kev: one('kev'), epss: one('epss'), nvd: one('nvd') };
}

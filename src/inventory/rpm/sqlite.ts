// Reads the header blobs of rpm's SQLite database (`rpmdb.sqlite`, rpm >= 4.16, Fedora/RHEL 9
// default): table `Packages (hnum INTEGER PRIMARY KEY, blob BLOB)`. The image bytes are opened
// in memory (better-sqlite3 deserialises a Buffer); nothing is written to disk.
import type Database from 'better-sqlite3';
import { lazyRequire } from '../../util/lazy-require.js';
import { MAX_BLOB_SIZE, type DbBlob, type DbReadResult } from './blobs.js';
import { foldWal } from './wal.js';
import { errorMessage } from '../../errors.js';

const sqlite = lazyRequire<typeof Database>('better-sqlite3');

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function looksLikeSqlite(data: Buffer): boolean {
  return data.length >= 100 && data.subarray(0, 16).equals(SQLITE_MAGIC);
}

/** `wal`: the `-wal` file beside the db, when the image has one (committed frames are folded in). */
export function readSqlite(data: Buffer, wal: Buffer | undefined, maxDbSize: number): DbReadResult {
  const blobs: DbBlob[] = [];
  const problems: string[] = [];
  let image = data;
  if (wal && wal.length > 0) {
    const folded = foldWal(data, wal, maxDbSize);
    if (folded.problem) problems.push(`ignoring the WAL: ${folded.problem}`);
    image = folded.db;
  }
  if (!looksLikeSqlite(image)) {
    problems.push(image.length === 0 ? 'the SQLite database is empty' : 'not an SQLite database (bad magic)');
    return { blobs, problems };
  }
  // Bytes 18/19 = 2 mark WAL mode; an in-memory image has no WAL, so mark it rollback-journal.
  if (image[18] === 2 || image[19] === 2) {
    if (image === data) image = Buffer.from(data);
    image[18] = 1;
    image[19] = 1;
  }
  let db: Database.Database | undefined;
  try {
    db = new (sqlite())(image, { readonly: true });
    const rows = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').raw(true).iterate() as IterableIterator<unknown[]>;
    for (const [hnum, blob] of rows) {
      if (!Buffer.isBuffer(blob)) {
        problems.push(`hnum ${String(hnum)}: blob is not binary`);
        continue;
      }
      if (blob.length > MAX_BLOB_SIZE) {
        problems.push(`hnum ${String(hnum)}: blob of ${blob.length} bytes exceeds the limit`);
        continue;
      }
      blobs.push({ blob, where: `hnum ${String(hnum)}` });
    }
  } catch (err) {
    problems.push(`SQLite error: ${errorMessage(err)}`);
  } finally {
    db?.close();
  }
  return { blobs, problems };
}

// Folds an SQLite write-ahead log into a copy of its database image, in memory. rpm opens its
// sqlite db in WAL mode; an image layer may carry `rpmdb.sqlite-wal` with committed transactions
// that were never checkpointed, and the main file alone would then miss (or lack) packages.
// Format facts used: WAL header (32 bytes, BE): magic 0x377f0682|0x377f0683 (low bit = checksum
// words are big-endian), version, page size, checkpoint seq, salt1, salt2, checksum1, checksum2.
// Each frame: 24-byte header (page number, db size in pages for a commit frame else 0, salt1,
// salt2, checksum1, checksum2) + one page. Checksums are cumulative over the header's first 24
// bytes, then each frame's first 8 header bytes and its page. Only frames up to the last valid
// commit count.

const WAL_HEADER = 32;
const FRAME_HEADER = 24;

export interface WalFold {
  db: Buffer;
  /** Frames applied (0 = the WAL held nothing committed and valid). */
  framesApplied: number;
  problem?: string;
}

function checksum(buf: Buffer, start: number, end: number, bigEndian: boolean, s: [number, number]): void {
  let s0 = s[0];
  let s1 = s[1];
  for (let i = start; i + 8 <= end; i += 8) {
    const x0 = bigEndian ? buf.readUInt32BE(i) : buf.readUInt32LE(i);
    const x1 = bigEndian ? buf.readUInt32BE(i + 4) : buf.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  s[0] = s0;
  s[1] = s1;
}

/** SQLite stores page size 65536 as 1. */
function dbPageSize(db: Buffer): number | undefined {
  if (db.length < 100) return undefined;
  const v = db.readUInt16BE(16);
  return v === 1 ? 65536 : v;
}

/**
 * Returns `db` with the committed frames of `wal` applied. Never throws: an unusable WAL yields
 * the db unchanged plus a problem.
 */
export function foldWal(db: Buffer, wal: Buffer, maxDbSize: number): WalFold {
  if (wal.length < WAL_HEADER) return { db, framesApplied: 0 };
  const magic = wal.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return { db, framesApplied: 0, problem: 'WAL has a bad magic' };
  const bigEndian = (magic & 1) === 1;
  const pageSize = wal.readUInt32BE(8);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    return { db, framesApplied: 0, problem: `WAL has an invalid page size ${pageSize}` };
  }
  const mainPageSize = dbPageSize(db);
  if (db.length > 0 && mainPageSize !== pageSize) {
    return { db, framesApplied: 0, problem: `WAL page size ${pageSize} differs from the database's (${mainPageSize})` };
  }
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  const sum: [number, number] = [0, 0];
  checksum(wal, 0, 24, bigEndian, sum);
  if (sum[0] !== wal.readUInt32BE(24) || sum[1] !== wal.readUInt32BE(28)) {
    return { db, framesApplied: 0, problem: 'WAL header checksum mismatch' };
  }

  // Latest committed content of each page, and the db size of the last commit.
  let pending = new Map<number, number>();
  let committed = new Map<number, number>();
  let dbPages = 0;
  let frames = 0;
  for (let at = WAL_HEADER; at + FRAME_HEADER + pageSize <= wal.length; at += FRAME_HEADER + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salt1 || wal.readUInt32BE(at + 12) !== salt2) break;
    checksum(wal, at, at + 8, bigEndian, sum);
    checksum(wal, at + FRAME_HEADER, at + FRAME_HEADER + pageSize, bigEndian, sum);
    if (sum[0] !== wal.readUInt32BE(at + 16) || sum[1] !== wal.readUInt32BE(at + 20)) break;
    const pgno = wal.readUInt32BE(at);
    if (pgno === 0) break;
    pending.set(pgno, at + FRAME_HEADER);
    const commitSize = wal.readUInt32BE(at + 4);
    if (commitSize > 0) {
      for (const [p, off] of pending) committed.set(p, off);
      pending = new Map();
      dbPages = commitSize;
      frames = committed.size;
    }
  }
  if (dbPages === 0) return { db, framesApplied: 0 };
  const size = dbPages * pageSize;
  if (size > maxDbSize) return { db, framesApplied: 0, problem: `WAL commits a ${size}-byte database, over the limit` };
  const out = Buffer.alloc(size);
  db.copy(out, 0, 0, Math.min(db.length, size));
  for (const [pgno, off] of committed) {
    if (pgno > dbPages) continue;
    wal.copy(out, (pgno - 1) * pageSize, off, off + pageSize);
  }
  committed = new Map();
  return { db: out, framesApplied: frames };
}

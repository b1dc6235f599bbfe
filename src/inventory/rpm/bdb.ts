// Reads the value blobs of a BerkeleyDB hash database (rpm's `Packages`, db 4.x/5.x), with no
// BerkeleyDB library. Layout facts used: page 0 is the hash metadata page (generic DBMETA header:
// magic at 12, pagesize at 20, page type at 25, last_pgno at 32); every other page starts with a
// 26-byte header (pgno 8, prev 12, next 16, entries u16 20, hf_offset u16 22, level 24, type 25)
// followed by the u16 item offset table. Hash pages hold key/data item pairs; an item is either
// inline (H_KEYDATA: type byte + bytes) or off-page (H_OFFPAGE: type, 3 pad, pgno u32, tlen u32)
// whose bytes run through a chain of overflow pages (hf_offset = bytes used on that page). All
// integers are in the byte order the db was written in, which the metadata magic reveals.
import { MAX_BLOB_SIZE, type DbBlob, type DbReadResult } from './blobs.js';

const HASH_MAGIC = 0x061561;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const PAGE_HEADER = 26;

/** True when `data` starts like a BerkeleyDB hash database (either byte order). */
export function looksLikeBdbHash(data: Buffer): boolean {
  return data.length >= 72 && (data.readUInt32LE(12) === HASH_MAGIC || data.readUInt32BE(12) === HASH_MAGIC);
}

export function readBdbHash(data: Buffer): DbReadResult {
  const problems: string[] = [];
  const blobs: DbBlob[] = [];
  if (data.length < 512) return { blobs, problems: [`file of ${data.length} bytes is too short for a BerkeleyDB hash db`] };
  let le: boolean;
  if (data.readUInt32LE(12) === HASH_MAGIC) le = true;
  else if (data.readUInt32BE(12) === HASH_MAGIC) le = false;
  else return { blobs, problems: ['not a BerkeleyDB hash database (bad metadata magic)'] };
  const u32 = (off: number): number => (le ? data.readUInt32LE(off) : data.readUInt32BE(off));
  const u16 = (off: number): number => (le ? data.readUInt16LE(off) : data.readUInt16BE(off));

  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    return { blobs, problems: [`invalid BerkeleyDB page size ${pageSize}`] };
  }
  if (data[25] !== P_HASHMETA) return { blobs, problems: [`page 0 has type ${data[25]}, expected hash metadata`] };
  if (data[24] !== 0) return { blobs, problems: ['the BerkeleyDB database is encrypted'] };
  const pagesInFile = Math.floor(data.length / pageSize);
  const lastPgno = u32(32);
  if (lastPgno + 1 > pagesInFile) problems.push(`db claims ${lastPgno + 1} pages but the file holds ${pagesInFile} (truncated?)`);
  const pageCount = Math.min(lastPgno + 1, pagesInFile);

  /** Follows an overflow chain from `pgno` and returns its `tlen` bytes, or a problem string. */
  const readOverflow = (pgno: number, tlen: number): Buffer | string => {
    if (tlen > MAX_BLOB_SIZE) return `off-page item of ${tlen} bytes exceeds the limit`;
    const out = Buffer.allocUnsafe(tlen);
    let filled = 0;
    const seen = new Set<number>();
    while (filled < tlen) {
      if (pgno === 0 || pgno >= pageCount) return `overflow chain points to page ${pgno}, outside the file`;
      if (seen.has(pgno)) return `overflow chain loops at page ${pgno}`;
      seen.add(pgno);
      const base = pgno * pageSize;
      if (data[base + 25] !== P_OVERFLOW) return `overflow chain reaches page ${pgno} of type ${data[base + 25]}`;
      const used = u16(base + 22);
      if (used > pageSize - PAGE_HEADER) return `overflow page ${pgno} claims ${used} bytes`;
      const take = Math.min(used, tlen - filled);
      data.copy(out, filled, base + PAGE_HEADER, base + PAGE_HEADER + take);
      filled += take;
      if (filled < tlen && used === 0) return `overflow page ${pgno} is empty`;
      pgno = u32(base + 16);
    }
    return out;
  };

  for (let pgno = 1; pgno < pageCount; pgno++) {
    const base = pgno * pageSize;
    const type = data[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(base + 20);
    const tableEnd = PAGE_HEADER + entries * 2;
    if (entries % 2 !== 0 || tableEnd > pageSize) {
      problems.push(`hash page ${pgno} has an invalid entry count ${entries}`);
      continue;
    }
    const itemOffset = (i: number): number => u16(base + PAGE_HEADER + i * 2);
    // An item runs from its offset to the start of the previous item (or the page end).
    const itemEnd = (i: number): number => (i === 0 ? pageSize : itemOffset(i - 1));
    for (let i = 0; i < entries; i += 2) {
      const where = `page ${pgno} item ${i / 2}`;
      const kOff = itemOffset(i);
      const dOff = itemOffset(i + 1);
      const kEnd = itemEnd(i);
      const dEnd = itemEnd(i + 1);
      if (kOff < tableEnd || kOff >= kEnd || kEnd > pageSize || dOff < tableEnd || dOff >= dEnd || dEnd > pageSize) {
        problems.push(`${where}: item offsets out of range`);
        continue;
      }
      // rpm keeps a bookkeeping record under key 0 (the next header number): not a package.
      if (data[base + kOff] === H_KEYDATA && kEnd - kOff - 1 === 4 && u32(base + kOff + 1) === 0) continue;
      const dType = data[base + dOff];
      if (dType === H_KEYDATA) {
        blobs.push({ blob: Buffer.from(data.subarray(base + dOff + 1, base + dEnd)), where });
      } else if (dType === H_OFFPAGE) {
        if (dEnd - dOff < 12) {
          problems.push(`${where}: off-page item too short`);
          continue;
        }
        const got = readOverflow(u32(base + dOff + 4), u32(base + dOff + 8));
        if (typeof got === 'string') problems.push(`${where}: ${got}`);
        else blobs.push({ blob: got, where });
      } else {
        problems.push(`${where}: unsupported item type ${dType}`);
      }
    }
  }
  return { blobs, problems };
}

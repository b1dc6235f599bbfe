// Reads the header blobs of an rpm NDB database (`Packages.db`, rpm >= 4.16, SUSE's default),
// with no rpm library. Layout facts used (all integers little-endian):
//   file header (32 bytes): magic "RpmP", version (0), generation, slot page count, next pkg index;
//   slot area: from byte 32 to slotPages * 4096, 16-byte slots {magic "Slot", pkgIdx, blkOff, blkCnt}
//     (pkgIdx 0 = free slot); blkOff counts 16-byte blocks from the file start;
//   blob: header {magic "BlbS", pkgIdx, generation, length}, then `length` bytes of rpm header.
import { MAX_BLOB_SIZE, type DbBlob, type DbReadResult } from './blobs.js';

const DB_MAGIC = 0x506d7052; // "RpmP"
const SLOT_MAGIC = 0x746f6c53; // "Slot"
const BLOB_MAGIC = 0x53626c42; // "BlbS"
const HEADER_SIZE = 32;
const SLOT_SIZE = 16;
const PAGE_SIZE = 4096;
const BLOCK_SIZE = 16;
const BLOB_HEAD_SIZE = 16;
/** rpm's ndb caps the slot area; anything larger is a corrupt or hostile header. */
const MAX_SLOT_PAGES = 2048;

export function looksLikeNdb(data: Buffer): boolean {
  return data.length >= HEADER_SIZE && data.readUInt32LE(0) === DB_MAGIC;
}

export function readNdb(data: Buffer): DbReadResult {
  const blobs: DbBlob[] = [];
  const problems: string[] = [];
  if (data.length < HEADER_SIZE) return { blobs, problems: [`file of ${data.length} bytes is too short for an NDB db`] };
  if (data.readUInt32LE(0) !== DB_MAGIC) return { blobs, problems: ['not an rpm NDB database (bad magic)'] };
  const version = data.readUInt32LE(4);
  if (version !== 0) return { blobs, problems: [`unsupported NDB version ${version}`] };
  const slotPages = data.readUInt32LE(12);
  if (slotPages < 1 || slotPages > MAX_SLOT_PAGES) return { blobs, problems: [`invalid NDB slot page count ${slotPages}`] };
  let slotEnd = slotPages * PAGE_SIZE;
  if (slotEnd > data.length) {
    problems.push(`NDB slot area (${slotEnd} bytes) runs past the end of the file (${data.length}): truncated?`);
    slotEnd = data.length - (data.length % SLOT_SIZE);
  }

  for (let at = HEADER_SIZE; at + SLOT_SIZE <= slotEnd; at += SLOT_SIZE) {
    const slotNo = (at - HEADER_SIZE) / SLOT_SIZE;
    if (data.readUInt32LE(at) !== SLOT_MAGIC) {
      problems.push(`slot ${slotNo}: bad slot magic`);
      continue;
    }
    const pkgIdx = data.readUInt32LE(at + 4);
    if (pkgIdx === 0) continue; // free slot
    const where = `slot ${slotNo} (package ${pkgIdx})`;
    const blobAt = data.readUInt32LE(at + 8) * BLOCK_SIZE;
    const blkCnt = data.readUInt32LE(at + 12);
    if (blobAt < slotEnd || blobAt + BLOB_HEAD_SIZE > data.length) {
      problems.push(`${where}: blob offset ${blobAt} outside the blob area`);
      continue;
    }
    if (data.readUInt32LE(blobAt) !== BLOB_MAGIC) {
      problems.push(`${where}: bad blob magic`);
      continue;
    }
    if (data.readUInt32LE(blobAt + 4) !== pkgIdx) {
      problems.push(`${where}: blob belongs to package ${data.readUInt32LE(blobAt + 4)}`);
      continue;
    }
    const length = data.readUInt32LE(blobAt + 12);
    const start = blobAt + BLOB_HEAD_SIZE;
    if (length > MAX_BLOB_SIZE || length > blkCnt * BLOCK_SIZE || start + length > data.length) {
      problems.push(`${where}: blob length ${length} runs past its blocks or the file`);
      continue;
    }
    blobs.push({ blob: Buffer.from(data.subarray(start, start + length)), where });
  }
  return { blobs, problems };
}

// Indexes an (uncompressed) tar archive by walking its 512-byte headers and seeking over the data,
// so a multi-gigabyte `docker save` / OCI archive is opened without reading or unpacking its
// layers. tar-stream's extractor would have to stream every data byte through to reach the next
// header; a few dozen lines of header parsing let us read only the headers (and long-name / pax
// records, which are small and bounded).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import { ImageError } from '../errors.js';
import { LoopTurns } from '../util/loop-turns.js';
import { READ_NONBLOCK } from '../util/regular-file.js';

export interface TarEntry {
  /** Normalised relative name (`blobs/sha256/ab…`, `manifest.json`). */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  /** Byte offset of the entry's data in the archive. */
  offset: number;
  size: number;
  linkname?: string;
}

const BLOCK = 512;
/** Bounds against hostile archives: a long-name / pax record and the number of entries. */
const MAX_META_RECORD = 1024 * 1024;
const MAX_ENTRIES = 200_000;

function cstring(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + len ? start + len : end);
}

/** Octal number field, or GNU base-256 (high bit of the first byte set) for large sizes. */
function numberField(buf: Buffer, start: number, len: number): number {
  if (buf[start]! & 0x80) {
    let value = buf[start]! & 0x7f;
    for (let i = start + 1; i < start + len; i++) value = value * 256 + buf[i]!;
    return value;
  }
  const text = cstring(buf, start, len).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return NaN;
  return parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  const stored = numberField(header, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : header[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** pax records: `LEN key=value\n`; only path/linkpath/size matter here. */
function parsePax(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < buf.length) {
    const space = buf.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(buf.toString('utf8', pos, space), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > buf.length) break;
    const record = buf.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

/**
 * Normalises an entry name; names that are absolute or climb out of the archive root are an
 * ImageError (never silently "fixed": a crafted archive is not trusted).
 */
export function normaliseEntryName(raw: string, subject: string): string {
  const trimmed = raw.replace(/\/+$/, '');
  if (trimmed.startsWith('/') || trimmed.split('/').includes('..')) {
    throw new ImageError(`archive entry ${JSON.stringify(raw)} escapes the archive root`, { subject });
  }
  const norm = posix.normalize(trimmed);
  return norm === '.' ? '' : norm.replace(/^\.\//, '');
}

function readExactly(fd: number, length: number, position: number, subject: string): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const bytesRead = readSync(fd, buf, done, length - done, position + done);
    if (bytesRead === 0) throw new ImageError(`truncated tar archive (ends inside an entry at byte ${position + done})`, { subject });
    done += bytesRead;
  }
  return buf;
}

/**
 * Headers read between two turns of the event loop. The reads are synchronous (a 512-byte read
 * through the thread pool cost a round trip each: a docker-archive's dozen entries, a few ms at
 * every open); an archive of many entries still lets other work (a cache connection) run.
 */
const HEADER_BYTES_PER_TURN = 2 * 1024 * 1024;

/** Reads every header of the tar at `path`. Throws ImageError for a truncated or corrupt archive. */
export async function indexTar(path: string): Promise<Map<string, TarEntry>> {
  const fd = openSync(path, READ_NONBLOCK);
  const turns = new LoopTurns(HEADER_BYTES_PER_TURN);
  try {
    const st = fstatSync(fd);
    // Opened without blocking: a FIFO or device named as the archive is refused, not waited on.
    if (!st.isFile()) throw new ImageError('not a tar archive (not a regular file)', { subject: path });
    const fileSize = st.size;
    const entries = new Map<string, TarEntry>();
    let pos = 0;
    let longName: string | undefined;
    let longLink: string | undefined;
    let pax: Record<string, string> = {};
    let global: Record<string, string> = {};
    while (pos + BLOCK <= fileSize) {
      const header = readExactly(fd, BLOCK, pos, path);
      await turns.after(BLOCK);
      if (header.every((b) => b === 0)) return entries; // end-of-archive marker
      if (!checksumOk(header)) {
        if (pos === 0) throw new ImageError('not a tar archive (no valid tar header)', { subject: path });
        throw new ImageError(`corrupt tar archive: bad header checksum at byte ${pos}`, { subject: path });
      }
      const typeflag = String.fromCharCode(header[156]!);
      const size = numberField(header, 124, 12);
      if (!Number.isSafeInteger(size) || size < 0) {
        throw new ImageError(`corrupt tar archive: bad size field at byte ${pos}`, { subject: path });
      }
      const dataOffset = pos + BLOCK;
      if (dataOffset + size > fileSize) {
        throw new ImageError(`truncated tar archive: entry at byte ${pos} needs ${size} bytes, the file ends first`, { subject: path });
      }
      pos = dataOffset + Math.ceil(size / BLOCK) * BLOCK;

      if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
        if (size > MAX_META_RECORD) throw new ImageError(`corrupt tar archive: oversized ${typeflag} record`, { subject: path });
        const data = readExactly(fd, size, dataOffset, path);
        if (typeflag === 'L') longName = cstring(data, 0, data.length);
        else if (typeflag === 'K') longLink = cstring(data, 0, data.length);
        else if (typeflag === 'x') pax = parsePax(data);
        else global = { ...global, ...parsePax(data) };
        continue;
      }

      const magic = header.toString('latin1', 257, 263);
      const prefix = magic === 'ustar\u0000' ? cstring(header, 345, 155) : '';
      const attrs = { ...global, ...pax };
      const rawName = attrs.path ?? longName ?? (prefix ? `${prefix}/${cstring(header, 0, 100)}` : cstring(header, 0, 100));
      const linkname = attrs.linkpath ?? longLink ?? cstring(header, 157, 100);
      const paxSize = attrs.size !== undefined ? Number(attrs.size) : size;
      longName = longLink = undefined;
      pax = {};
      if (paxSize !== size) {
        // A pax size overrides the header only for >8 GiB entries; we seek by the header's size.
        throw new ImageError(`unsupported tar archive: pax size record at byte ${dataOffset - BLOCK}`, { subject: path });
      }

      const name = normaliseEntryName(rawName, path);
      const type =
        typeflag === '0' || typeflag === '\u0000' || typeflag === '7' ? 'file'
        : typeflag === '5' ? 'directory'
        : typeflag === '2' ? 'symlink'
        : typeflag === '1' ? 'hardlink'
        : 'other';
      if (entries.size >= MAX_ENTRIES) throw new ImageError(`tar archive has more than ${MAX_ENTRIES} entries`, { subject: path });
      // Later entries win, as when tar extracts.
      entries.set(name, { name, type, offset: dataOffset, size, ...(linkname ? { linkname } : {}) });
    }
    if (pos !== fileSize || entries.size === 0) {
      // Real tars end with zero blocks; a file ending mid-header or holding no entry is not a tar.
      throw new ImageError(entries.size === 0 ? 'not a tar archive (no entries)' : 'truncated tar archive (no end-of-archive marker)', { subject: path });
    }
    return entries;
  } finally {
    closeSync(fd);
  }
}

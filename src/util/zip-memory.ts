// A zip archive held in memory (a jar captured by the walker), read synchronously: the central
// directory walked record by record with no event-loop turn, stream or buffer copy per entry, and an
// entry inflated (or, when stored, sliced) in place. yauzl (src/util/zip.ts) costs two setImmediate
// round trips and two Buffers per entry; on 900 jars of ~125k entries that was most of a layer's walk
// (bench/big-images.ts, jars). The checks are yauzl's, in its order and with its messages, so a
// broken archive fails here where it failed there; an entry's bytes are still bounded and CRC-32
// checked (crc32 and inflateRawSync are zlib's).
import { crc32, inflateRawSync } from 'node:zlib';
import type yauzl from 'yauzl';
import { lazyRequire } from './lazy-require.js';

/** A declared or inflated size over its limit (a zip bomb, or just too big to read). */
export class BudgetError extends Error {}

/** Inflated bytes still allowed across one archive and everything nested in it. */
export interface Budget {
  left: number;
}

// Only for names yauzl decodes the slow way (non-ASCII, cp437, Info-ZIP Unicode Path field).
const zipReader = lazyRequire<typeof yauzl & { getFileNameLowLevel: GetFileName; validateFileName: (name: string) => string | null }>('yauzl');
type GetFileName = (flags: number, name: Buffer, extra: { id: number; data: Buffer }[], strict: boolean) => string;

/** What reading an entry's bytes needs (a yauzl Entry has it too). */
export interface ZipEntryData {
  fileName: string;
  compressionMethod: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  relativeOffsetOfLocalHeader: number;
}

/** Two UTF-16 code units packed as `tail` is: `tailOf('ar')`. */
export const tailOf = (s: string): number => ((s.length >= 2 ? s.charCodeAt(s.length - 2) : 0) << 16) | (s.length >= 1 ? s.charCodeAt(s.length - 1) : 0);

/** A name byte as `fileName` reads it (`\` is `/`). */
const slashed = (c: number): number => (c === 0x5c ? 0x2f : c);

/** One central-directory record. Its name is decoded when first asked for (most never are). */
export class MemoryZipEntry implements ZipEntryData {
  /**
   * The name's last two characters as `tailOf` packs them (of the name as `fileName` gives it):
   * a test on a name's ending that can rule most entries out without decoding them.
   */
  readonly tail: number;
  #name: string | undefined;
  constructor(
    private readonly buf: Buffer,
    private readonly nameStart: number,
    private readonly nameEnd: number,
    /** The ASCII name holds a `\` (read as `/`). */
    private readonly backslash: boolean,
    name: string | undefined,
    readonly flags: number,
    readonly compressionMethod: number,
    readonly crc32: number,
    readonly compressedSize: number,
    readonly uncompressedSize: number,
    readonly relativeOffsetOfLocalHeader: number,
  ) {
    this.#name = name;
    if (name !== undefined) this.tail = tailOf(name);
    else this.tail = ((nameEnd - nameStart >= 2 ? slashed(buf[nameEnd - 2]!) : 0) << 16) | (nameEnd > nameStart ? slashed(buf[nameEnd - 1]!) : 0);
  }
  /** As yauzl decodes it: UTF-8 (flag 0x800), else cp437; `\` read as `/`. Reads the archive's bytes: ask before they are reused. */
  get fileName(): string {
    if (this.#name === undefined) {
      const name = this.buf.toString('latin1', this.nameStart, this.nameEnd);
      this.#name = this.backslash ? name.replaceAll('\\', '/') : name;
    }
    return this.#name;
  }
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const UNICODE_PATH = 0x7075;
const ZIP64_EXTRA = 0x0001;

const u64 = (b: Buffer, at: number): number => b.readUInt32LE(at) + b.readUInt32LE(at + 4) * 0x100000000;

/** `length` bytes at `at` exist (yauzl's readAndAssertNoEof). */
function need(buf: Buffer, at: number, length: number): void {
  if (at + length > buf.length) throw new Error('unexpected EOF');
}

/** Where the central directory starts and how many records it holds (EOCD, or zip64's). */
function directory(buf: Buffer): { offset: number; count: number } {
  const bare = 22;
  const from = buf.length - Math.min(20 + bare + 0xffff, buf.length);
  for (let i = buf.length - bare; i >= from; i--) {
    if (buf.readUInt32LE(i) !== EOCD) continue;
    let disk = buf.readUInt16LE(i + 4);
    let count = buf.readUInt16LE(i + 10);
    let offset = buf.readUInt32LE(i + 16);
    const commentLength = buf.readUInt16LE(i + 20);
    const expected = buf.length - i - bare;
    if (commentLength !== expected) {
      throw new Error(`Invalid comment length. Expected: ${expected}. Found: ${commentLength}. Are there extra bytes at the end of the file? Or is the end of central dir signature \`PK☺☻\` in the comment?`);
    }
    if (i - 20 >= from && buf.readUInt32LE(i - 20) === ZIP64_LOCATOR) {
      const at = u64(buf, i - 20 + 8);
      need(buf, at, 56);
      if (buf.readUInt32LE(at) !== ZIP64_EOCD) throw new Error('invalid zip64 end of central directory record signature');
      disk = buf.readUInt32LE(at + 16);
      count = u64(buf, at + 32);
      offset = u64(buf, at + 48);
    }
    if (disk !== 0) throw new Error(`multi-disk zip files are not supported: found disk number: ${disk}`);
    return { offset, count };
  }
  throw new Error('End of central directory record signature not found. Either not a zip file, or file is truncated.');
}

const ASCII_NAME = 1;
const BACKSLASH = 2;
const ABSOLUTE = 4;
const DOT_DOT = 8;

/**
 * One pass over a name's bytes: whether it is printable ASCII only (then UTF-8 and cp437 decode it
 * alike, byte for byte) and, for such a name, what yauzl's validateFileName would find in it once
 * `\` is read as `/`: an absolute path (`/x`, `C:x`) or a `..` component.
 */
function scanName(buf: Buffer, start: number, end: number): number {
  let out = ASCII_NAME;
  let component = start;
  for (let i = start; i <= end; i++) {
    const c = i < end ? buf[i]! : 0x2f;
    if (c === 0x2f || c === 0x5c) {
      if (c === 0x5c) out |= BACKSLASH;
      if (i - component === 2 && buf[component] === 0x2e && buf[component + 1] === 0x2e) out |= DOT_DOT;
      component = i + 1;
    } else if (c < 0x20 || c > 0x7e) return 0;
  }
  const first = end > start ? buf[start]! : 0;
  if (first === 0x2f || first === 0x5c) out |= ABSOLUTE;
  else if (end - start >= 2 && buf[start + 1] === 0x3a && ((first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a))) out |= ABSOLUTE;
  return out;
}

/** The archive's central-directory records in order; a broken record throws where yauzl's 'error' came. */
export function* memoryZipEntries(buf: Buffer): Generator<MemoryZipEntry> {
  const { offset, count } = directory(buf);
  let at = offset;
  // Little-endian reads by hand: Buffer's readUInt*LE check their bounds on every call, and the
  // fields read here lie inside ranges `need` has checked.
  const u16 = (i: number): number => buf[i]! | (buf[i + 1]! << 8);
  const u32 = (i: number): number => (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)) >>> 0;
  for (let n = 0; n < count; n++) {
    need(buf, at, 46);
    const signature = u32(at);
    if (signature !== CENTRAL) throw new Error(`invalid central directory file header signature: 0x${signature.toString(16)}`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    let compressedSize = u32(at + 20);
    let uncompressedSize = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let localOffset = u32(at + 42);
    const crc = u32(at + 16);
    if (flags & 0x40) throw new Error('strong encryption is not supported');
    const nameStart = at + 46;
    const extraStart = nameStart + nameLength;
    const extraEnd = extraStart + extraLength;
    need(buf, nameStart, nameLength + extraLength + commentLength);
    // Extra fields: each header's length checked; the zip64 one and a Unicode Path one noted.
    let zip64 = -1;
    let zip64End = -1;
    let unicodePath = false;
    for (let i = extraStart; i < extraEnd - 3; ) {
      const id = u16(i);
      const dataEnd = i + 4 + u16(i + 2);
      if (dataEnd > extraEnd) throw new Error('extra field length exceeds extra field buffer size');
      if (id === ZIP64_EXTRA && zip64 < 0) {
        zip64 = i + 4;
        zip64End = dataEnd;
      } else if (id === UNICODE_PATH) unicodePath = true;
      i = dataEnd;
    }
    const scan = unicodePath ? 0 : scanName(buf, nameStart, extraStart);
    let fileName: string | undefined;
    if (!(scan & ASCII_NAME)) {
      // yauzl's own decoding and check, for the names where they differ from a byte copy.
      const y = zipReader();
      fileName = y.getFileNameLowLevel(flags, buf.subarray(nameStart, extraStart), y.parseExtraFields(buf.subarray(extraStart, extraEnd)), false);
      const invalid = y.validateFileName(fileName);
      if (invalid !== null) throw new Error(invalid);
    } else if (scan & (ABSOLUTE | DOT_DOT)) {
      const name = buf.toString('latin1', nameStart, extraStart).replaceAll('\\', '/');
      throw new Error(scan & ABSOLUTE ? `absolute path: ${name}` : `invalid relative path: ${name}`);
    }
    if (zip64 >= 0) {
      let i = zip64;
      const field = (what: string): number => {
        if (i + 8 > zip64End) throw new Error(`zip64 extended information extra field does not include ${what}`);
        const v = u64(buf, i);
        i += 8;
        return v;
      };
      if (uncompressedSize === 0xffffffff) uncompressedSize = field('uncompressed size');
      if (compressedSize === 0xffffffff) compressedSize = field('compressed size');
      if (localOffset === 0xffffffff) localOffset = field('relative header offset');
    }
    if (method === 0) {
      const expected = uncompressedSize + (flags & 1 ? 12 : 0);
      if (compressedSize !== expected) throw new Error(`compressed/uncompressed size mismatch for stored file: ${compressedSize} != ${uncompressedSize}`);
    }
    at = extraEnd + commentLength;
    yield new MemoryZipEntry(buf, nameStart, extraStart, (scan & BACKSLASH) !== 0, fileName, flags, method, crc, compressedSize, uncompressedSize, localOffset);
  }
}

/**
 * One entry's bytes: at most `limit` (and what `budget` has left), its declared size exactly,
 * CRC-32 checked. A stored entry is a view of `buf`, not a copy: use it before `buf` is reused.
 */
export function readMemoryEntry(buf: Buffer, entry: MemoryZipEntry, limit: number, budget?: Budget): Buffer {
  const declared = entry.uncompressedSize;
  if (declared > limit || (budget && declared > budget.left)) throw new BudgetError(`${entry.fileName} declares ${declared} bytes, over the limit`);
  if (entry.flags & 1) throw new Error('entry is encrypted, and options.decodeFileData !== false');
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) throw new Error(`unsupported compression method: ${entry.compressionMethod}`);
  const out = inflateInPlace(buf, entry);
  if (budget) budget.left -= out.length;
  return out;
}

/**
 * The bytes of a stored or deflated entry of `buf`, whose declared size the caller has bounded:
 * inflating stops one byte past it, and an entry that lies about its size fails as yauzl's size
 * validation words it.
 */
export function inflateInPlace(buf: Buffer, entry: ZipEntryData): Buffer {
  const at = entry.relativeOffsetOfLocalHeader;
  if (at + 30 > buf.length || buf.readUInt32LE(at) !== LOCAL) throw new Error(`${entry.fileName}: invalid local file header signature`);
  const start = at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
  const end = start + entry.compressedSize;
  if (end > buf.length) throw new Error(`${entry.fileName}: compressed data runs past the end of the archive`);
  const raw = buf.subarray(start, end);
  const declared = entry.uncompressedSize;
  const tooMany = () => new Error(`${entry.fileName}: too many bytes in the stream. expected ${declared}. got at least ${declared + 1}`);
  let out: Buffer;
  if (entry.compressionMethod === 0) out = raw;
  else {
    try {
      out = inflateRawSync(raw, { maxOutputLength: declared + 1 });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooMany();
      throw err;
    }
  }
  if (out.length > declared) throw tooMany();
  if (out.length < declared) throw new Error(`${entry.fileName}: not enough bytes in the stream. expected ${declared}. got only ${out.length}`);
  if (crc32(out) >>> 0 !== entry.crc32 >>> 0) throw new Error(`${entry.fileName}: CRC-32 mismatch (corrupt archive)`);
  return out;
}

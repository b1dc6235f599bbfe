// A lean tar reader for the walker: parses 512-byte headers straight out of the stream's chunks and
// hands each entry's data to a sink, or skips it by advancing an offset. tar-stream made a stream
// object, two events and a callback per entry (~30 µs an entry on a 300k-file image); most entries
// are not wanted and need none of that. What it accepts and how it reads names, PAX records and
// GNU long names follows tar-stream 3 (the reader the walker used before; test/inventory/
// tar-reader.test.ts checks both agree, and agree with GNU tar's listing of real layers). One
// difference: a NUL-typeflag entry whose FULL name ends in `/` is a directory (tar-stream never
// made one: its check was dead code; Go's archive/tar, and so Trivy, reads it so).

export type TarEntryType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'directory'
  | 'fifo'
  | 'contiguous-file'
  | null;

export interface TarHeader {
  name: string;
  type: TarEntryType;
  /** Bytes of data that follow; null when the size field is neither octal nor base-256. */
  size: number | null;
  mode: number | null;
  linkname: string | null;
}

/** Receives one entry's data. `end` may return a promise: the reader waits for it. */
export interface TarEntrySink {
  data(chunk: Buffer): void;
  /**
   * Optional: a buffer for the entry's next `n` bytes, which the reader then fills straight from
   * the source (DirectSource) instead of calling data(); undefined: send them as chunks. The bytes
   * count as received from this call on (a failed read fails the whole walk).
   */
  into?(n: number): Buffer | undefined;
  end(): void | Promise<void>;
}

/** A source that can read its next bytes straight into a buffer (layer-file.ts: an uncompressed blob). */
export interface DirectSource {
  /** Reads up to target.length bytes; fewer only where the source ends. Only between chunks. */
  readInto(target: Buffer): Promise<number>;
}

/** An entry's rest at least this long goes straight into its sink's buffer, where both allow. */
const DIRECT_MIN = 128 * 1024;

/** Returns a sink for the entry's data, or undefined to skip it unread. May throw to stop. */
export type OnTarEntry = (header: TarHeader) => TarEntrySink | undefined;

export class TarFormatError extends Error {}

/** Above this a PAX or GNU long-name record is refused (tar-stream's bound). */
const MAX_LONG_HEADER = 4 * 1024 * 1024;
const BLOCK = 512;
// What the bytes at the read position are.
const HEADER = 0;
const DATA = 1;
const LONG = 2;
const PAD = 3;

const TYPES: Record<number, TarEntryType> = {
  0: 'file',
  1: 'link',
  2: 'symlink',
  3: 'character-device',
  4: 'block-device',
  5: 'directory',
  6: 'fifo',
  7: 'contiguous-file',
};
// Header typeflags of records that describe the next entry ('x', 'g', 'L', 'K', 'N').
const PAX = 0x78;
const PAX_GLOBAL = 0x67;
const GNU_LONG_PATH = 0x4c;
const GNU_LONG_PATH_OLD = 0x4e;
const GNU_LONG_LINK = 0x4b;

function nulEnd(b: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) if (b[i] === 0) return i;
  return end;
}

function str(b: Buffer, start: number, length: number): string {
  return b.toString('utf8', start, nulEnd(b, start, start + length));
}

/** tar's numeric fields: octal (spaces and NULs around it), or base-256 with the high bit set. */
function num(b: Buffer, start: number, length: number): number | null {
  if (b[start]! & 0x80) {
    const first = b[start];
    if (first !== 0x80 && first !== 0xff) return null;
    const positive = first === 0x80;
    let sum = 0;
    for (let i = start + 1; i < start + length; i++) sum = sum * 256 + (positive ? b[i]! : 0xff - b[i]!);
    return positive ? sum : -sum;
  }
  let i = start;
  const end0 = start + length;
  while (i < end0 && b[i] === 0x20) i++;
  let end = i;
  while (end < end0 && b[end] !== 0x20) end++;
  while (i < end && b[i] === 0) i++;
  if (i === end) return 0;
  // Leading octal digits are all parseInt reads of them (it stops at the first other byte): summed
  // in place, without a string per field. Anything else (a sign, a tab) goes through parseInt.
  let v = 0;
  let j = i;
  for (; j < end; j++) {
    const c = b[j]!;
    if (c < 0x30 || c > 0x37) break;
    v = v * 8 + (c - 0x30);
  }
  if (j > i) return v;
  return parseInt(b.toString('utf8', i, end), 8);
}

/** The header's checksum with the checksum field counted as spaces. */
function checksum(b: Buffer, at: number, views: WordViews): number {
  const abs = b.byteOffset + at;
  if ((abs & 3) === 0) return checksumWords(views.of(b.buffer as ArrayBuffer), abs >>> 2);
  let sum = 8 * 0x20;
  for (let i = at; i < at + 148; i++) sum += b[i]!;
  for (let i = at + 156; i < at + BLOCK; i++) sum += b[i]!;
  return sum;
}

/**
 * The same sum over a header that starts on a 4-byte boundary, 4 bytes per step: two bytes of each
 * word are added in each 16-bit half of two accumulators (126 words of at most 255 a byte fit).
 */
function checksumWords(u: Uint32Array, first: number): number {
  let even = 0;
  let odd = 0;
  for (let i = first; i < first + 37; i++) {
    const w = u[i]!;
    even += w & 0xff00ff;
    odd += (w >>> 8) & 0xff00ff;
  }
  for (let i = first + 39; i < first + 128; i++) {
    const w = u[i]!;
    even += w & 0xff00ff;
    odd += (w >>> 8) & 0xff00ff;
  }
  return 8 * 0x20 + (even & 0xffff) + (even >>> 16) + (odd & 0xffff) + (odd >>> 16);
}

/**
 * Word views of the last two buffers headers were read from (a reader's chunks come from one or
 * two reused buffers, or a new one per chunk): a view is made once per buffer, not per header.
 */
class WordViews {
  private a: Uint32Array | undefined;
  private b: Uint32Array | undefined;
  of(ab: ArrayBuffer): Uint32Array {
    if (this.a?.buffer === ab) return this.a;
    const v = this.b?.buffer === ab ? this.b : new Uint32Array(ab, 0, ab.byteLength >>> 2);
    this.b = this.a;
    this.a = v;
    return v;
  }
}

function isMagic(b: Buffer, at: number, last: number, v0: number, v1: number): boolean {
  // "ustar" + last byte at 257..262, then the version at 263..264
  return (
    b[at + 257] === 0x75 && b[at + 258] === 0x73 && b[at + 259] === 0x74 && b[at + 260] === 0x61 && b[at + 261] === 0x72 && b[at + 262] === last && (v0 < 0 || (b[at + 263] === v0 && b[at + 264] === v1))
  );
}

/** PAX records `LEN key=value\n`; a malformed record ends the list (as tar-stream reads them). */
function decodePax(buf: Buffer, into: Record<string, string>): Record<string, string> {
  let b = buf;
  while (b.length > 0) {
    let i = 0;
    while (i < b.length && b[i] !== 0x20) i++;
    const len = parseInt(b.toString('utf8', 0, i), 10);
    if (!len) return into;
    const rec = b.toString('utf8', i + 1, Math.min(b.length, len - 1));
    const eq = rec.indexOf('=');
    if (eq === -1) return into;
    into[rec.slice(0, eq)] = rec.slice(eq + 1);
    b = b.subarray(len);
  }
  return into;
}

const padOf = (size: number): number => {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
};

/**
 * Reads a tar stream to its end, calling `onEntry` for every entry (directories and links too; not
 * for PAX/GNU long-name records, which are applied to the entry they precede). Zero blocks are
 * skipped, as tar-stream does. Fails with TarFormatError on a bad checksum, an unknown header
 * format, an oversized long-name record, or data that ends inside an entry.
 */
export async function readTar(stream: AsyncIterable<Buffer> & Partial<DirectSource>, onEntry: OnTarEntry): Promise<void> {
  // Its own memory, word-aligned: a header gathered across chunks is summed 4 bytes a step too.
  const carry = Buffer.allocUnsafeSlow(BLOCK);
  const views = new WordViews();
  let carried = 0;
  // What the bytes at the read position are: a header, an entry's data, a long record, or padding.
  let state: number = HEADER;
  let remaining = 0;
  let pad = 0;
  let sink: TarEntrySink | undefined;
  let longType = 0;
  let longChunks: Buffer[] = [];
  let longSize = 0;
  let gnuPath: string | null = null;
  let gnuLink: string | null = null;
  let pax: Record<string, string> | null = null;
  let paxGlobal: Record<string, string> | null = null;

  const endLong = (): void => {
    const buf = longChunks.length === 1 ? longChunks[0]! : Buffer.concat(longChunks, longSize);
    longChunks = [];
    if (longType === GNU_LONG_PATH || longType === GNU_LONG_PATH_OLD) gnuPath = str(buf, 0, buf.length);
    else if (longType === GNU_LONG_LINK) gnuLink = str(buf, 0, buf.length);
    else if (longType === PAX_GLOBAL) paxGlobal = decodePax(buf, Object.create(null) as Record<string, string>);
    else pax = decodePax(buf, paxGlobal === null ? (Object.create(null) as Record<string, string>) : Object.assign(Object.create(null) as Record<string, string>, paxGlobal));
  };

  /** Handles one header block; returns the entry's sink's end() promise when the entry is empty. */
  const header = (b: Buffer, at: number): void | Promise<void> => {
    const sum = checksum(b, at, views);
    if (sum === 8 * 0x20) return; // a zero block (the end-of-archive marker, or padding)
    if (sum !== num(b, at + 148, 8)) throw new TarFormatError('Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?');
    const ustar = isMagic(b, at, 0x00, -1, -1);
    if (!ustar && !isMagic(b, at, 0x20, 0x20, 0x00)) throw new TarFormatError('Invalid tar header: unknown format.');
    const flag = b[at + 156]!;
    let size = num(b, at + 124, 12);
    if (flag === PAX || flag === PAX_GLOBAL || flag === GNU_LONG_PATH || flag === GNU_LONG_PATH_OLD || flag === GNU_LONG_LINK) {
      if (size === null || !Number.isSafeInteger(size) || size < 0) throw new TarFormatError('Invalid header');
      if (size > MAX_LONG_HEADER) throw new TarFormatError('Header exceeds max size');
      longType = flag;
      longSize = size;
      longChunks = [];
      state = LONG;
      remaining = size;
      pad = padOf(size);
      if (size === 0) {
        endLong();
        state = pad > 0 ? PAD : HEADER;
      }
      return;
    }
    let typeflag = flag === 0 ? 0 : flag - 0x30;
    let name = str(b, at, 100);
    if (ustar && b[at + 345] !== 0) name = `${str(b, at + 345, 155)}/${name}`;
    let linkname = b[at + 157] === 0 ? null : str(b, at + 157, 100);
    if (gnuPath) name = gnuPath;
    if (gnuLink) linkname = gnuLink;
    gnuPath = null;
    gnuLink = null;
    if (pax) {
      if (pax.path) name = pax.path;
      if (pax.linkpath) linkname = pax.linkpath;
      if (pax.size) size = parseInt(pax.size, 10);
      pax = null;
    }
    if (size !== null && !(Number.isSafeInteger(size) && size >= 0)) size = null;
    // An old-style regular file (typeflag NUL) whose full name ends in `/` is a directory (as Go's
    // archive/tar reads it). Not a '0' entry: GNU tar cuts a long name at 100 bytes in the header,
    // which can end in `/`, and writes the real name in an `L` record before it.
    if (flag === 0 && name.endsWith('/')) typeflag = 5;
    const type = TYPES[typeflag] ?? null;
    const h: TarHeader = { name, type, size, mode: num(b, at + 100, 8), linkname };
    sink = onEntry(h);
    // A directory's data is never read (tar-stream read on as headers; the walker refuses one that
    // declares data before it gets here). An entry without a readable size is refused by the caller.
    const dataSize = type === 'directory' || size === null ? 0 : size;
    if (dataSize === 0) {
      const s = sink;
      sink = undefined;
      return s?.end();
    }
    state = DATA;
    remaining = dataSize;
    pad = padOf(dataSize);
  };

  const direct = stream.readInto ? (stream as DirectSource) : undefined;
  const chunks = stream[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      // Between two chunks: the rest of a big wanted entry straight into its sink's buffer.
      if (direct && state === DATA && remaining >= DIRECT_MIN && sink?.into) {
        const target = sink.into(remaining);
        if (target) {
          if ((await direct.readInto(target)) < target.length) throw new TarFormatError('Unexpected end of data');
          remaining = 0;
          state = pad > 0 ? PAD : HEADER;
          const s = sink;
          sink = undefined;
          const p = s.end();
          if (p) await p;
        }
      }
      const step = await chunks.next();
      if (step.done) {
        ended = true;
        break;
      }
      await consume(step.value);
    }
  } finally {
    // As a for-await loop would: a generator's own cleanup (its file closed) runs on any way out.
    if (!ended) await chunks.return?.();
  }
  if (state !== HEADER || carried !== 0) throw new TarFormatError('Unexpected end of data');

  async function consume(chunk: Buffer): Promise<void> {
    const len = chunk.length;
    let off = 0;
    while (off < len) {
      if (state === DATA) {
        const n = Math.min(remaining, len - off);
        if (sink) sink.data(chunk.subarray(off, off + n));
        off += n;
        remaining -= n;
        if (remaining > 0) break;
        state = pad > 0 ? PAD : HEADER;
        if (sink) {
          const s = sink;
          sink = undefined;
          const p = s.end();
          if (p) await p;
        }
        continue;
      }
      if (state === PAD) {
        const n = Math.min(pad, len - off);
        off += n;
        pad -= n;
        if (pad === 0) state = HEADER;
        continue;
      }
      if (state === LONG) {
        const n = Math.min(remaining, len - off);
        longChunks.push(Buffer.from(chunk.subarray(off, off + n)));
        off += n;
        remaining -= n;
        if (remaining > 0) break;
        endLong();
        state = pad > 0 ? PAD : HEADER;
        continue;
      }
      // A header: whole in this chunk (the common case), or gathered across chunks.
      let p: void | Promise<void>;
      if (carried === 0 && len - off >= BLOCK) {
        p = header(chunk, off);
        off += BLOCK;
      } else {
        const n = Math.min(BLOCK - carried, len - off);
        chunk.copy(carry, carried, off, off + n);
        carried += n;
        off += n;
        if (carried < BLOCK) break;
        carried = 0;
        p = header(carry, 0);
      }
      if (p) await p;
    }
  }
}

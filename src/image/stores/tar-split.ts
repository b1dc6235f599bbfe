// Rebuilds a layer's tar, byte for byte, from containers/storage's tar-split record
// (`<driver>-layers/<id>.tar-split.gz`) and the layer's files. The record is gzip'd JSON lines:
// `{"type":2,"payload":BASE64}` segments are raw tar bytes (headers, padding, end blocks), and
// `{"type":1,"name":N,"size":S}` entries stand for the S content bytes of file N, read from the
// layer's directory. The result's sha256 is then checked against the layer's diff_id as for any
// other layer, so a file changed on disk since the layer was stored fails the scan.
import type { Hash } from 'node:crypto';
import { closeSync, constants, createReadStream, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ImageError } from '../../errors.js';
import type { Layer } from '../../model/image.js';
import { hasherFor } from '../digest.js';

/** A tar-split line is a header or a file record; anything this long is not one. */
const MAX_LINE = 4 * 1024 * 1024;
const CHUNK = 256 * 1024;

interface Record {
  type: number;
  name?: string;
  size?: number;
  payload?: string | null;
}

function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/** The file inside `root` a tar entry names; never a path that leaves it (`..`, symlinked parents). */
function contentPath(root: string, realRoot: string, name: string, subject: string, parents: Map<string, string | undefined>): string {
  const norm = posix.normalize(name.replace(/^\.?\/+/, ''));
  if (norm.startsWith('../') || norm === '..' || posix.isAbsolute(norm)) {
    throw new ImageError(`tar-split entry ${JSON.stringify(name)} escapes the layer`, { subject });
  }
  const full = join(root, norm);
  const parent = posix.dirname(norm);
  if (!parents.has(parent)) parents.set(parent, realOrUndefined(join(root, parent)));
  const realParent = parents.get(parent);
  if (realParent !== (parent === '.' ? realRoot : join(realRoot, parent))) {
    throw new ImageError(`layer file ${norm} is missing or reached through a symlink`, { subject });
  }
  return full;
}

/**
 * The tar being rebuilt, in chunks of CHUNK bytes: headers are decoded or copied in, file contents
 * are read straight into the chunk. Every byte put in is hashed (the diff_id check) before its
 * chunk is handed out. `reuse`: the chunk's buffer is filled again once the consumer asks for the
 * next (a pull consumer that copies what it keeps, as the walker does); else each chunk is a fresh
 * buffer, never written again (a stream may hold several). A fresh 256 KiB buffer per chunk is an
 * mmap, page faults and an munmap each: with one buffer a 172 MB layer's rebuild took ~330 ms CPU
 * less (docker: from the engine's data root).
 */
class ChunkWriter {
  private buf = Buffer.allocUnsafeSlow(CHUNK);
  private used = 0;
  constructor(private readonly check: DiffCheck, private readonly reuse: boolean) {}

  /** The chunk, if full. */
  private full(): Buffer | undefined {
    return this.used === CHUNK ? this.take() : undefined;
  }

  take(): Buffer | undefined {
    if (this.used === 0) return undefined;
    const out = this.buf.subarray(0, this.used);
    this.check.update(out);
    if (!this.reuse) this.buf = Buffer.allocUnsafeSlow(CHUNK);
    this.used = 0;
    return out;
  }

  *copy(b: Buffer): Generator<Buffer> {
    let at = 0;
    while (at < b.length) {
      const n = b.copy(this.buf, this.used, at, Math.min(b.length, at + CHUNK - this.used));
      this.used += n;
      at += n;
      const out = this.full();
      if (out) yield out;
    }
  }

  /** Base64 text (a tar-split payload), decoded into the chunk; `bytes` is its decoded length. */
  *base64(text: string, bytes: number): Generator<Buffer> {
    if (bytes <= CHUNK - this.used) {
      this.used += this.buf.write(text, this.used, 'base64');
      const out = this.full();
      if (out) yield out;
    } else {
      yield* this.copy(Buffer.from(text, 'base64'));
    }
  }

  /**
   * A file's first `size` bytes, read synchronously: layer files are mostly small, and a
   * thread-pool round trip per open/stat/read/close made rebuilding a 5000-file layer several
   * times slower.
   */
  *file(path: string, size: number, name: string, subject: string): Generator<Buffer> {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      throw new ImageError(`layer file ${name} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { subject, cause: err });
    }
    try {
      if (!fstatSync(fd).isFile()) throw new ImageError(`layer file ${name} is not a regular file`, { subject });
      let done = 0;
      while (done < size) {
        const bytesRead = readSync(fd, this.buf, this.used, Math.min(CHUNK - this.used, size - done), done);
        if (bytesRead === 0) throw new ImageError(`layer file ${name} is shorter than the ${size} bytes the layer recorded`, { subject });
        done += bytesRead;
        this.used += bytesRead;
        const out = this.full();
        if (out) yield out;
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** Counts and hashes the rebuilt tar; end() fails unless it is the diff_id (VerifyStream's messages). */
class DiffCheck {
  private readonly hash: Hash;
  private readonly what: string;
  constructor(private readonly diffId: string, label: string, private readonly subject: string) {
    this.hash = hasherFor(diffId);
    this.what = `${label} uncompressed content (diff_id)`;
  }
  update(b: Buffer): void {
    this.hash.update(b);
  }
  end(): void {
    const actual = `${this.diffId.slice(0, this.diffId.indexOf(':'))}:${this.hash.digest('hex')}`;
    if (actual !== this.diffId) throw new ImageError(`${this.what} digest mismatch: expected ${this.diffId}, got ${actual}`, { subject: this.subject });
  }
}

/** `{"type":2,"payload":"` then base64 then `","position":N}`: what tar-split writes for raw tar bytes. */
const SEGMENT_HEAD = Buffer.from('{"type":2,"payload":"');
const SEGMENT_TAIL = /^","position":(0|[1-9]\d*)}$/;

/**
 * The base64 payload of a segment line in tar-split's own spelling, and its decoded length; undefined
 * for any other line (JSON.parse decides those). Base64 has no character JSON escapes, so the text
 * between the quotes is the string JSON.parse would give.
 */
function segmentPayload(line: Buffer, start: number, end: number): { text: string; bytes: number } | undefined {
  const from = start + SEGMENT_HEAD.length;
  if (end - start < SEGMENT_HEAD.length || line.compare(SEGMENT_HEAD, 0, SEGMENT_HEAD.length, start, from) !== 0) return undefined;
  const quote = line.indexOf(34, from);
  if (quote === -1 || quote >= end || !SEGMENT_TAIL.test(line.toString('latin1', quote, end))) return undefined;
  const text = line.toString('latin1', from, quote);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return { text, bytes: (text.length / 4) * 3 - pad };
}

/**
 * The layer's tar rebuilt and checked against `diffId`: the iteration ends normally only when every
 * byte hashed to it, else it throws the ImageError naming the layer. See ChunkWriter for `reuse`.
 */
async function* rebuild(tarSplitPath: string, root: string, diffId: string, label: string, subject: string, reuse: boolean): AsyncGenerator<Buffer> {
  const realRoot = realOrUndefined(root);
  if (realRoot === undefined) throw new ImageError(`layer directory ${root} is missing`, { subject });
  // Large inflate chunks: the record is mostly base64 headers, and 16 KiB chunks cost a callback each.
  const input = createReadStream(tarSplitPath, { highWaterMark: CHUNK }).pipe(createGunzip({ chunkSize: CHUNK }));
  const lines = linesOf(input, tarSplitPath);
  let n = 0;
  const parents = new Map<string, string | undefined>();
  const check = new DiffCheck(diffId, label, subject);
  const out = new ChunkWriter(check, reuse);
  try {
    for await (const { buf, start, end } of lines) {
      n++;
      if (start === end) continue;
      if (end - start > MAX_LINE) throw new ImageError(`tar-split record ${n} is oversized`, { subject: tarSplitPath });
      const segment = segmentPayload(buf, start, end);
      if (segment) {
        if (segment.bytes > 0) yield* out.base64(segment.text, segment.bytes);
        continue;
      }
      let rec: Record;
      try {
        rec = JSON.parse(buf.toString('utf8', start, end)) as Record;
      } catch {
        throw new ImageError(`tar-split record ${n} is not JSON (corrupt store)`, { subject: tarSplitPath });
      }
      if (rec.type === 2) {
        if (typeof rec.payload === 'string' && rec.payload !== '') {
          yield* out.copy(Buffer.from(rec.payload, 'base64'));
        }
      } else if (rec.type === 1) {
        const size = rec.size ?? 0;
        if (typeof rec.name !== 'string' || !Number.isSafeInteger(size) || size < 0) {
          throw new ImageError(`tar-split record ${n} has no valid name or size (corrupt store)`, { subject: tarSplitPath });
        }
        if (size > 0) yield* out.file(contentPath(root, realRoot, rec.name, subject, parents), size, rec.name, subject);
      } else {
        throw new ImageError(`tar-split record ${n} has unknown type ${String(rec.type)} (corrupt store)`, { subject: tarSplitPath });
      }
    }
    const rest = out.take();
    // The check runs before the last chunk is handed out: a consumer that saw the end saw verified bytes.
    check.end();
    if (rest) yield rest;
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageError(`tar-split data unreadable (${(err as Error).message}; corrupt store)`, { subject: tarSplitPath, cause: err });
  } finally {
    input.destroy();
  }
}

/** A line of the record: bytes [start, end) of `buf`, valid until the next line is asked for. */
interface Line {
  buf: Buffer;
  start: number;
  end: number;
}

/**
 * The record's lines, split by hand: readline's event per line and string decoder cost ~40 % of a
 * rebuild's own time (cpu profile, docker: from the engine's data root). A line longer than
 * MAX_LINE is an error as soon as it is that long, never held whole.
 */
async function* linesOf(input: AsyncIterable<Buffer>, subject: string): AsyncGenerator<Line> {
  let carry: Buffer | undefined;
  let n = 0;
  const line: Line = { buf: Buffer.alloc(0), start: 0, end: 0 };
  for await (const chunk of input) {
    let buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = undefined;
    let start = 0;
    line.buf = buf;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      n++;
      line.start = start;
      line.end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      yield line;
      start = nl + 1;
    }
    if (start < buf.length) {
      buf = buf.subarray(start);
      if (buf.length > MAX_LINE) throw new ImageError(`tar-split record ${n + 1} is oversized`, { subject });
      // zlib hands out a fresh buffer per chunk: the tail is kept as is (concat copies it next time).
      carry = buf;
    }
  }
  if (carry) yield { buf: carry, start: 0, end: carry.length };
}

/**
 * A layer stored as files, as a verifying stream: the rebuilt tar checked against the diff_id (its
 * one check, named so in messages). A consumer that reads to the end without error saw only
 * verified bytes.
 */
export function openTarSplitLayer(record: string, root: string, diffId: string, label: string, subject: string): Readable {
  // Every error the rebuild throws is an ImageError naming the record, a file or the layer.
  return Readable.from(rebuild(record, root, diffId, label, subject, false), { objectMode: false });
}

/**
 * The same, pulled chunk by chunk into one reused buffer (Layer.chunks): the consumer is done with a
 * chunk when it asks for the next, and copies what it keeps.
 */
export function tarSplitChunks(record: string, root: string, diffId: string, label: string, subject: string): AsyncIterable<Buffer> {
  return rebuild(record, root, diffId, label, subject, true);
}

/**
 * A layer's reads from its files and tar-split record (docker-local.ts, containers-storage.ts):
 * `present` first checks the store still holds them. verify() is a cache hit's check: the whole tar
 * rebuilt and hashed (the files are the only bytes there are).
 */
export function tarSplitLayerReads(record: string, root: string, diffId: string, label: string, subject: string, present: () => Promise<void>): Pick<Layer, 'open' | 'chunks' | 'verify'> {
  return {
    async open() {
      await present();
      return openTarSplitLayer(record, root, diffId, label, subject);
    },
    async chunks() {
      await present();
      return tarSplitChunks(record, root, diffId, label, subject);
    },
    async verify() {
      await present();
      for await (const _ of tarSplitChunks(record, root, diffId, label, subject)) {
        // hashed as it is rebuilt; checked at its end
      }
    },
  };
}

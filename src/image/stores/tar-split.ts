// Rebuilds a layer's tar, byte for byte, from containers/storage's tar-split record
// (`<driver>-layers/<id>.tar-split.gz`) and the layer's files. The record is gzip'd JSON lines:
// `{"type":2,"payload":BASE64}` segments are raw tar bytes (headers, padding, end blocks), and
// `{"type":1,"name":N,"size":S}` entries stand for the S content bytes of file N, read from the
// layer's directory. The result's sha256 is then checked against the layer's diff_id as for any
// other layer, so a file changed on disk since the layer was stored fails the scan.
import { closeSync, constants, createReadStream, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ImageError } from '../../errors.js';
import { verifiedLayerStream } from '../layer-stream.js';

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
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The file inside `root` a tar entry names; never a path that leaves it (`..`, symlinked parents). */
async function contentPath(root: string, realRoot: string, name: string, subject: string, parents: Map<string, string | undefined>): Promise<string> {
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
 * The tar being rebuilt, in chunks of CHUNK bytes: headers are copied in, file contents are read
 * straight into the chunk (no copy). A chunk once handed out is never written again: the walker
 * may keep slices of it (captured files).
 */
class ChunkWriter {
  private buf = Buffer.allocUnsafeSlow(CHUNK);
  private used = 0;

  /** The chunk, if full. */
  private full(): Buffer | undefined {
    return this.used === CHUNK ? this.take() : undefined;
  }

  take(): Buffer | undefined {
    if (this.used === 0) return undefined;
    const out = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafeSlow(CHUNK);
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

async function* rebuild(tarSplitPath: string, root: string, subject: string): AsyncGenerator<Buffer> {
  const realRoot = realOrUndefined(root);
  if (realRoot === undefined) throw new ImageError(`layer directory ${root} is missing`, { subject });
  // Large inflate chunks: the record is mostly base64 headers, and 16 KiB chunks cost a callback each.
  const input = createReadStream(tarSplitPath, { highWaterMark: CHUNK }).pipe(createGunzip({ chunkSize: CHUNK }));
  const lines = linesOf(input, tarSplitPath);
  let n = 0;
  const parents = new Map<string, string | undefined>();
  const out = new ChunkWriter();
  try {
    for await (const line of lines) {
      n++;
      if (line === '') continue;
      if (line.length > MAX_LINE) throw new ImageError(`tar-split record ${n} is oversized`, { subject: tarSplitPath });
      let rec: Record;
      try {
        rec = JSON.parse(line) as Record;
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
        if (size > 0) yield* out.file(await contentPath(root, realRoot, rec.name, subject, parents), size, rec.name, subject);
      } else {
        throw new ImageError(`tar-split record ${n} has unknown type ${String(rec.type)} (corrupt store)`, { subject: tarSplitPath });
      }
    }
    const rest = out.take();
    if (rest) yield rest;
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageError(`tar-split data unreadable (${(err as Error).message}; corrupt store)`, { subject: tarSplitPath, cause: err });
  } finally {
    input.destroy();
  }
}

/**
 * The record's lines, split by hand: readline's event per line and string decoder cost ~40 % of a
 * rebuild's own time (cpu profile, docker: from the engine's data root). A line longer than
 * MAX_LINE is an error as soon as it is that long, never held whole.
 */
async function* linesOf(input: AsyncIterable<Buffer>, subject: string): AsyncGenerator<string> {
  let carry: Buffer | undefined;
  let n = 0;
  for await (const chunk of input) {
    let buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = undefined;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      n++;
      const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      yield buf.toString('utf8', start, end);
      start = nl + 1;
    }
    if (start < buf.length) {
      buf = buf.subarray(start);
      if (buf.length > MAX_LINE) throw new ImageError(`tar-split record ${n + 1} is oversized`, { subject });
      // zlib hands out a fresh buffer per chunk: the tail is kept as is (concat copies it next time).
      carry = buf;
    }
  }
  if (carry) yield carry.toString('utf8');
}

/** The layer's tar as a stream (unverified: the caller checks it against the diff_id). */
export function tarSplitStream(tarSplitPath: string, root: string, subject: string): Readable {
  return Readable.from(rebuild(tarSplitPath, root, subject), { objectMode: false });
}

/**
 * A layer stored as files, as a verifying stream: the rebuilt tar checked against the diff_id (its
 * one check, named so in messages) and, when known (> 0), its size.
 */
export function openTarSplitLayer(record: string, root: string, diffId: string, size: number, label: string, subject: string): Readable {
  return verifiedLayerStream({ raw: tarSplitStream(record, root, subject), compression: 'none', digest: diffId, diffId, size, verifyBlobDigest: false, label, subject });
}

// Rebuilds a layer's tar, byte for byte, from containers/storage's tar-split record
// (`<driver>-layers/<id>.tar-split.gz`) and the layer's files. The record is gzip'd JSON lines:
// `{"type":2,"payload":BASE64}` segments are raw tar bytes (headers, padding, end blocks), and
// `{"type":1,"name":N,"size":S}` entries stand for the S content bytes of file N, read from the
// layer's directory. The result's sha256 is then checked against the layer's diff_id as for any
// other layer, so a file changed on disk since the layer was stored fails the scan.
import { closeSync, constants, createReadStream, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { ImageError } from '../../errors.js';

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
 * A file's first `size` bytes, read synchronously: layer files are mostly small, and a thread-pool
 * round trip per open/stat/read/close made rebuilding a 5000-file layer several times slower.
 */
function* fileBytes(path: string, size: number, name: string, subject: string): Generator<Buffer> {
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
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - done));
      const bytesRead = readSync(fd, buf, 0, buf.length, done);
      if (bytesRead === 0) throw new ImageError(`layer file ${name} is shorter than the ${size} bytes the layer recorded`, { subject });
      done += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    closeSync(fd);
  }
}

/** Gathers small pieces (tar headers, small files) into chunks of about CHUNK bytes. */
class Batch {
  private parts: Buffer[] = [];
  private bytes = 0;
  add(b: Buffer): Buffer | undefined {
    this.parts.push(b);
    this.bytes += b.length;
    return this.bytes >= CHUNK ? this.take() : undefined;
  }
  take(): Buffer | undefined {
    if (this.bytes === 0) return undefined;
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    return out;
  }
}

async function* rebuild(tarSplitPath: string, root: string, subject: string): AsyncGenerator<Buffer> {
  const realRoot = realOrUndefined(root);
  if (realRoot === undefined) throw new ImageError(`layer directory ${root} is missing`, { subject });
  const lines = createInterface({ input: createReadStream(tarSplitPath).pipe(createGunzip()), crlfDelay: Infinity });
  let n = 0;
  const parents = new Map<string, string | undefined>();
  const batch = new Batch();
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
          const full = batch.add(Buffer.from(rec.payload, 'base64'));
          if (full) yield full;
        }
      } else if (rec.type === 1) {
        const size = rec.size ?? 0;
        if (typeof rec.name !== 'string' || !Number.isSafeInteger(size) || size < 0) {
          throw new ImageError(`tar-split record ${n} has no valid name or size (corrupt store)`, { subject: tarSplitPath });
        }
        if (size > 0) {
          for (const piece of fileBytes(await contentPath(root, realRoot, rec.name, subject, parents), size, rec.name, subject)) {
            const full = batch.add(piece);
            if (full) yield full;
          }
        }
      } else {
        throw new ImageError(`tar-split record ${n} has unknown type ${String(rec.type)} (corrupt store)`, { subject: tarSplitPath });
      }
    }
    const rest = batch.take();
    if (rest) yield rest;
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageError(`tar-split data unreadable (${(err as Error).message}; corrupt store)`, { subject: tarSplitPath, cause: err });
  } finally {
    lines.close();
  }
}

/** The layer's tar as a stream (unverified: the caller checks it against the diff_id). */
export function tarSplitStream(tarSplitPath: string, root: string, subject: string): Readable {
  return Readable.from(rebuild(tarSplitPath, root, subject), { objectMode: false });
}

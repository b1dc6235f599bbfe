// A layer blob on disk read as its uncompressed tar, pulled chunk by chunk: the walker's threads
// read this way (src/inventory/walk-worker.ts). Same checks as verifiedLayerStream (layer-stream.ts:
// blob size and digest, decompression by magic bytes, diff_id) and the same ImageError messages,
// but reads go into ONE reused buffer pair instead of a new 1 MiB Buffer per read (dead Buffers
// are freed only by a GC, and each thread's heap lets tens of MB of them pile up), and zlib gets
// small slices, so a compressible layer's inflated output is never held more than two slices deep.
import { open } from 'node:fs/promises';
import type { Hash } from 'node:crypto';
import { createGunzip, type Gunzip } from 'node:zlib';
import { ImageError, errorMessage } from '../errors.js';
import type { LayerFileSource } from '../model/image.js';
import { detectCompression } from './decompress.js';
import { hasherFor } from './digest.js';

/** Read size: large sequential reads (the same as open()'s). */
export const LAYER_READ_CHUNK = 1024 * 1024;
/** Inflated output per zlib round trip (decompress.ts uses the same). */
const INFLATE_CHUNK = 256 * 1024;
/** Compressed input per zlib write (its output, often 5-10x, is what is held at once). */
const INFLATE_SLICE = 64 * 1024;

/** Hashes and counts bytes, then checks them as VerifyStream does (same messages). */
class Check {
  private readonly hash: Hash;
  bytes = 0;
  constructor(private readonly expected: string, private readonly what: string, private readonly subject: string, private readonly size?: number) {
    this.hash = hasherFor(expected);
  }
  update(b: Buffer): void {
    this.bytes += b.length;
    if (this.size !== undefined && this.bytes > this.size) throw new ImageError(`${this.what} is larger than its descriptor's size ${this.size}`, { subject: this.subject });
    this.hash.update(b);
  }
  end(): void {
    if (this.size !== undefined && this.bytes !== this.size) throw new ImageError(`${this.what} has ${this.bytes} bytes, its descriptor says ${this.size}`, { subject: this.subject });
    const actual = `${this.expected.slice(0, this.expected.indexOf(':'))}:${this.hash.digest('hex')}`;
    if (actual !== this.expected) throw new ImageError(`${this.what} digest mismatch: expected ${this.expected}, got ${actual}`, { subject: this.subject });
  }
}

/** Feeds a gunzip one input chunk and resolves once it consumed it, with what it produced. */
class Inflater {
  private readonly z: Gunzip = createGunzip({ chunkSize: INFLATE_CHUNK });
  private out: Buffer[] = [];
  private failed: Error | undefined;
  constructor() {
    this.z.on('data', (c: Buffer) => this.out.push(c));
    this.z.on('error', (e: Error) => {
      this.failed ??= e;
    });
  }
  /** Resolves when zlib no longer needs `input` (so its buffer may be reused). */
  write(input: Buffer): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      this.z.write(input, (err) => {
        const e = err ?? this.failed;
        if (e) reject(e);
        else resolve(this.take());
      });
    });
  }
  end(): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      this.z.once('error', reject);
      this.z.end(() => (this.failed ? reject(this.failed) : resolve(this.take())));
    });
  }
  destroy(): void {
    this.z.destroy();
  }
  private take(): Buffer[] {
    const o = this.out;
    this.out = [];
    return o;
  }
}

/**
 * The uncompressed tar of the blob at `src`, verified: the iteration ends normally only when every
 * check passed; it throws the ImageError open()'s stream would have failed with. zstd blobs are
 * not read here (undefined: use openLayerFile's stream).
 */
export async function layerFileChunks(src: LayerFileSource): Promise<AsyncIterable<Buffer> | undefined> {
  const { label, subject } = src;
  let fh;
  try {
    fh = await open(src.path, 'r');
  } catch (err) {
    throw new ImageError(`${label}: cannot read the layer blob (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { subject, cause: err });
  }
  const head = Buffer.alloc(Math.min(4, src.size));
  try {
    await fh.read(head, 0, head.length, src.start);
  } catch (err) {
    await fh.close();
    throw new ImageError(`${label}: cannot read the layer blob (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { subject, cause: err });
  }
  const compression = detectCompression(head);
  if (compression === 'zstd') {
    await fh.close();
    return undefined;
  }
  const gzip = compression === 'gzip';
  const blob = src.verifyBlobDigest ? new Check(src.digest, `${label} blob`, subject, src.size) : undefined;
  // An uncompressed blob whose digest is its diff_id and was just checked needs no second hash.
  const diff = src.verifyBlobDigest && !gzip && src.digest === src.diffId ? undefined : new Check(src.diffId, `${label} uncompressed content (diff_id)`, subject);
  const handle = fh;
  return (async function* chunks(): AsyncGenerator<Buffer> {
    const bufs = [Buffer.allocUnsafe(LAYER_READ_CHUNK), Buffer.allocUnsafe(LAYER_READ_CHUNK)];
    const inflater = gzip ? new Inflater() : undefined;
    let pos = 0;
    let turn = 0;
    /** The next read of the blob into the next buffer of the pair; an empty one at its end. */
    const read = async (): Promise<Buffer> => {
      const buf = bufs[turn]!;
      turn ^= 1;
      const want = Math.min(buf.length, src.size - pos);
      if (want <= 0) {
        blob?.end();
        return buf.subarray(0, 0);
      }
      const { bytesRead } = await handle.read(buf, 0, want, src.start + pos);
      pos += bytesRead;
      const got = buf.subarray(0, bytesRead);
      blob?.update(got);
      // The blob's own checks come first when it ends, before zlib's or the tar's (as in the stream).
      if (bytesRead === 0) blob?.end();
      return got;
    };
    const emit = function* (out: Buffer[]): Generator<Buffer> {
      for (const c of out) {
        diff?.update(c);
        yield c;
      }
    };
    try {
      if (!inflater) {
        // The consumer is done with a chunk when it asks for the next: one buffer would do.
        for (let got = await read(); got.length > 0; got = await read()) {
          diff?.update(got);
          yield got;
        }
      } else {
        // zlib gets the input in slices and the tar parser each slice's output while zlib inflates
        // the next one: at most two slices in flight, so what is held stays small (a whole 1 MiB
        // read of a compressible layer inflates to tens of MiB). A read buffer is reused only when
        // every slice of it was inflated: two reads later, while one slice of the other is in flight.
        let prev: Promise<Buffer[]> | undefined;
        for (let got = await read(); got.length > 0; got = await read()) {
          for (let at = 0; at < got.length; at += INFLATE_SLICE) {
            const p = inflater.write(got.subarray(at, Math.min(got.length, at + INFLATE_SLICE)));
            p.catch(() => undefined);
            if (prev) yield* emit(await prev);
            prev = p;
          }
        }
        if (prev) yield* emit(await prev);
        yield* emit(await inflater.end());
      }
      diff?.end();
    } catch (err) {
      if (err instanceof ImageError) throw err;
      throw new ImageError(`${label}: corrupt or truncated layer data (${errorMessage(err)})`, { subject, cause: err });
    } finally {
      inflater?.destroy();
      await handle.close();
    }
  })();
}

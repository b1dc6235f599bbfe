// A layer blob on disk read as its uncompressed tar, pulled chunk by chunk: the walker reads local
// layers this way, in its threads (src/inventory/walk-worker.ts) and on its own thread (walker.ts).
// Same checks as verifiedLayerStream (layer-stream.ts: blob size and digest, decompression by magic
// bytes, diff_id) and the same ImageError messages, but reads go into one reused buffer instead of a
// new 1 MiB Buffer per read, and zlib's output is pulled one chunk at a time: a stream pipeline let
// zlib inflate a whole 1 MiB input ahead of the walker and kept 30-50 MB of Buffers alive or dead
// between collections (bench/big-images.ts, OCI gzip layers). Reads are synchronous: a read from the
// page cache sent to the thread pool and back cost more than the copy itself, and left the reading
// thread idle meanwhile. A walker thread has nothing else to do; the main thread, which also merges
// the threads' deltas, hands them their next layers and talks to the cache, gives its event loop a
// turn every `turnEvery` bytes read (walker.ts).
import { readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Hash } from 'node:crypto';
import { createGunzip, type Gunzip } from 'node:zlib';
import { ImageError, errorMessage } from '../errors.js';
import type { LayerFileSource } from '../model/image.js';
import { detectCompression } from './compression.js';
import { hasherFor } from './digest.js';
import { LoopTurns } from '../util/loop-turns.js';

/** Read size: large sequential reads (the same as open()'s). */
export const LAYER_READ_CHUNK = 1024 * 1024;
/** Inflated output per zlib round trip (decompress.ts uses the same). */
const INFLATE_CHUNK = 256 * 1024;

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

/**
 * A gunzip fed one input chunk at a time and drained by pulling: zlib stops when its one output
 * chunk is not taken yet (its backpressure), so a bomb's output is never held more than a chunk
 * deep. A 'data' listener would take everything it makes from one input at once.
 */
class Inflater {
  private readonly z: Gunzip = createGunzip({ chunkSize: INFLATE_CHUNK });
  private failed: Error | undefined;
  private ended = false;
  private wake: (() => void) | undefined;
  constructor() {
    const poke = (): void => {
      const w = this.wake;
      this.wake = undefined;
      w?.();
    };
    this.z.on('readable', poke);
    this.z.on('end', () => {
      this.ended = true;
      poke();
    });
    this.z.on('error', (e: Error) => {
      this.failed ??= e;
      poke();
    });
    this.poke = poke;
  }
  private readonly poke: () => void;
  /** Inflates `input` (or, without it, the end of the stream), yielding the output as it comes. */
  async *inflate(input?: Buffer): AsyncGenerator<Buffer> {
    let consumed = false;
    const done = (err?: Error | null): void => {
      if (err) this.failed ??= err;
      consumed = true;
      this.poke();
    };
    if (input) this.z.write(input, done);
    else this.z.end();
    for (;;) {
      for (let c = this.z.read() as Buffer | null; c !== null; c = this.z.read() as Buffer | null) yield c;
      if (this.failed) throw this.failed;
      if (input ? consumed && this.z.readableLength === 0 : this.ended) return;
      await new Promise<void>((r) => {
        this.wake = r;
      });
    }
  }
  destroy(): void {
    this.z.destroy();
  }
}

/**
 * The uncompressed tar of the blob at `src`, verified: the iteration ends normally only when every
 * check passed; it throws the ImageError open()'s stream would have failed with. zstd blobs are
 * not read here (undefined: use openLayerFile's stream). `hook.inflated` is called after every
 * `hook.every` bytes zlib produced (the walker collects zlib's dead buffers then). `turnEvery`:
 * bytes read between two turns of the event loop, for a thread that has other work (the reads are
 * synchronous, and an uncompressed layer's walk would otherwise hold the loop to its end); none on
 * a walker thread.
 */
export async function layerFileChunks(src: LayerFileSource, hook?: { every: number; inflated(): void }, turnEvery?: number): Promise<(AsyncIterable<Buffer> & { readInto?(target: Buffer): Promise<number> }) | undefined> {
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
  // Shared by the chunks and readInto(): the blob's read position and the turns of the loop.
  let pos = 0;
  const turns = new LoopTurns(turnEvery);
  const iterable = (async function* chunks(): AsyncGenerator<Buffer> {
    // One buffer, read into synchronously (above). The consumer is done with a chunk when it asks
    // for the next, and zlib with its input when inflate() has ended: only then is it read into again.
    const buf = Buffer.allocUnsafe(LAYER_READ_CHUNK);
    const inflater = gzip ? new Inflater() : undefined;
    /** The next read of the blob into the buffer; an empty one at its end. */
    const next = async (): Promise<Buffer> => {
      const want = Math.min(buf.length, src.size - pos);
      if (want <= 0) return buf.subarray(0, 0);
      const bytesRead = readSync(handle.fd, buf, 0, want, src.start + pos);
      pos += bytesRead;
      await turns.after(bytesRead);
      const got = buf.subarray(0, bytesRead);
      blob?.update(got);
      // The blob's own checks run as soon as its last byte is read, before that byte is inflated or
      // parsed (as in open()'s stream, where the blob ends before zlib has caught up with it).
      if (bytesRead === 0 || pos === src.size) blob?.end();
      return got;
    };
    let since = 0;
    const emit = async function* (out: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const c of out) {
        diff?.update(c);
        yield c;
        since += c.length;
        if (hook && since >= hook.every) {
          since = 0;
          hook.inflated();
        }
      }
    };
    try {
      if (!inflater) {
        // The consumer is done with a chunk when it asks for the next.
        for (let got = await next(); got.length > 0; got = await next()) {
          diff?.update(got);
          yield got;
        }
      } else {
        // zlib keeps the input until its write callback: the buffer is read into again only then.
        for (let got = await next(); got.length > 0; got = await next()) yield* emit(inflater.inflate(got));
        yield* emit(inflater.inflate());
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
  if (gzip) return iterable;
  /**
   * The next bytes of the (uncompressed) blob straight into `target`, checked like every chunk:
   * a wanted file's bytes land where the walker keeps them, without a copy out of the read buffer.
   * Called only between chunks (the consumer has taken all of the last one). Returns how many
   * bytes were read: fewer than asked when the blob ended (its checks have run then).
   */
  const readInto = async (target: Buffer): Promise<number> => {
    let got = 0;
    try {
      while (got < target.length) {
        const want = Math.min(target.length - got, LAYER_READ_CHUNK * 8, src.size - pos);
        const bytesRead = want <= 0 ? 0 : readSync(handle.fd, target, got, want, src.start + pos);
        pos += bytesRead;
        const piece = target.subarray(got, got + bytesRead);
        blob?.update(piece);
        diff?.update(piece);
        got += bytesRead;
        if (bytesRead === 0 || pos === src.size) {
          blob?.end();
          // The tar ends inside this entry: a diff_id of other bytes is what tells the caller.
          if (got < target.length) diff?.end();
          break;
        }
        await turns.after(bytesRead);
      }
    } catch (err) {
      if (err instanceof ImageError) throw err;
      throw new ImageError(`${label}: corrupt or truncated layer data (${errorMessage(err)})`, { subject, cause: err });
    }
    return got;
  };
  // The tar reader's DirectSource (src/inventory/tar-reader.ts).
  return Object.assign(iterable, { readInto });
}

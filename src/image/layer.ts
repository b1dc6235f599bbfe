// Builds Layer objects whose open() streams the uncompressed tar while verifying it. The
// decompressing stream (layer-stream.ts, zlib) is loaded by the first open(): checking a stored
// blob's digest (verify(), all a cache hit needs) loads none of it.
import type { Hash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ImageError } from '../errors.js';
import type { Layer, LayerFileSource } from '../model/image.js';
import { readHead, type BlobLocation, type BlobStore } from './blob-store.js';
import { detectCompression } from './compression.js';
import type { verifiedLayerStream as VerifiedLayerStream } from './layer-stream.js';
import { hasherFor } from './digest.js';
import { LoopTurns } from '../util/loop-turns.js';
import { READ_NONBLOCK } from '../util/regular-file.js';

export interface LayerSpec {
  store: BlobStore;
  /** Name of the blob inside the store. */
  name: string;
  index: number;
  /** Digest of the stored blob (LayerRef.digest). */
  digest: string;
  diffId: string;
  mediaType: string;
  /** Descriptor size; 0 when unknown. */
  size: number;
  createdBy?: string;
  /**
   * Whether `digest` is a real claim about the stored bytes that must be checked (OCI descriptors,
   * docker-save blob names). False when it was only inferred (docker-archive classic layer.tar,
   * where the stored blob is the uncompressed tar and diffId covers it).
   */
  verifyBlobDigest: boolean;
}

export function makeLayer(spec: LayerSpec): Layer {
  const { store, name, index, digest, diffId, mediaType, size, createdBy } = spec;
  const subject = store.location;
  const label = `layer ${index} (${name})`;
  const checkSize = async (): Promise<number> => {
    const stored = await store.size(name);
    if (stored === undefined) throw new ImageError(`missing layer blob ${name}`, { subject });
    if (size > 0 && stored !== size) {
      throw new ImageError(`${label} has ${stored} bytes, its descriptor says ${size}`, { subject });
    }
    return stored;
  };
  const verified = async (): Promise<Readable> => {
    const stored = await checkSize();
    const compression = detectCompression(await readHead(store, name, 4));
    const verifiedLayerStream = await layerStream();
    return verifiedLayerStream({
      raw: await store.open(name, undefined, { chunkBytes: READ_CHUNK }),
      compression,
      digest,
      diffId,
      size: size > 0 ? size : stored,
      verifyBlobDigest: spec.verifyBlobDigest,
      label,
      subject,
    });
  };
  return {
    index,
    digest,
    diffId,
    mediaType,
    size,
    ...(createdBy !== undefined ? { createdBy } : {}),
    open: verified,
    async fileSource(): Promise<LayerFileSource | undefined> {
      if (!store.locate) return undefined;
      const stored = await checkSize();
      const at = await store.locate(name);
      // An empty blob has no range to stream (open() handles it); sizes that disagree never happen.
      const length = at?.length ?? stored;
      if (!at || length === 0 || length !== stored) return undefined;
      const compressed = detectCompression(await readHead(store, name, 4)) !== 'none';
      return { path: at.path, start: at.offset, size: length, digest, diffId, verifyBlobDigest: spec.verifyBlobDigest, compressed, label, subject };
    },
    async verify(): Promise<void> {
      const stored = await checkSize();
      // The stored blob is hashed against what names it: its descriptor digest, or, for a classic
      // docker-save layer.tar (an uncompressed tar, no digest of its own), the diff_id. Such a blob
      // that is compressed anyway has only a diff_id to check: it is read through open().
      let expected = digest;
      if (!spec.verifyBlobDigest) {
        if (detectCompression(await readHead(store, name, 4)) !== 'none') return drain(await verified());
        expected = diffId;
      }
      await hashStoredBlob(store, name, expected, size > 0 ? size : stored, `${label} blob`, subject);
    },
  };
}

/**
 * The stream open() gives, from a fileSource() on any thread (the walker's worker threads): the same
 * decompression by magic bytes and the same digest, size and diff_id checks.
 */
export async function openLayerFile(src: LayerFileSource): Promise<Readable> {
  const head = Buffer.alloc(Math.min(4, src.size));
  try {
    const fh = await open(src.path, 'r');
    try {
      await fh.read(head, 0, head.length, src.start);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new ImageError(`${src.label}: cannot read the layer blob (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { subject: src.subject, cause: err });
  }
  const verifiedLayerStream = await layerStream();
  return verifiedLayerStream({
    raw: createReadStream(src.path, { start: src.start, end: src.start + src.size - 1, highWaterMark: READ_CHUNK }),
    compression: detectCompression(head),
    digest: src.digest,
    diffId: src.diffId,
    size: src.size,
    verifyBlobDigest: src.verifyBlobDigest,
    label: src.label,
    subject: src.subject,
  });
}

async function layerStream(): Promise<typeof VerifiedLayerStream> {
  return (await import('./layer-stream.js')).verifiedLayerStream;
}

/** Reads a verifying stream to its end (its own digest checks run as it ends), then destroys it. */
export async function drain(stream: Readable): Promise<void> {
  try {
    for await (const _ of stream) {
      // the stream checks its digests as it ends
    }
  } finally {
    stream.destroy();
  }
}

/**
 * Read size of the verify-only path: one buffer, reused for every blob this process verifies (a
 * fresh buffer per read, what a read stream gives, cost more in page faults and GC than the hash
 * itself: docker-archive warm run, 172 MB layer, CPU 570 ms -> 170 ms for read + hash).
 */
export const VERIFY_CHUNK = 256 * 1024;
/**
 * Bytes hashed between two turns of the event loop: the reads are synchronous (below), and a
 * walker thread's messages, other layers' reads and the cache's round trips wait at most this long.
 */
const VERIFY_TURN_EVERY = 8 * 1024 * 1024;
let verifyBuffer: Buffer | undefined;
/**
 * Read size of a layer walked through open(): fs streams read 64 KiB at a time by default, and on
 * an uncompressed 1.3 GB layer those 20k reads cost the main thread ~3 s (bench/big-images.ts).
 */
const READ_CHUNK = 1024 * 1024;

/** Hashes a stored blob as it is (no decompression, no tar parsing) and checks size and digest. */
export async function hashStoredBlob(store: BlobStore, name: string, expected: string, expectedSize: number, what: string, subject: string): Promise<void> {
  const hash = hasherFor(expected);
  const location = await store.locate?.(name);
  // Reading stops one byte past the expected size: that byte is enough to know the blob is longer.
  let bytes: number;
  try {
    bytes = location ? await hashFileRange(location, hash, expectedSize + 1) : await hashStream(store, name, hash, expectedSize + 1);
  } catch (err) {
    // A blob that vanished or became something else (a FIFO: ESPIPE) since it was found.
    if (err instanceof ImageError) throw err;
    throw new ImageError(`${what}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { subject, cause: err });
  }
  if (bytes !== expectedSize) throw new ImageError(`${what} has ${bytes > expectedSize ? `more than ${expectedSize}` : bytes} bytes, its descriptor says ${expectedSize}`, { subject });
  const actual = `${expected.slice(0, expected.indexOf(':'))}:${hash.digest('hex')}`;
  if (actual !== expected) throw new ImageError(`${what} digest mismatch: expected ${expected}, got ${actual}`, { subject });
}

/**
 * Reads up to `limit` bytes of a located blob and hashes them; returns the bytes read (fewer than
 * `limit` at the range's or file's end). The reads are synchronous, into one buffer: a read from
 * the page cache sent to the thread pool and back cost more than the copy itself (65 MB of blobs
 * in fresh processes: wall 57-60 ms and CPU 72-74 ms with two buffers taking turns in the pool,
 * 45-46 ms and 45-46 ms so), as in the walker (layer-file.ts). Each read is hashed before the
 * buffer is read into again, also across the turns other blobs' checks may take meanwhile.
 */
async function hashFileRange(location: BlobLocation, hash: Hash, limit: number): Promise<number> {
  const want = Math.min(location.length ?? Infinity, limit);
  const fd = openSync(location.path, READ_NONBLOCK);
  let done = 0;
  const turns = new LoopTurns(VERIFY_TURN_EVERY);
  try {
    while (done < want) {
      const buffer = (verifyBuffer ??= Buffer.allocUnsafeSlow(VERIFY_CHUNK));
      const bytesRead = readSync(fd, buffer, 0, Math.min(buffer.length, want - done), location.offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
      hash.update(buffer.subarray(0, bytesRead));
      if (done < want) await turns.after(bytesRead);
    }
  } finally {
    closeSync(fd);
  }
  return done;
}

/** The same through the store's stream, for a store that cannot say where its bytes lie. */
async function hashStream(store: BlobStore, name: string, hash: Hash, limit: number): Promise<number> {
  let bytes = 0;
  const stream = await store.open(name, undefined, { chunkBytes: READ_CHUNK });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const take = Math.min(chunk.length, limit - bytes);
      bytes += take;
      hash.update(take === chunk.length ? chunk : chunk.subarray(0, take));
      if (bytes >= limit) break;
    }
  } finally {
    stream.destroy();
  }
  return bytes;
}

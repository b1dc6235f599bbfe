// Reads an image export stream (`GET /images/{name}/get`: the classic `docker save` layout, or the
// OCI layout Docker 25+ writes) once, front to back. Layer blobs are handed out as they come, each
// as its uncompressed tar, while both digests (stored bytes and uncompressed content) are computed
// on the way; small metadata files are kept. Which blob is which layer is known only from
// manifest.json, usually the last entry: export-image.ts checks every blob against it at the end.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { PassThrough, Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import type TarStream from 'tar-stream';
import { ImageError, errorMessage } from '../../errors.js';
import type { ArrivingLayer } from '../../model/image.js';
import { lazyRequire } from '../../util/lazy-require.js';
import { detectCompression, type Compression } from '../compression.js';
import { decompressor } from '../decompress.js';
import { normaliseEntryName } from '../tar-index.js';
import { MAX_METADATA_BLOB } from '../verified-blob.js';

const tarStream = lazyRequire<typeof TarStream>('tar-stream');

/** What a layer blob turned out to be, once read to its end. */
export interface ArrivalDigests {
  /** sha256 of the stored bytes. */
  digest: string;
  /** sha256 of the uncompressed tar. */
  diffId: string;
  size: number;
  compression: Compression;
}

/** All metadata files together: an export is a few KiB of JSON beside its layers. */
const MAX_METADATA_TOTAL = 64 * 1024 * 1024;

class Sha256Tap extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** OCI-layout blobs (layers and JSON alike). */
function isBlob(name: string): boolean {
  return /^blobs\/(sha256|sha512)\/[a-f0-9]+$/.test(name);
}
function isMetadataFile(name: string): boolean {
  return name === 'manifest.json' || name === 'index.json' || name === 'oci-layout' || name === 'repositories' || /^[a-f0-9]{64}\.json$/.test(name);
}

/**
 * Whether an entry is a layer blob, from its first bytes: compressed, or a tar (whole 512-byte
 * blocks, at least the two end blocks). Layers go by many names (`<id>/layer.tar` in Docker's
 * classic export, `<diff_id>.tar` in podman's, `blobs/sha256/<hex>` in the OCI layout) and only
 * manifest.json, at the end, says which are used: every layer-shaped entry is read as one.
 */
function isLayerShaped(head: Buffer, size: number): boolean {
  if (detectCompression(head) !== 'none') return true;
  return size >= 1024 && size % 512 === 0;
}

/** The first chunk of a tar-stream entry, and a node Readable of the whole entry. */
async function peek(entry: AsyncIterable<Buffer>): Promise<{ head: Buffer; whole: Readable }> {
  const it = entry[Symbol.asyncIterator]();
  const first = await it.next();
  const head: Buffer = first.done ? Buffer.alloc(0) : first.value;
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, whole: Readable.from(all(), { objectMode: false }) };
}

/** A JSON document starts with `{` (after whitespace); a layer is tar, gzip or zstd. */
function looksLikeJson(head: Buffer): boolean {
  for (const b of head) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b;
  }
  return false;
}

async function readAll(stream: Readable, limit: number, what: string, subject: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    size += (c as Buffer).length;
    if (size > limit) throw new ImageError(`${what} is larger than ${limit} bytes`, { subject });
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export class ExportStream {
  /** Small files by entry name (manifest.json, configs, OCI index and manifests). */
  readonly metadata = new Map<string, Buffer>();
  /** Symlinked entries (classic docker save links a repeated layer to its first copy). */
  readonly links = new Map<string, string>();
  readonly digests = new Map<string, ArrivalDigests>();
  private metadataBytes = 0;

  constructor(private readonly body: Readable, private readonly subject: string) {}

  async *arrivals(): AsyncGenerator<ArrivingLayer> {
    const extract = tarStream().extract();
    let failure: Error | undefined;
    pipeline(this.body, extract as unknown as NodeJS.WritableStream, (err) => {
      if (err) failure = err;
    });
    try {
      for await (const entry of extract) {
        const header = entry.header;
        const name = normaliseEntryName(header.name, this.subject);
        if (header.type === 'symlink' && header.linkname) {
          this.links.set(name, posix.normalize(posix.join(posix.dirname(name), header.linkname)));
          entry.resume();
          continue;
        }
        if (header.type !== 'file' && header.type !== 'contiguous-file') {
          entry.resume();
          continue;
        }
        if (isMetadataFile(name)) {
          await this.keep(name, Readable.from(entry, { objectMode: false }));
          continue;
        }
        const { head, whole } = await peek(entry as unknown as AsyncIterable<Buffer>);
        if (isBlob(name) && looksLikeJson(head)) {
          await this.keep(name, whole);
          continue;
        }
        if (looksLikeJson(head) || !isLayerShaped(head, header.size ?? 0)) {
          whole.resume();
          await new Promise((resolve, reject) => whole.once('end', resolve).once('error', reject));
          continue;
        }
        const { stream, done } = this.layerStream(name, head, whole);
        yield { name, stream };
        // The consumer read the stream to its end (or gave up: then this rejects).
        this.digests.set(name, await done);
      }
    } catch (err) {
      if (err instanceof ImageError) throw err;
      throw new ImageError(`image export stream: ${errorMessage(failure ?? err)}`, { subject: this.subject, cause: err });
    } finally {
      extract.destroy();
      this.body.destroy();
    }
    if (failure) throw new ImageError(`image export stream: ${errorMessage(failure)}`, { subject: this.subject, cause: failure });
  }

  private async keep(name: string, stream: Readable): Promise<void> {
    const data = await readAll(stream, MAX_METADATA_BLOB, `export entry ${name}`, this.subject);
    this.metadataBytes += data.length;
    if (this.metadataBytes > MAX_METADATA_TOTAL) throw new ImageError(`image export holds more than ${MAX_METADATA_TOTAL} bytes of metadata`, { subject: this.subject });
    this.metadata.set(name, data);
  }

  /** Stored bytes -> sha256 -> decompress (by magic bytes) -> sha256 of the tar -> consumer. */
  private layerStream(name: string, head: Buffer, whole: Readable): { stream: Readable; done: Promise<ArrivalDigests> } {
    const compression = detectCompression(head);
    const raw = new Sha256Tap();
    const decomp = decompressor(compression);
    const content = decomp ? new Sha256Tap() : undefined;
    const out = new PassThrough();
    const stages = [whole, raw, ...(decomp ? [decomp] : []), ...(content ? [content] : []), out];
    const done = new Promise<ArrivalDigests>((resolve, reject) => {
      pipeline(stages, (err) => {
        if (err) {
          reject(err instanceof ImageError ? err : new ImageError(`layer blob ${name}: corrupt or truncated (${errorMessage(err)})`, { subject: this.subject, cause: err }));
          return;
        }
        const digest = raw.digest();
        resolve({ digest, diffId: content ? content.digest() : digest, size: raw.bytes, compression });
      });
    });
    done.catch(() => undefined);
    return { stream: out, done };
  }
}

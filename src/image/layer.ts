// Builds Layer objects whose open() streams the uncompressed tar while verifying it.
import { PassThrough, pipeline, type Readable, type Transform } from 'node:stream';
import { ImageError, errorMessage } from '../errors.js';
import type { Layer } from '../model/image.js';
import { readHead, type BlobStore } from './blob-store.js';
import { decompressor, detectCompression } from './decompress.js';
import { VerifyStream } from './verify-stream.js';

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

/** The consumer's end of the chain: every failure reaches it as one ImageError naming the blob. */
class LayerStream extends PassThrough {
  constructor(private readonly label: string, private readonly subject: string) {
    super();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (err && !(err instanceof ImageError)) {
      cb(new ImageError(`${this.label}: corrupt or truncated layer data (${errorMessage(err)})`, { subject: this.subject, cause: err }));
      return;
    }
    cb(err);
  }
}

export function makeLayer(spec: LayerSpec): Layer {
  const { store, name, index, digest, diffId, mediaType, size, createdBy } = spec;
  const subject = store.location;
  const label = `layer ${index} (${name})`;
  return {
    index,
    digest,
    diffId,
    mediaType,
    size,
    ...(createdBy !== undefined ? { createdBy } : {}),
    async open(): Promise<Readable> {
      const stored = await store.size(name);
      if (stored === undefined) throw new ImageError(`missing layer blob ${name}`, { subject });
      if (size > 0 && stored !== size) {
        throw new ImageError(`${label} has ${stored} bytes, its descriptor says ${size}`, { subject });
      }
      const compression = detectCompression(await readHead(store, name, 4));
      const stages: Transform[] = [];
      if (spec.verifyBlobDigest) {
        stages.push(new VerifyStream({ expectedDigest: digest, expectedSize: size > 0 ? size : stored, what: `${label} blob`, subject }));
      }
      const decomp = decompressor(compression);
      if (decomp) stages.push(decomp);
      // An uncompressed blob whose digest is its diff_id and was just checked needs no second hash.
      if (!(spec.verifyBlobDigest && !decomp && digest === diffId)) {
        stages.push(new VerifyStream({ expectedDigest: diffId, what: `${label} uncompressed content (diff_id)`, subject }));
      }
      const out = new LayerStream(label, subject);
      const raw = await store.open(name);
      // pipeline destroys every stage (and `out`) with the first error, so it reaches the consumer.
      pipeline([raw, ...stages, out], () => {});
      return out;
    },
  };
}

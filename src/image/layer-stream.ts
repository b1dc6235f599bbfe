// The verifying chain every layer goes through, local or remote: stored-blob digest and size,
// decompression chosen by magic bytes, then the diff_id of the uncompressed tar.
import { PassThrough, pipeline, type Readable, type Transform } from 'node:stream';
import { ImageError, errorMessage } from '../errors.js';
import type { Compression } from './compression.js';
import { decompressor } from './decompress.js';
import { VerifyStream } from './verify-stream.js';

/** The consumer's end of the chain: every failure reaches it as one ImageError naming the layer. */
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

export interface VerifiedLayerSpec {
  /** The stored blob's bytes. */
  raw: Readable;
  compression: Compression;
  digest: string;
  diffId: string;
  /** Expected stored size (0: unknown). */
  size: number;
  /** False when `digest` was only inferred and is no claim about the stored bytes. */
  verifyBlobDigest: boolean;
  label: string;
  subject: string;
}

/** Streams the uncompressed tar; a consumer that reads to the end without error saw only verified bytes. */
export function verifiedLayerStream(spec: VerifiedLayerSpec): Readable {
  const { raw, compression, digest, diffId, size, verifyBlobDigest, label, subject } = spec;
  const stages: Transform[] = [];
  if (verifyBlobDigest) {
    stages.push(new VerifyStream({ expectedDigest: digest, ...(size > 0 ? { expectedSize: size } : {}), what: `${label} blob`, subject }));
  }
  const decomp = decompressor(compression);
  if (decomp) stages.push(decomp);
  // An uncompressed blob whose digest is its diff_id and was just checked needs no second hash.
  if (!(verifyBlobDigest && !decomp && digest === diffId)) {
    stages.push(new VerifyStream({ expectedDigest: diffId, what: `${label} uncompressed content (diff_id)`, subject }));
  }
  const out = new LayerStream(label, subject);
  // pipeline destroys every stage (and `out`) with the first error, so it reaches the consumer.
  pipeline([raw, ...stages, out], () => {});
  return out;
}

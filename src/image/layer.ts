// Builds Layer objects whose open() streams the uncompressed tar while verifying it.
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageError } from '../errors.js';
import type { Layer } from '../model/image.js';
import { readHead, type BlobStore } from './blob-store.js';
import { detectCompression } from './decompress.js';
import { verifiedLayerStream } from './layer-stream.js';
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
    return verifiedLayerStream({
      raw: await store.open(name),
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
      const check = new VerifyStream({ expectedDigest: expected, expectedSize: size > 0 ? size : stored, what: `${label} blob`, subject });
      await pipeline(await store.open(name), check, new Writable({ write: (_c, _e, cb) => cb() }));
    },
  };
}

async function drain(stream: Readable): Promise<void> {
  try {
    for await (const _ of stream) {
      // the stream checks its digests as it ends
    }
  } finally {
    stream.destroy();
  }
}

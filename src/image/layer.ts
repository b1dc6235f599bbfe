// Builds Layer objects whose open() streams the uncompressed tar while verifying it.
import type { Readable } from 'node:stream';
import { ImageError } from '../errors.js';
import type { Layer } from '../model/image.js';
import { readHead, type BlobStore } from './blob-store.js';
import { detectCompression } from './decompress.js';
import { verifiedLayerStream } from './layer-stream.js';

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
    },
  };
}

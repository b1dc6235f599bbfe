// Reads a small content-addressed blob (index, manifest, config) and checks it against its descriptor.
import { ImageError } from '../errors.js';
import type { BlobStore } from './blob-store.js';
import { parseJson } from './config.js';
import type { Descriptor } from './descriptor.js';
import { blobPath, digestAlgorithm, digestOf } from './digest.js';

/** Metadata blobs are small; anything bigger is hostile or not an image. */
export const MAX_METADATA_BLOB = 16 * 1024 * 1024;

export async function readVerifiedBlob(store: BlobStore, desc: Descriptor, what: string): Promise<Buffer> {
  const name = blobPath(desc.digest);
  const size = await store.size(name);
  if (size === undefined) throw new ImageError(`missing ${what} blob ${desc.digest}`, { subject: store.location });
  if (size !== desc.size) {
    throw new ImageError(`${what} blob ${desc.digest} has ${size} bytes, its descriptor says ${desc.size}`, { subject: store.location });
  }
  const data = await store.read(name, MAX_METADATA_BLOB);
  const actual = digestOf(data, digestAlgorithm(desc.digest));
  if (actual !== desc.digest) {
    throw new ImageError(`${what} blob ${desc.digest} digest mismatch (content hashes to ${actual})`, { subject: store.location });
  }
  return data;
}

export async function readVerifiedJson(store: BlobStore, desc: Descriptor, what: string): Promise<Record<string, unknown>> {
  return parseJson(await readVerifiedBlob(store, desc, what), `${what} ${desc.digest}`, store.location);
}

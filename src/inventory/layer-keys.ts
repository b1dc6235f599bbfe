// What names a layer's stored delta and what makes a stored result trusted: the layer's ref, the
// store key (the walker's and every wanter's version), and the check of the local bytes that every
// hit still needs. Apart from the walker (walker.ts) so that a scan answered from the cache, which
// walks nothing, loads none of the walking code.
import type { Layer } from '../model/image.js';
import type { LayerRef } from '../model/package.js';
import { drain } from '../image/layer.js';
import type { FileWanter } from './walk-layer.js';

export interface WalkProgress {
  layerIndex: number;
  layerCount: number;
  digest: string;
}

/**
 * Layers walked at once. Reading a layer is mostly waiting for the decompressor's thread pool, so
 * the next layer's delta is computed while this one's is; deltas are still merged in layer order.
 * Each walk holds at most one file being captured, so memory grows by one file at most.
 */
export const LAYER_CONCURRENCY = 2;

export function layerRefOf(layer: LayerRef): LayerRef {
  const ref: LayerRef = { index: layer.index, digest: layer.digest, diffId: layer.diffId };
  if (layer.createdBy !== undefined) ref.createdBy = layer.createdBy;
  return ref;
}

/** Bump when walkLayer's output for the same bytes and wanters changes: part of the cache key. */
export const WALKER_VERSION = 7;

/** The store key of a first-pass delta: the walker's version and every wanter's. */
export const storeKey = (wanters: readonly FileWanter[]): { name: string; version: number }[] => [
  { name: 'walker', version: WALKER_VERSION },
  ...wanters.map((w) => ({ name: w.name, version: w.version ?? 0 })),
];

/**
 * A cache hit never skips checking the local bytes: a layer's own `verify()` hashes the stored
 * blob against its descriptor (no tar parsing, no decompression; a registry blob fetched by digest
 * has nothing local to check). A source without `verify()` is read through `open()` to the end,
 * which checks every digest it has. Rejects with the source's ImageError on a mismatch.
 */
export async function verifyLayerBytes(layer: Layer): Promise<void> {
  if (layer.verify) return layer.verify();
  return drain(await layer.open());
}

/**
 * verifyLayerBytes for every layer, LAYER_CONCURRENCY at a time (one blob read while another is
 * hashed): what trusting a whole stored inventory needs. All settle before it returns, so the
 * caller may close the image; the first failure is the one thrown.
 */
export async function verifyLayers(layers: readonly Layer[], onProgress?: (p: WalkProgress) => void): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < layers.length) {
      const layer = layers[next++]!;
      onProgress?.({ layerIndex: layer.index, layerCount: layers.length, digest: layer.digest });
      try {
        await verifyLayerBytes(layer);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(LAYER_CONCURRENCY, layers.length) }, worker));
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

// The one-pass walker: every layer is read once, in order, into a LayerDelta, and the deltas are
// merged into the view of wanted files. Catalogers then read files from that view (view.ts).
import type { Layer } from '../model/image.js';
import type { LayerRef } from '../model/package.js';
import type { ScanWarning } from '../model/warning.js';
import type { LayerDelta } from './layer-delta.js';
import { walkLayer, type FileWanter } from './walk-layer.js';
import { WantedFs } from './wanted-fs.js';

export interface WalkProgress {
  layerIndex: number;
  layerCount: number;
  digest: string;
}

/** The layer a stored delta is about: its stored blob (digest) and its uncompressed content (diffId). */
export interface LayerKey {
  digest: string;
  diffId: string;
}

export type WanterVersions = readonly { name: string; version: number }[];

/**
 * Where already-computed layer deltas are kept between scans (src/cache: on disk, and shared on
 * Redis). A delta is a pure function of the layer's content and the wanters (name@version); the
 * key holds both the blob digest and the diff_id so that re-hashing the stored blob is enough to
 * trust a hit (see deltaFor). Failures to read or write it never fail a scan.
 */
export interface LayerDeltaStore {
  /** Called once before the walk with every layer: a shared backend fetches them in one round trip. */
  prefetch?(layers: readonly LayerKey[], wanters: WanterVersions): Promise<void>;
  get(layer: LayerKey, wanters: WanterVersions): Promise<LayerDelta | undefined>;
  put(layer: LayerKey, wanters: WanterVersions, delta: LayerDelta): Promise<void>;
  /** Called once after a walk that ended without error: a shared backend writes in one round trip. */
  flush?(): Promise<void>;
}

export interface WalkOptions {
  /** Reuse deltas of layers seen before (keyed by diff_id and wanter versions). */
  store?: LayerDeltaStore;
  /** Called after each layer is merged, with the view as it stands after that layer. */
  onLayer?(fs: WantedFs, layer: LayerRef): void;
  onProgress?(p: WalkProgress): void;
}

export function layerRefOf(layer: LayerRef): LayerRef {
  const ref: LayerRef = { index: layer.index, digest: layer.digest, diffId: layer.diffId };
  if (layer.createdBy !== undefined) ref.createdBy = layer.createdBy;
  return ref;
}

/** Reads one layer into its delta (opens, walks, always closes the stream). */
export async function deltaOfLayer(layer: Layer, wanters: readonly FileWanter[]): Promise<LayerDelta> {
  const stream = await layer.open();
  try {
    return await walkLayer(stream, wanters, `layer ${layer.index} (${layer.digest})`);
  } finally {
    stream.destroy();
  }
}

/** Bump when walkLayer's output for the same bytes and wanters changes: part of the cache key. */
export const WALKER_VERSION = 4;

const storeKey = (wanters: readonly FileWanter[]): WanterVersions => [
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
  const stream = await layer.open();
  try {
    for await (const _ of stream) {
      // drained: the stream's own checks run as it ends
    }
  } finally {
    stream.destroy();
  }
}

/** The delta of a layer: from the store when it has it (bytes still verified), else walked (and then stored). */
async function deltaFor(layer: Layer, wanters: readonly FileWanter[], store: LayerDeltaStore | undefined): Promise<LayerDelta> {
  if (!store) return deltaOfLayer(layer, wanters);
  const key = storeKey(wanters);
  const hit = await store.get(layer, key).catch(() => undefined);
  if (hit) {
    await verifyLayerBytes(layer);
    return hit;
  }
  // deltaOfLayer resolves only after the whole stream was read and verified: only then is it stored.
  const delta = await deltaOfLayer(layer, wanters);
  await store.put(layer, key, delta).catch(() => undefined);
  return delta;
}

/**
 * Layers walked at once. Reading a layer is mostly waiting for the decompressor's thread pool, so
 * the next layer's delta is computed while this one's is; deltas are still merged in layer order.
 * Each walk holds at most one file being captured, so memory grows by one file at most.
 */
export const LAYER_CONCURRENCY = 2;

export async function walkLayers(
  layers: readonly Layer[],
  wanters: readonly FileWanter[],
  opts: WalkOptions = {},
): Promise<{ fs: WantedFs; warnings: ScanWarning[] }> {
  const fs = new WantedFs();
  const warnings: ScanWarning[] = [];
  await opts.store?.prefetch?.(layers, storeKey(wanters)).catch(() => undefined);
  const started: Promise<LayerDelta>[] = [];
  const start = (i: number): void => {
    if (i >= layers.length || started[i] !== undefined) return;
    const p = deltaFor(layers[i]!, wanters, opts.store);
    // Awaited in order below; until then a failure must not count as unhandled.
    p.catch(() => undefined);
    started[i] = p;
  };
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    for (let j = i; j < i + LAYER_CONCURRENCY; j++) start(j);
    opts.onProgress?.({ layerIndex: layer.index, layerCount: layers.length, digest: layer.digest });
    const delta = await started[i]!;
    const ref = layerRefOf(layer);
    fs.apply(delta, ref);
    for (const w of delta.warnings) warnings.push({ ...w, layer: layer.index });
    opts.onLayer?.(fs, ref);
  }
  await opts.store?.flush?.().catch(() => undefined);
  return { fs, warnings };
}

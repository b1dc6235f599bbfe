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

export interface WalkOptions {
  /** Called after each layer is merged, with the view as it stands after that layer. */
  onLayer?(fs: WantedFs, layer: LayerRef, delta: LayerDelta): void;
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
  const started: Promise<LayerDelta>[] = [];
  const start = (i: number): void => {
    if (i >= layers.length || started[i] !== undefined) return;
    const p = deltaOfLayer(layers[i]!, wanters);
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
    opts.onLayer?.(fs, ref, delta);
  }
  return { fs, warnings };
}

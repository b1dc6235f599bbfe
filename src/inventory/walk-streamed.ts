// The walker for an image whose layers arrive in one read-once stream (a daemon's image export):
// each layer blob is walked into its delta as it arrives, whatever its place in the image; once the
// stream has ended and every blob was verified, the deltas are merged in layer order exactly as
// walkLayers merges them. Memory holds the deltas (what they keep), never a layer.
import type { Image, StreamedLayers } from '../model/image.js';
import type { ScanWarning } from '../model/warning.js';
import type { LayerDelta } from './layer-delta.js';
import { layerMayHold, LinkTargets, type Redirect } from './link-targets.js';
import { walkLayer, type FileWanter } from './walk-layer.js';
import { layerRefOf, type WalkOptions } from './walker.js';
import { WantedFs } from './wanted-fs.js';

export async function walkStreamedLayers(
  image: Image,
  streamed: StreamedLayers,
  wanters: readonly FileWanter[],
  opts: Pick<WalkOptions, 'onLayer' | 'onProgress'> = {},
): Promise<{ fs: WantedFs; warnings: ScanWarning[]; missed: Redirect[] }> {
  const deltas = new Map<string, LayerDelta>();
  let n = 0;
  for await (const arrival of streamed.arrivals()) {
    opts.onProgress?.({ layerIndex: n++, layerCount: image.layers.length, digest: arrival.name });
    try {
      deltas.set(arrival.name, await walkLayer(arrival.stream, wanters, `layer blob ${arrival.name}`));
    } finally {
      arrival.stream.destroy();
    }
  }
  // Only now is it known (and checked) which blob is which layer.
  const order = await streamed.finish();
  const fs = new WantedFs();
  // What a file source would read in a second pass (links to files nobody asked for): a stream
  // cannot be read again, so these stay unread (the inventory lists them).
  const targets = new LinkTargets(wanters);
  const warnings: ScanWarning[] = [];
  image.layers.forEach((layer, i) => {
    const delta = deltas.get(order[i]!);
    if (!delta) throw new Error(`internal: no delta for layer ${i} (${order[i]})`);
    const ref = layerRefOf(layer);
    fs.apply(delta, ref);
    for (const w of delta.warnings) warnings.push({ ...w, layer: layer.index });
    opts.onLayer?.(fs, ref);
    targets.observe(fs);
  });
  // Only where some layer holds a file there (a directory link to an empty place misses nothing).
  const missed = targets.list().filter((r) => [...deltas.values()].some((d) => layerMayHold(d.dirs, [r])));
  return { fs, warnings, missed };
}

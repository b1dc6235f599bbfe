// The walker for an image whose layers arrive in one read-once stream (a daemon's image export):
// each layer blob is walked into its delta as it arrives, whatever its place in the image; once the
// stream has ended and every blob was verified, the deltas are merged in layer order exactly as
// walkLayers merges them. Memory holds the deltas (what they keep), never a layer.
//
// With a layer cache, an arrival whose delta is already stored is only hashed (its bytes still
// flow through the export's digest checks to the end), not parsed. Which layer an arrival is must
// be known before its bytes are read: from its name when the export names blobs by digest (OCI
// layout `blobs/sha256/<hex>`, podman's `<hex>.tar`); a classic `<id>/layer.tar` says nothing, so
// such arrivals are only hashed when EVERY layer the daemon listed has a stored delta, and are
// matched to theirs by the content digest the stream computed.
import { ImageError } from '../errors.js';
import { digestFromPath } from '../image/digest.js';
import { drain } from '../image/layer.js';
import type { Image, StreamedLayers } from '../model/image.js';
import type { ScanWarning } from '../model/warning.js';
import type { LayerDelta } from './layer-delta.js';
import { layerMayHold, LinkTargets, type Redirect } from './link-targets.js';
import { walkLayer, type FileWanter } from './walk-layer.js';
import { layerRefOf, storeKey } from './layer-keys.js';
import type { WalkOptions } from './walker.js';
import { WantedFs } from './wanted-fs.js';

export async function walkStreamedLayers(
  image: Image,
  streamed: StreamedLayers,
  wanters: readonly FileWanter[],
  opts: Pick<WalkOptions, 'onLayer' | 'onProgress' | 'store'> = {},
): Promise<{ fs: WantedFs; warnings: ScanWarning[]; missed: Redirect[] }> {
  const { store } = opts;
  const key = storeKey(wanters);
  // Before the stream: the stored deltas of the layers the daemon listed (by diff_id; an export's
  // layer is its uncompressed tar, so its digest is its diff_id, as in a docker-archive file).
  const stored = new Map<string, LayerDelta>();
  if (store) {
    await store.prefetch?.(image.layers, key).catch(() => undefined);
    for (const layer of image.layers) {
      const hit = await store.get(layer, key).catch(() => undefined);
      if (hit) stored.set(layer.diffId, hit);
    }
  }
  const allStored = image.layers.length > 0 && image.layers.every((l) => stored.has(l.diffId));

  const walked = new Map<string, LayerDelta>();
  /** Arrivals only hashed: the diff_id whose stored delta they stand for (undefined: by content). */
  const hashedOnly = new Map<string, string | undefined>();
  let n = 0;
  for await (const arrival of streamed.arrivals()) {
    opts.onProgress?.({ layerIndex: n++, layerCount: image.layers.length, digest: arrival.name });
    const named = digestFromPath(arrival.name);
    try {
      if (named !== undefined ? stored.has(named) : allStored) {
        await drain(arrival.stream);
        hashedOnly.set(arrival.name, named);
      } else {
        walked.set(arrival.name, await walkLayer(arrival.stream, wanters, `layer blob ${arrival.name}`));
      }
    } finally {
      arrival.stream.destroy();
    }
  }
  // Only now is it known (and checked) which blob is which layer.
  const order = await streamed.finish();
  const deltas: LayerDelta[] = [];
  for (const [i, layer] of image.layers.entries()) {
    const name = order[i]!;
    const delta = walked.get(name);
    if (delta) {
      deltas.push(delta);
      // Verified by finish(): stored for the next scan, under the key a lookup above uses.
      if (store) await store.put({ digest: layer.diffId, diffId: layer.diffId }, key, delta).catch(() => undefined);
      continue;
    }
    if (!hashedOnly.has(name)) throw new Error(`internal: no delta for layer ${i} (${name})`);
    // finish() checked this blob's content against the layer's diff_id: the stored delta of that
    // diff_id is the delta of these bytes. A name that stated another digest, or content no
    // stored delta is for (the image changed between inspect and export), cannot be walked now.
    const named = hashedOnly.get(name);
    const hit = stored.get(layer.diffId);
    if (!hit || (named !== undefined && named !== layer.diffId)) {
      throw new ImageError(`layer ${i} (${name}) is not the layer the daemon listed before the export (the image changed while it was read); scan again`, { subject: image.metadata.source });
    }
    deltas.push(hit);
  }
  await store?.flush?.().catch(() => undefined);

  const fs = new WantedFs();
  // What a file source would read in a second pass (links to files nobody asked for): a stream
  // cannot be read again, so these stay unread (the inventory lists them).
  const targets = new LinkTargets(wanters);
  const warnings: ScanWarning[] = [];
  image.layers.forEach((layer, i) => {
    const delta = deltas[i]!;
    const ref = layerRefOf(layer);
    fs.apply(delta, ref);
    for (const w of delta.warnings) warnings.push({ ...w, layer: layer.index });
    opts.onLayer?.(fs, ref);
    targets.observe(fs);
  });
  // Only where some layer holds a file there (a directory link to an empty place misses nothing).
  const missed = targets.list().filter((r) => deltas.some((d) => layerMayHold(d.dirs, [r])));
  return { fs, warnings, missed };
}

// The inventory driver's entry: an image's inventory, from the whole-image memo when this code
// inventoried the same layers before, else read (read-inventory.ts: walk every layer once, detect
// the OS, run each cataloger, attribute packages to layers). The reading code is loaded only when
// something is read: a scan answered from the memo loads none of it, nor any cataloger.
import type { UnreadFile } from '../model/coverage.js';
import type { Image } from '../model/image.js';
import type { OsInfo } from '../model/os.js';
import type { Package } from '../model/package.js';
import type { ScanWarning } from '../model/warning.js';
import type { Cataloger } from './cataloger.js';
import { decodeInventory, decodeParentMemo, encodeInventory, inventoryMemoKey, parentMemoKeys, type InventoryMemoStore } from './memo.js';
import { verifyLayers, type WalkProgress } from './layer-keys.js';
import { registryStoreKey } from './registry-key.js';
import type { LayerDeltaStore } from './walker.js';
import type { ParentStart, readInventory as ReadInventory } from './read-inventory.js';

export interface Inventory {
  os?: OsInfo;
  osEcosystem: string;
  packages: Package[];
  warnings: ScanWarning[];
  /**
   * Package files that exist in the final filesystem but were not read, so their packages are
   * unknown: over the size limit, a link to nothing readable, a cataloger that failed on them, or
   * judged malformed by their cataloger. Sorted by path, then cataloger. Empty on a clean image.
   */
  unread: UnreadFile[];
}

export interface InventoryOptions {
  catalogers?: Cataloger[];
  /**
   * Layer-delta cache (src/cache): layers seen before are not read again. With the memo methods,
   * an image inventoried before as a whole (memo.ts) is not walked at all: its layers are only hashed.
   */
  store?: LayerDeltaStore & Partial<InventoryMemoStore>;
  onProgress?(p: WalkProgress): void;
  /** Walker threads (WalkOptions.threads): default automatic; false/true force them off/on. */
  walkThreads?: boolean;
}

/** Reads the image (read-inventory.ts, loaded on first use). */
async function readInventory(...args: Parameters<typeof ReadInventory>): ReturnType<typeof ReadInventory> {
  return (await import('./read-inventory.js')).readInventory(...args);
}

/**
 * The image's inventory: from the whole-image memo when this code inventoried the same layers
 * before (every layer's bytes still verified, which rejects on a mismatch), else read.
 * Memoised only with the registry's catalogers, and not for read-once streams.
 */
export async function inventoryImage(image: Image, opts: InventoryOptions = {}): Promise<Inventory> {
  const store = opts.store;
  if (opts.catalogers || image.streamed || !store?.getInventory || !store.putInventory) return (await readInventory(image, opts)).inventory;
  const wanters = await registryStoreKey();
  const key = inventoryMemoKey(image, wanters);
  const parents = parentMemoKeys(image, wanters);
  const bytes = await store.getInventory(key, parents).catch(() => undefined);
  const memo = bytes ? decodeInventory(bytes) : undefined;
  if (memo) {
    await verifyLayers(image.layers, opts.onProgress);
    return memo;
  }
  // A parent's memo (fetched in the same round trip) lends its link probe answers to this walk,
  // and the longest one with a WalkResume where to take over.
  const known = new Map<string, boolean>();
  let resume: ParentStart['resume'];
  for (const [i, parent] of parents.entries()) {
    const data = await store.peekInventory?.(parent).catch(() => undefined);
    if (!data) continue;
    const lent = decodeParentMemo(data);
    for (const [k, v] of lent.linkProbes) known.set(k, v);
    if (!resume && lent.resume) resume = { at: image.layers.length - 1 - i, from: lent.resume };
  }
  const start: ParentStart = { ...(known.size > 0 ? { linkProbes: known } : {}), ...(resume ? { resume } : {}) };
  const read = await readInventory(image, opts, start);
  await store.putInventory(key, encodeInventory(read.inventory, read.linkProbes, read.resume)).catch(() => undefined);
  return read.inventory;
}

// The walker's LayerDeltaStore on top of the layer caches: this user's directory, and optionally a
// shared Redis in front of which it sits (a fleet's runners each have their own directory).
// Lookups go local first, then one pipelined read of the shared cache for every layer the
// directory lacks; new deltas go to both, the shared ones in one pipelined write after the walk.
// Entries in the shared cache are authenticated with the same envelope (entry.ts) and secret.
import type { LayerDelta } from '../inventory/layer-delta.js';
import type { InventoryMemoStore } from '../inventory/memo.js';
import type { LayerDeltaStore, LayerKey, WanterVersions } from '../inventory/walker.js';
import type { CacheMetrics } from '../model/report.js';
import { decodeEntry, encodeEntryParts } from './entry.js';
import { deserialiseLayerDelta, layerDeltaCacheKey, layerDeltaParts } from './layer-delta-codec.js';
import type { LayerCache } from './layer-cache.js';
import type { RedisLayerCache } from './redis-cache.js';

export interface SharedTier {
  cache: RedisLayerCache;
  /** The fleet's HMAC key (`PORTCULLIS_CACHE_KEY`). */
  secret: Buffer;
}

export interface ScanLayerDeltaStore extends LayerDeltaStore, InventoryMemoStore {
  peekInventory(key: string): Promise<Buffer | undefined>;
  metrics(): CacheMetrics;
  /** Lines the user must see (the shared cache failed; entries failed authentication). */
  notices(): string[];
  /** Closes the shared connection; never throws. */
  close(): Promise<void>;
}

function decode(bytes: Buffer): LayerDelta | undefined {
  try {
    return deserialiseLayerDelta(bytes);
  } catch {
    // A damaged entry is a miss: the layer is read again and the entry rewritten.
    return undefined;
  }
}

export function layerDeltaStore(local: LayerCache, shared?: SharedTier, openNotices: readonly string[] = []): ScanLayerDeltaStore {
  const m: CacheMetrics = { backend: shared ? 'redis' : 'fs', lookups: 0, hits: 0, misses: 0, rejected: 0, stored: 0 };
  if (shared) {
    m.sharedHits = 0;
    m.sharedStored = 0;
  }
  /** Entries fetched by prefetch(), by cache key, with where they came from. */
  const fetched = new Map<string, { bytes: Buffer; from: 'local' | 'shared' }>();
  /** Keys prefetch() already looked up in the directory. */
  const looked = new Set<string>();
  const pending: { key: string; value: Buffer }[] = [];
  let sharedRejected = 0;
  let sharedFailure: string | undefined;
  let sharedUp = shared !== undefined;

  const degrade = (err: unknown): void => {
    if (!sharedUp) return;
    sharedUp = false;
    m.degraded = true;
    pending.length = 0;
    // One line, whatever the error carries (a module load error has a require stack).
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
    sharedFailure = `shared layer cache ${shared!.cache.description} unavailable (${why}): scanning without it`;
  };

  /**
   * Looks `keys` up in the directory, then every one it lacks (and `notLocal`) in ONE round trip to the shared
   * cache; found entries wait in `fetched` (authenticated), and each key is marked as looked up.
   */
  const fetchMany = async (keys: readonly string[], notLocal: readonly string[] = []): Promise<void> => {
    // `notLocal`: looked up in the directory already, and absent there.
    for (const key of notLocal) looked.add(key);
    const missing: string[] = [...notLocal];
    for (const key of keys) {
      if (looked.has(key)) continue;
      looked.add(key);
      const bytes = await local.get(key);
      if (bytes) fetched.set(key, { bytes, from: 'local' });
      else missing.push(key);
    }
    if (!shared || missing.length === 0 || !sharedUp) return;
    let values: (Buffer | undefined)[];
    try {
      values = await shared.cache.getMany(missing);
    } catch (err) {
      degrade(err);
      return;
    }
    missing.forEach((key, i) => {
      const value = values[i];
      if (!value) return;
      const entry = decodeEntry(shared.secret, key, value);
      if (entry === 'unauthenticated') sharedRejected++;
      else if (typeof entry !== 'string') fetched.set(key, { bytes: entry.data, from: 'shared' });
    });
  };

  /** A memo missed: the walk's deltas wait for it, so the run writes once (putInventory, else close). */
  let memoAwaited = false;
  const writeShared = async (): Promise<void> => {
    if (!shared || !sharedUp || pending.length === 0) return;
    try {
      m.sharedStored! += await shared.cache.putMany(pending.splice(0));
    } catch (err) {
      degrade(err);
    }
  };

  return {
    async prefetch(layers: readonly LayerKey[], wanters: WanterVersions): Promise<void> {
      // Without a shared cache each get() reads its own file: nothing to batch.
      if (shared) await fetchMany(layers.map((layer) => layerDeltaCacheKey(layer, wanters)));
    },

    async getInventory(key: string, related: readonly string[] = []): Promise<Buffer | undefined> {
      const own = await local.get(key);
      // A miss here asks the shared cache for the memo and the related memos (parents) at once. Not
      // for the layers' deltas: a hit needs none of them, and fetching them too cost a fully seen
      // image ~30 ms of its ~270 (bench/fleet.ts's app image: ~0.5 MB received, decoded and
      // authenticated for nothing). A miss's walk fetches them all in one more round trip (prefetch).
      if (!own && shared) await fetchMany(related, [key]);
      const found = own ? { bytes: own, from: 'local' as const } : fetched.get(key);
      m.inventory = !found ? 'miss' : found.from === 'shared' ? 'shared-hit' : 'hit';
      memoAwaited = !found;
      if (found?.from === 'shared') await local.put(key, found.bytes);
      return found?.bytes;
    },

    async peekInventory(key: string): Promise<Buffer | undefined> {
      const pre = fetched.get(key);
      if (pre) return pre.bytes;
      return looked.has(key) ? undefined : local.get(key);
    },

    async putInventory(key: string, data: Buffer): Promise<void> {
      if (await local.put(key, data)) m.stored++;
      memoAwaited = false;
      if (shared && sharedUp) pending.push({ key, value: Buffer.concat(encodeEntryParts(shared.secret, key, data)) });
      await writeShared();
    },

    async get(layer: LayerKey, wanters: WanterVersions): Promise<LayerDelta | undefined> {
      m.lookups++;
      const key = layerDeltaCacheKey(layer, wanters);
      // The same layer may appear twice in an image: a prefetched entry stays for every lookup.
      const pre = fetched.get(key);
      const bytes = pre ? pre.bytes : looked.has(key) ? undefined : await local.get(key);
      const delta = bytes ? decode(bytes) : undefined;
      if (!delta) {
        m.misses++;
        return undefined;
      }
      m.hits++;
      if (pre?.from === 'shared') {
        m.sharedHits!++;
        // Kept in this runner's directory too: its next scan needs no round trip for this layer.
        await local.put(key, bytes!);
      }
      return delta;
    },

    async put(layer: LayerKey, wanters: WanterVersions, delta: LayerDelta): Promise<void> {
      const key = layerDeltaCacheKey(layer, wanters);
      const parts = layerDeltaParts(delta);
      if (await local.put(key, parts)) m.stored++;
      if (shared && sharedUp) pending.push({ key, value: Buffer.concat(encodeEntryParts(shared.secret, key, parts)) });
    },

    async flush(): Promise<void> {
      if (!memoAwaited) await writeShared();
    },

    metrics(): CacheMetrics {
      return { ...m, rejected: local.rejected + sharedRejected };
    },

    notices(): string[] {
      const out: string[] = [...openNotices];
      if (sharedFailure) out.push(sharedFailure);
      const rejected = local.rejected + sharedRejected;
      if (rejected > 0) {
        out.push(`${rejected} layer cache entr${rejected === 1 ? 'y' : 'ies'} failed authentication (written with another key, or forged) and ${rejected === 1 ? 'was' : 'were'} ignored; the layer${rejected === 1 ? ' was' : 's were'} read instead`);
      }
      return out;
    },

    async close(): Promise<void> {
      // Deltas still waiting (the run failed after its walk): each was stored only once its layer
      // was read to the end and verified, so they are as true as those of a run that ended well.
      await writeShared();
      await shared?.cache.close();
    },
  };
}

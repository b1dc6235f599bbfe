// The walker's LayerDeltaStore on top of the on-disk layer cache.
import type { LayerDeltaStore } from '../inventory/walker.js';
import { deserialiseLayerDelta, layerDeltaCacheKey, layerDeltaParts } from './layer-delta-codec.js';
import type { LayerCache } from './layer-cache.js';

export function layerDeltaStore(cache: LayerCache): LayerDeltaStore {
  return {
    async get(diffId, wanters) {
      const bytes = await cache.get(layerDeltaCacheKey(diffId, wanters));
      if (!bytes) return undefined;
      try {
        return deserialiseLayerDelta(bytes);
      } catch {
        // A damaged entry is a miss: the layer is read again and the entry rewritten.
        return undefined;
      }
    },
    async put(diffId, wanters, delta) {
      await cache.put(layerDeltaCacheKey(diffId, wanters), layerDeltaParts(delta));
    },
  };
}

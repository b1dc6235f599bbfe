// Public surface of the on-disk layer cache.
export { openLayerCache, defaultCacheDir, CACHE_FORMAT_VERSION, type LayerCache, type LayerCacheOptions, type LayerCacheInfo } from './layer-cache.js';
export { serialiseLayerDelta, deserialiseLayerDelta, layerDeltaCacheKey, LayerDeltaDecodeError, LAYER_DELTA_FORMAT } from './layer-delta-codec.js';
export { layerDeltaStore } from './delta-store.js';

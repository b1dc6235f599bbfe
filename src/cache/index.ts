// Public surface of the layer cache: the per-user directory and the shared Redis backend.
export { openLayerCache, openScanLayerCache, defaultCacheDir, CACHE_FORMAT_VERSION, type LayerCache, type LayerCacheOptions, type LayerCacheInfo } from './layer-cache.js';
export { serialiseLayerDelta, deserialiseLayerDelta, layerDeltaCacheKey, LayerDeltaDecodeError, LAYER_DELTA_FORMAT } from './layer-delta-codec.js';
export { layerDeltaStore, type ScanLayerDeltaStore, type SharedTier } from './delta-store.js';
export { openScanCache, type ScanCacheOptions } from './open.js';
export { parseCacheBackend, parseByteSize, DEFAULT_CACHE_TTL_MS, DEFAULT_SHARED_TIMEOUT_MS, DEFAULT_SHARED_MAX_ENTRY, type CacheBackendSpec } from './backend.js';
export { RedisLayerCache, REDIS_KEY_PREFIX, redisKeyOf, type RedisTlsFiles } from './redis-cache.js';
export { cacheKeyPath, sharedCacheSecret, userCacheSecret, MIN_SHARED_KEY_LENGTH } from './secret.js';
export { checkCacheDir } from './dir-trust.js';
export { decodeEntry, encodeEntryParts } from './entry.js';

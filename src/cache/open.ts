// Opens the layer cache a scan uses, from its options: the trusted per-user directory, and the
// shared Redis in front of it when `--cache-backend` names one.
import { PortcullisError } from '../errors.js';
import { DEFAULT_CACHE_TTL_MS, DEFAULT_SHARED_MAX_ENTRY, DEFAULT_SHARED_TIMEOUT_MS, parseCacheBackend } from './backend.js';
import { layerDeltaStore, type ScanLayerDeltaStore } from './delta-store.js';
import { openScanLayerCache } from './layer-cache.js';
import { RedisLayerCache, type RedisTlsFiles } from './redis-cache.js';
import { sharedCacheSecret } from './secret.js';

export interface ScanCacheOptions {
  /** The local directory (default: the per-user cache dir). */
  dir?: string;
  /** `fs` (default), `redis://…`, `rediss://…`; default `PORTCULLIS_CACHE_BACKEND`. */
  backend?: string;
  /** Shared entries' time to live (default a week). */
  ttlMs?: number;
  /** Deadline of the shared backend's connection and each round trip (default 5 s). */
  timeoutMs?: number;
  /** Largest entry the shared backend stores or reads (default 64 MiB). */
  maxEntryBytes?: number;
  tls?: RedisTlsFiles;
  env: NodeJS.ProcessEnv;
}

/** Throws PortcullisError (exit 2) on a configuration the scan must not run with. */
export async function openScanCache(opts: ScanCacheOptions): Promise<ScanLayerDeltaStore> {
  const spec = parseCacheBackend(opts.backend ?? opts.env.PORTCULLIS_CACHE_BACKEND, opts.env);
  let shared: { cache: RedisLayerCache; secret: Buffer } | undefined;
  if (spec.kind === 'redis') {
    const secret = sharedCacheSecret(opts.env);
    if (!secret) {
      throw new PortcullisError(
        `--cache-backend ${spec.display} needs PORTCULLIS_CACHE_KEY, the fleet's shared secret that authenticates entries (e.g. \`openssl rand -hex 32\`, kept in a CI secret)`,
      );
    }
    shared = {
      secret: secret.key,
      cache: await RedisLayerCache.create({
        spec,
        ...(opts.tls ? { tls: opts.tls } : {}),
        timeoutMs: opts.timeoutMs ?? DEFAULT_SHARED_TIMEOUT_MS,
        ttlMs: opts.ttlMs ?? DEFAULT_CACHE_TTL_MS,
        maxEntryBytes: opts.maxEntryBytes ?? DEFAULT_SHARED_MAX_ENTRY,
      }),
    };
  }
  const { cache, notice } = await openScanLayerCache({
    ...(opts.dir !== undefined ? { dir: opts.dir } : {}),
    env: opts.env,
  });
  // The connection is made while the image is opened and read, not at the first lookup. Started
  // only now that nothing here can throw: the store returned is what the caller closes, and a
  // connection no one closes would hold the process open after its error.
  shared?.cache.connectSoon();
  return layerDeltaStore(cache, shared, notice ? [notice] : []);
}

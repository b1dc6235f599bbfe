// Layer-cache flags shared by `scan` and `sbom` (and, for the backend, `cache`).
import { DEFAULT_SHARED_MAX_ENTRY, parseByteSize } from '../../cache/backend.js';
import type { LayerCacheSettings } from '../../scan/inventory-report.js';
import { parseDuration } from '../../vulndb/freshness.js';

export const CACHE_BACKEND_FLAGS = {
  'cache-dir': { type: 'string' },
  'cache-backend': { type: 'string' },
  'cache-tls-ca': { type: 'string' },
  'cache-tls-cert': { type: 'string' },
  'cache-tls-key': { type: 'string' },
  'cache-timeout': { type: 'string' },
} as const;

export const CACHE_FLAGS = {
  ...CACHE_BACKEND_FLAGS,
  'no-cache': { type: 'boolean', default: false },
  'cache-ttl': { type: 'string' },
  'cache-max-entry': { type: 'string' },
} as const;

export const CACHE_USAGE = `  --cache-dir D           layer cache directory (default: $XDG_CACHE_HOME/portcullis/layers); must be
                          owned by you and not writable by group or others
  --no-cache              read every layer, use and store no cached layer results
  --cache-backend URL     fs (default), or a layer cache shared by a fleet in front of the directory:
                          redis://[USER:PASS@]HOST[:PORT][/DB], rediss://… for TLS
                          (default $PORTCULLIS_CACHE_BACKEND; entries are authenticated with
                          $PORTCULLIS_CACHE_KEY; credentials also from $PORTCULLIS_CACHE_USERNAME
                          and $PORTCULLIS_CACHE_PASSWORD)
  --cache-tls-ca F, --cache-tls-cert F, --cache-tls-key F
                          TLS files for rediss:// (CA to trust; client certificate and key)
  --cache-ttl DURATION    how long shared entries live (default 7d)
  --cache-timeout DUR     deadline of the shared cache's connection and each round trip (default 5s)
  --cache-max-entry SIZE  largest entry stored or read in the shared cache (default ${DEFAULT_SHARED_MAX_ENTRY / 1024 / 1024}MiB)
`;

type Values = {
  'cache-dir'?: string;
  'no-cache'?: boolean;
  'cache-backend'?: string;
  'cache-tls-ca'?: string;
  'cache-tls-cert'?: string;
  'cache-tls-key'?: string;
  'cache-ttl'?: string;
  'cache-timeout'?: string;
  'cache-max-entry'?: string;
};

/** The layer-cache settings the flags give (scan's and sbom's `cache` option). */
export function cacheOptions(values: Values): LayerCacheSettings {
  const tls = {
    ...(values['cache-tls-ca'] ? { ca: values['cache-tls-ca'] } : {}),
    ...(values['cache-tls-cert'] ? { cert: values['cache-tls-cert'] } : {}),
    ...(values['cache-tls-key'] ? { key: values['cache-tls-key'] } : {}),
  };
  return {
    ...(values['cache-dir'] ? { dir: values['cache-dir'] } : {}),
    ...(values['no-cache'] === true ? { disabled: true } : {}),
    ...(values['cache-backend'] ? { backend: values['cache-backend'] } : {}),
    ...(values['cache-ttl'] ? { ttlMs: parseDuration(values['cache-ttl']) } : {}),
    ...(values['cache-timeout'] ? { timeoutMs: parseDuration(values['cache-timeout']) } : {}),
    ...(values['cache-max-entry'] ? { maxEntryBytes: parseByteSize(values['cache-max-entry'], '--cache-max-entry') } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}

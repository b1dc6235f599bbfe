// Which layer-cache backend a scan uses: `fs` (the per-user directory, the default) or a shared
// Redis (`redis://`, `rediss://` for TLS). The URL may hold credentials, so it is never echoed:
// messages name only `redis[s]://host:port/db`.
import { PortcullisError } from '../errors.js';

export const DEFAULT_CACHE_TTL_MS = 7 * 86_400_000;
export const DEFAULT_SHARED_TIMEOUT_MS = 5_000;
/** Largest entry the shared backend stores or reads (a Debian base layer's delta is ~2 MB). */
export const DEFAULT_SHARED_MAX_ENTRY = 64 * 1024 * 1024;

export interface RedisBackendSpec {
  kind: 'redis';
  tls: boolean;
  host: string;
  port: number;
  database?: number;
  username?: string;
  password?: string;
  /** `redis[s]://host:port/db`: safe to print. */
  display: string;
}

export type CacheBackendSpec = { kind: 'fs' } | RedisBackendSpec;

/**
 * `--cache-backend` / `PORTCULLIS_CACHE_BACKEND`. Credentials come from the URL
 * (`redis://user:pass@host`) or, when it has none, from `PORTCULLIS_CACHE_USERNAME` and
 * `PORTCULLIS_CACHE_PASSWORD` (a password alone authenticates as `default`).
 */
export function parseCacheBackend(value: string | undefined, env: NodeJS.ProcessEnv): CacheBackendSpec {
  if (value === undefined || value === '' || value === 'fs') return { kind: 'fs' };
  const scheme = /^([a-z]+):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss') {
    throw new PortcullisError('--cache-backend: expected fs, redis://HOST[:PORT][/DB] or rediss://HOST[:PORT][/DB]');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PortcullisError(`--cache-backend: not a valid ${scheme}:// URL`);
  }
  if (url.search || url.hash) throw new PortcullisError('--cache-backend: the URL takes no query or fragment (TLS files: --cache-tls-ca/-cert/-key)');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new PortcullisError(`--cache-backend: the ${scheme}:// URL names no host`);
  const port = url.port ? Number(url.port) : 6379;
  const path = url.pathname.replace(/^\//, '');
  let database: number | undefined;
  if (path !== '') {
    if (!/^\d{1,5}$/.test(path)) throw new PortcullisError(`--cache-backend: the path must be a database number, like ${scheme}://host:6379/0`);
    database = Number(path);
  }
  const username = url.username ? decodeURIComponent(url.username) : env.PORTCULLIS_CACHE_USERNAME || undefined;
  const password = url.password ? decodeURIComponent(url.password) : env.PORTCULLIS_CACHE_PASSWORD || undefined;
  return {
    kind: 'redis',
    tls: scheme === 'rediss',
    host,
    port,
    ...(database !== undefined ? { database } : {}),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    display: `${scheme}://${url.host}${database !== undefined ? `/${database}` : ''}`,
  };
}

/** "64MiB", "512KiB", "1GiB", "1000000" (bytes) -> bytes. */
export function parseByteSize(text: string, what: string): number {
  const m = /^(\d+)\s*(B|KiB|MiB|GiB|K|M|G)?$/i.exec(text.trim());
  if (!m) throw new PortcullisError(`${what}: bad size "${text}" (use e.g. 64MiB)`);
  const unit = { b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase()]!;
  const n = Number(m[1]) * unit;
  if (n < 1) throw new PortcullisError(`${what}: must be at least 1 byte`);
  return n;
}

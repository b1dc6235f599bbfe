// Where the Redis client comes from. The bundle ships it as one CommonJS file with a V8 code cache
// beside it (scripts/bundle-cli.mjs, src/util/commonjs-code-cache.ts); a per-file build, or tsx,
// imports it from node_modules.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCommonJs } from '../util/commonjs-code-cache.js';

export type RedisLib = typeof import('./redis-lib.js');

/** The bundle's file name of redis-lib.ts built alone (the bundle script writes it under this name). */
export const SHIPPED_REDIS_LIB = 'redis-lib.cjs';

let loaded: Promise<RedisLib> | undefined;

export function loadRedisLib(): Promise<RedisLib> {
  loaded ??= (async () => {
    const shipped = fileURLToPath(new URL(`./${SHIPPED_REDIS_LIB}`, import.meta.url));
    if (existsSync(shipped)) return loadCommonJs(shipped).exports as RedisLib;
    return import('./redis-lib.js');
  })();
  return loaded;
}

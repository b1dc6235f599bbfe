// Bundles the CLI into dist/cli-bundle/ (run by `npm run build`, after tsc). Loading ~200 small ES
// modules and ajv's many CommonJS files costs more than running a scan's policy step; one bundle
// (split only at the commands' lazy imports) halves the module loading of `sbom` and `scan`.
// Kept out of the bundle: the native module (better-sqlite3) and the network/client libraries that
// only some runs load (undici, gRPC, Dagger, sigstore) — they load from node_modules as before.
// The Redis client (src/cache/redis-lib.ts) is built alone, as one CommonJS file instead of its ~500,
// with a V8 code cache beside it (src/util/commonjs-code-cache.ts): only a scan with a Redis cache
// loads it. Source maps stay beside the bundle: bin/portcullis.js turns them on for
// --debug, so stack traces name src/*.ts lines.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCodeCache } from '../dist/util/commonjs-code-cache.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = 'dist/cli-bundle';

rmSync(new URL(`../${OUT}`, import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  // The walker's threads load their own entry, beside the chunk that starts them (walk-pool.ts).
  entryPoints: { main: 'src/cli/main.ts', 'walk-worker': 'src/inventory/walk-worker.ts' },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: ['better-sqlite3', 'undici', '@grpc/*', '@dagger.io/*', '@sigstore/*'],
  // CommonJS dependencies inside an ES module bundle call require() for Node's built-ins.
  banner: { js: "import { createRequire as __portcullisRequire } from 'node:module'; const require = __portcullisRequire(import.meta.url);" },
  // redis-module.ts's import of redis-lib is the shipped CommonJS file (built below); it is loaded
  // that way only if its code-cache loader cannot be used.
  plugins: [
    {
      name: 'shipped-redis-lib',
      setup(b) {
        b.onResolve({ filter: /\/redis-lib\.js$/ }, (args) => (args.importer.endsWith('redis-module.ts') ? { path: './redis-lib.cjs', external: true } : undefined));
      },
    },
  ],
  logLevel: 'warning',
});

const REDIS_LIB = join(OUT, 'redis-lib.cjs'); // SHIPPED_REDIS_LIB in src/cache/redis-module.ts
await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/cache/redis-lib.ts'],
  outfile: REDIS_LIB,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Without comments and indentation: 1.2 MB -> about half, and ASCII, which the loader reads
  // without decoding UTF-8 (the comments held a few non-ASCII characters). Its own code is not ours
  // to debug; the main bundle stays as written.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
// Functions the first connection runs are compiled before the cache is taken, so they are in it.
writeCodeCache(join(ROOT, REDIS_LIB), (lib) => {
  new lib.RedisClient({ socket: { host: '127.0.0.1', port: 9, reconnectStrategy: false }, disableOfflineQueue: true });
});

// The bundle's code fingerprint (src/util/code-fingerprint.ts reads it instead of looking at every
// chunk at run time): a hash of every chunk's name and content, written beside them.
const dir = join(ROOT, OUT);
const h = createHash('sha256');
for (const name of readdirSync(dir).filter((n) => n.endsWith('.js') || n.endsWith('.cjs')).sort()) h.update(`${name}\u0000`).update(readFileSync(join(dir, name)));
writeFileSync(join(dir, 'build-id'), `${h.digest('hex')}\n`);

// Bundles the CLI into dist/cli-bundle/ (run by `npm run build`, after tsc). Node 20 compiles every
// ES module from source on every run and has no compile cache for them (that came in Node 22); V8
// does cache compiled scripts. So the CLI is bundled (split only at the commands' and other lazy
// imports: a run loads the chunks it needs), its chunks made CommonJS, and each shipped with a V8
// code cache beside it; bin/portcullis.js loads them through src/util/commonjs-code-cache.ts
// (loadCommonJsDir). What each step bought: docs/architecture.md "Start-up".
//   1. esbuild bundles src/cli/main.ts and the walker thread's entry as ES modules with splitting,
//      into a scratch directory. `import.meta.url` (lazy requires, package root, version, the walker
//      thread's script, the shipped Redis client, the build id) becomes the URL of the chunk it ends
//      in: every chunk lies in dist/cli-bundle/, as before.
//   2. esbuild turns each chunk into CommonJS in dist/cli-bundle/ (a package.json there says so):
//      imports become require('./chunk.js'), `import()` becomes a lazy require (a vm.Script has no
//      dynamic import). The scratch directory is "type": "commonjs" too, so that a chunk's namespace
//      is its exports (esbuild's Node-mode interop would nest it under `default`).
//   3. Code caches, taken after real runs of the CLI (scripts/warm-cli-cache.mjs), checked by a fresh
//      Node, and the build id.
// Kept out of the bundle: the network/client libraries that only some runs load (undici, gRPC,
// Dagger, sigstore) — they load from node_modules as before. better-sqlite3's JavaScript is bundled;
// its native addon is loaded from where the package installed it (src/util/sqlite.ts).
// The Redis client (src/cache/redis-lib.ts) is built alone, as one CommonJS file instead of its ~500,
// with its own code cache: only a scan with a Redis cache loads it. Source maps stay beside the
// files: under --debug, bin/portcullis.js loads the chunks through Node's require (a vm.Script gets
// no source maps), so stack traces name src/*.ts lines.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCodeCache } from '../dist/util/commonjs-code-cache.js';
import { storeKey } from '../dist/inventory/layer-keys.js';
import { registryWanters } from '../dist/inventory/walk-job.js';
import { lazyBuiltins } from './lazy-builtins.mjs';
import { packageurlCollator } from './packageurl-collator.mjs';
import { redisClientCommands, redisCommandMetadata } from './redis-client-commands.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = 'dist/cli-bundle';
const SCRATCH = 'dist/.cli-bundle-esm';
// The registry's store key (names and versions of the OS detector and every cataloger), from tsc's
// build of the same sources that `npm run build` made just before: written into the bundle, so a
// whole-image memo hit loads no cataloger code (src/inventory/registry-key.ts).
const REGISTRY_STORE_KEY = JSON.stringify(storeKey(registryWanters()));
const EXTERNAL = ['undici', '@grpc/*', '@dagger.io/*', '@sigstore/*'];
const COMMONJS = '{ "type": "commonjs" }\n';

for (const d of [OUT, SCRATCH]) rmSync(join(ROOT, d), { recursive: true, force: true });
mkdirSync(join(ROOT, SCRATCH), { recursive: true });
writeFileSync(join(ROOT, SCRATCH, 'package.json'), COMMONJS);
await build({
  absWorkingDir: ROOT,
  // The walker's threads load their own entry, beside the chunk that starts them (walk-pool.ts).
  entryPoints: { main: 'src/cli/main.ts', 'walk-worker': 'src/inventory/walk-worker.ts' },
  outdir: SCRATCH,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: EXTERNAL,
  define: { 'import.meta.url': '__portcullisChunkUrl', __PORTCULLIS_REGISTRY_STORE_KEY__: JSON.stringify(REGISTRY_STORE_KEY) },
  plugins: [
    packageurlCollator(ROOT),
    {
      // redis-module.ts's import of redis-lib is the shipped CommonJS file (built below); it is
      // loaded that way only if its code-cache loader cannot be used.
      name: 'shipped-redis-lib',
      setup(b) {
        b.onResolve({ filter: /\/redis-lib\.js$/ }, (args) => (args.importer.endsWith('redis-module.ts') ? { path: './redis-lib.cjs', external: true } : undefined));
      },
    },
  ],
  logLevel: 'warning',
});

const chunks = readdirSync(join(ROOT, SCRATCH)).filter((n) => n.endsWith('.js'));
await build({
  absWorkingDir: ROOT,
  entryPoints: chunks.map((n) => join(SCRATCH, n)),
  outdir: OUT,
  bundle: false,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true, // maps to src/*.ts through the scratch chunks' own maps
  supported: { 'dynamic-import': false },
  banner: { js: "var __portcullisChunkUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Without comments and indentation: a third less to read, hash and decode at every start, and
  // ASCII (read without UTF-8 decoding). Names are kept; --debug maps back to src/*.ts.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
writeFileSync(join(ROOT, OUT, 'package.json'), COMMONJS);
rmSync(join(ROOT, SCRATCH), { recursive: true, force: true });

// The loader bin/portcullis.js requires (CommonJS: Node's built-ins load cheaper than as ES modules).
await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/util/commonjs-code-cache.ts'],
  outfile: join(OUT, 'code-cache.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});

const REDIS_LIB = join(OUT, 'redis-lib.cjs'); // SHIPPED_REDIS_LIB in src/cache/redis-module.ts
// The socket times each connection with the global `performance`, whose first use loads Node's
// perf_hooks (ten internal modules, ~1.7 ms here): process.hrtime gives the same milliseconds.
const REDIS_CLOCK = join(ROOT, 'dist', '.redis-clock.mjs');
writeFileSync(REDIS_CLOCK, 'export const __portcullisNowMs = () => { const [s, ns] = process.hrtime(); return s * 1e3 + ns / 1e6; };\n');
try {
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['src/cache/redis-lib.ts'],
    outfile: REDIS_LIB,
    bundle: true,
    // The client's command table holds only the entries the client itself names (the cache sends
    // its commands through sendCommand): half the file, and of its load time. Built-ins that only some
    // connections use (TLS) load when first used (scripts/lazy-builtins.mjs).
    plugins: [redisClientCommands(ROOT), redisCommandMetadata(ROOT), lazyBuiltins(ROOT)],
    define: { 'performance.now': '__portcullisNowMs' },
    inject: [REDIS_CLOCK],
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // Without comments and indentation: 1.2 MB -> about half, and ASCII. Its own code is not ours to
    // debug: no source map.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
  });
} finally {
  // A build input, never shipped (dist/ is).
  rmSync(REDIS_CLOCK, { force: true });
}
// Functions the first connection runs are compiled before the cache is taken, so they are in it.
await writeCodeCache(join(ROOT, REDIS_LIB), (lib) => {
  new lib.RedisClient({ socket: { host: '127.0.0.1', port: 9, reconnectStrategy: false }, disableOfflineQueue: true });
});

// The chunks' caches are taken in a child (the CLI writes to stdout and sets process state), with
// no V8 flags, as `portcullis` runs: a cache made under other flags is rejected.
const node = (args, stdout = 'pipe') => execFileSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', stdout, 'inherit'], env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8' });
node([join(ROOT, 'scripts/warm-cli-cache.mjs'), join(ROOT, OUT)], 'ignore');
// A fresh Node must use every cache (a warm-up that changed V8's flags would make them useless).
const rejected = JSON.parse(node(['-e', `console.log(JSON.stringify(require(${JSON.stringify(join(ROOT, OUT, 'code-cache.cjs'))}).rejectedCodeCaches(${JSON.stringify(join(ROOT, OUT))})))`]));
if (rejected.length > 0) throw new Error(`bundle-cli: this Node rejects the code caches just made for ${rejected.join(', ')}`);

// The bundle's code fingerprint (src/util/code-fingerprint.ts reads it instead of looking at every
// file at run time): a hash of every code file's name and content, written beside them.
const dir = join(ROOT, OUT);
const h = createHash('sha256');
for (const name of readdirSync(dir).filter((n) => n.endsWith('.js') || n.endsWith('.cjs')).sort()) h.update(`${name}\u0000`).update(readFileSync(join(dir, name)));
writeFileSync(join(dir, 'build-id'), `${h.digest('hex')}\n`);

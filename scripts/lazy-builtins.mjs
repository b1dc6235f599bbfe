// An esbuild plugin for the shipped Redis client (src/cache/redis-lib.ts, built by bundle-cli.mjs):
// Node built-ins that @redis/client requires at its top level but only some connections use are
// loaded on first use instead. `tls` serves only rediss:// URLs; `assert` and `dns/promises` only
// Redis Enterprise's maintenance notices; `perf_hooks` only the connection pool (which we do not
// use) and `timers/promises` only its waits and reconnection delays. Loading the first three cost
// every run with a Redis cache ~4-6 ms of start-up (measured on this machine), before its first
// lookup; perf_hooks is ten internal modules more (~1.7 ms).
// Each becomes a module whose exports are getters that load the real one: the client's own
// `__importDefault(require("node:tls")).default.connect(...)` and `promises_1.lookup(...)` then work
// unchanged. The export names are the real module's, read at build time.
import { createRequire } from 'node:module';
import { redisClientDir } from './redis-client-commands.mjs';

const require = createRequire(import.meta.url);

/** Built-ins made lazy, by the specifiers the client uses. */
export const LAZY_BUILTINS = ['node:tls', 'node:assert', 'dns/promises', 'node:perf_hooks', 'node:timers/promises'];

/** The source of a module standing for `specifier`: the same export names, loaded when first read. */
export function lazyBuiltinSource(specifier) {
  const names = Object.keys(require(specifier)).filter((n) => n !== 'default' && n !== '__esModule');
  return [
    "'use strict';",
    'let real;',
    `const load = () => (real ??= require(${JSON.stringify(specifier)}));`,
    // __esModule: TypeScript's __importDefault then hands the client this object, whose `default` is the module.
    "Object.defineProperty(exports, '__esModule', { value: true });",
    "Object.defineProperty(exports, 'default', { enumerable: true, get: load });",
    `for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
    '',
  ].join('\n');
}

export function lazyBuiltins(root) {
  const client = `${redisClientDir(root)}/`;
  return {
    name: 'lazy-builtins',
    setup(b) {
      const filter = new RegExp(`^(${LAZY_BUILTINS.map((s) => s.replace(/[/]/g, '\\/')).join('|')})$`);
      const made = new Set();
      b.onResolve({ filter }, (args) => (args.importer.startsWith(client) ? { path: args.path, namespace: 'lazy-builtin' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
        made.add(args.path);
        return { contents: lazyBuiltinSource(args.path), loader: 'js' };
      });
      // A build that met none of them would load them all at start-up again, silently.
      b.onEnd(() => {
        const missing = LAZY_BUILTINS.filter((s) => !made.has(s));
        if (missing.length > 0) throw new Error(`lazy-builtins: @redis/client no longer requires ${missing.join(', ')} as this build expects; check scripts/lazy-builtins.mjs`);
      });
    },
  };
}

// An esbuild plugin for the shipped Redis client (src/cache/redis-lib.ts, built by bundle-cli.mjs).
// @redis/client's client modules import its whole command table (~430 modules, half the client's
// code) to give the client a method per command. The shared cache sends every command through
// sendCommand() and calls none of those methods, so the table the bundle gets holds only the
// entries the client itself uses by name (`commands_1.default.AUTH`, ...), read from the client's
// source at build time: an upgrade that names another entry gets it. Any other use of the table
// than naming an entry or attaching methods from it fails the build, as does a missing entry file.
// Loading the client went from ~43 to ~23 ms CPU (measured on this machine, code caches on both).
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The ways the client modules use the table: naming an entry, or attaching every entry as a method. */
const NAMED = /\bcommands_1\.(?:default|NON_STICKY_COMMANDS)\.([A-Z][A-Z0-9_]*)\b/g;
const ATTACHING = [/commands: commands_1\.default\b/g, /commands: commands_1\.NON_STICKY_COMMANDS\b/g, /Object\.entries\(commands_1\.default\)/g];
/** Every mention but the import's binding (`const commands_1 = ...`). */
const ANY_USE = /\bcommands_1\b(?!\s*=)/g;

/** The entries `clientDir`'s modules name, after checking that they use the table in no other way. */
export function namedCommands(clientDir) {
  const names = new Set();
  for (const file of readdirSync(clientDir).filter((n) => n.endsWith('.js'))) {
    const source = readFileSync(join(clientDir, file), 'utf8');
    let uses = (source.match(ANY_USE) ?? []).length;
    for (const m of source.matchAll(NAMED)) {
      names.add(m[1]);
      uses--;
    }
    for (const pattern of ATTACHING) uses -= (source.match(pattern) ?? []).length;
    if (uses !== 0) throw new Error(`redis-client-commands: ${file} uses @redis/client's command table in a way this build does not know; check scripts/redis-client-commands.mjs`);
  }
  return [...names].sort();
}

/**
 * The installed @redis/client's directory, by its real path: esbuild names modules by theirs, and a
 * plugin comparing against a symlinked path (pnpm's layout, a shared node_modules) never applies.
 */
export function redisClientDir(root) {
  return realpathSync(join(root, 'node_modules/@redis/client'));
}

export function redisClientCommands(root) {
  const lib = join(redisClientDir(root), 'dist/lib');
  const commandsDir = join(lib, 'commands');
  const clientDir = join(lib, 'client');
  return {
    name: 'redis-client-commands',
    setup(b) {
      let used = false;
      b.onResolve({ filter: /^\.\.\/commands$/ }, (args) => {
        if (dirname(args.importer) !== clientDir) return undefined;
        used = true;
        return { path: 'named-commands', namespace: 'redis-client-commands' };
      });
      // A build that never met the client's import of its table would ship the whole table, silently.
      b.onEnd(() => {
        if (!used) throw new Error(`redis-client-commands: no module in ${clientDir} imported ../commands; check scripts/redis-client-commands.mjs`);
      });
      b.onLoad({ filter: /.*/, namespace: 'redis-client-commands' }, () => {
        const names = namedCommands(clientDir);
        for (const n of names) if (!existsSync(join(commandsDir, `${n}.js`))) throw new Error(`redis-client-commands: @redis/client names command ${n}, which has no module`);
        const entries = names.map((n) => `  ${n}: require('./${n}.js').default,`).join('\n');
        return {
          resolveDir: commandsDir,
          loader: 'js',
          contents: `'use strict';\nconst commands = {\n${entries}\n};\nObject.defineProperty(exports, '__esModule', { value: true });\nexports.default = commands;\nexports.NON_STICKY_COMMANDS = commands;\n`,
        };
      });
    },
  };
}

// The client's command metadata (@redis/client's command-metadata-data.js, ~170 KB: every command
// of Redis and of its modules) is built into a lookup table when the client loads, ~5 ms and much
// of the load's garbage. The client consults it per command sent, for whether the server may block
// on it (then a client-side timeout does not end the call) and for client-side caching (unused
// here). The table the bundle gets holds the entries of the commands this project sends: those the
// cache names in src/cache/redis-cache.ts (read at each build) and those of the client's handshake.
// Each entry is the client's own, unchanged; a command it lacks would only be taken as non-blocking,
// so the build fails if any blocking command is among those sent.
const HANDSHAKE = ['HELLO', 'AUTH', 'CLIENT', 'SELECT', 'READONLY', 'PING', 'QUIT'];
const SENT = /\[\s*'([A-Z][A-Z_]*)'/g;

/** The commands src/cache/redis-cache.ts sends (each array literal that starts with a command name). */
export function cacheCommands(root) {
  const source = readFileSync(join(root, 'src/cache/redis-cache.ts'), 'utf8');
  const names = new Set([...source.matchAll(SENT)].map((m) => m[1]));
  if (names.size === 0) throw new Error('redis-command-metadata: src/cache/redis-cache.ts names no command; check scripts/redis-client-commands.mjs');
  return [...names].sort();
}

export function redisCommandMetadata(root) {
  const data = join(redisClientDir(root), 'dist/lib/command-metadata/command-metadata-data.js');
  const require = createRequire(import.meta.url);
  return {
    name: 'redis-command-metadata',
    setup(b) {
      let used = false;
      b.onLoad({ filter: /command-metadata-data\.js$/ }, (args) => {
        if (args.path !== data) return undefined;
        used = true;
        const all = require(data).COMMAND_METADATA.std;
        const kept = {};
        for (const name of [...cacheCommands(root), ...HANDSHAKE].map((n) => n.toLowerCase())) {
          const entry = all[name];
          if (!entry) throw new Error(`redis-command-metadata: @redis/client has no metadata for ${name}`);
          if (entry.flags?.includes('blocking')) throw new Error(`redis-command-metadata: ${name} may block on the server; check scripts/redis-client-commands.mjs`);
          kept[name] = entry;
        }
        return { loader: 'js', contents: `'use strict';\nObject.defineProperty(exports, '__esModule', { value: true });\nexports.COMMAND_METADATA = ${JSON.stringify({ std: kept })};\n` };
      });
      b.onEnd(() => {
        if (!used) throw new Error(`redis-command-metadata: the build never loaded ${data}; check scripts/redis-client-commands.mjs`);
      });
    },
  };
}

// CommonJS files loaded with V8's code cache. Node 20 compiles every module from source on every run
// (its compile cache came in Node 22); for the bundled Redis client (over 1 MB of source) that
// compile is a third of its load time, paid by every scan with a shared cache, and the CLI's own
// chunks are loaded so too (loadCommonJsDir). The build writes each cache beside its file
// (scripts/bundle-cli.mjs): it is part of the build, as trusted as the code.
// V8 checks a cache against its version, its flags and the source's LENGTH only, and in release
// builds does not checksum the code in it: a damaged cache can crash the process (seen: SIGSEGV). So
// the file starts with the SHA-256 of the source it was made from and the SHA-256 of V8's data: a
// cache of other source (even of the same length), or with a flipped byte, never reaches V8. A cache
// that is absent, or that V8 rejects, only costs the compile it would have saved.
import { createHash } from 'node:crypto';
import { isAscii } from 'node:buffer';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

export const CODE_CACHE_SUFFIX = '.v8cache';

/** The function Node's own CommonJS loader wraps a file in. */
const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();
const DIGEST_BYTES = 32;
const HEADER_BYTES = 2 * DIGEST_BYTES;

export type CacheUse = 'used' | 'rejected' | 'none';

interface Compiled {
  /** The module's function (Node's CommonJS wrapper), not yet run. */
  fn: (...args: unknown[]) => void;
  /** Whether a cache of this source was found, and whether V8 used it. */
  cache: CacheUse;
  script: Script;
  digest: Buffer;
}

/** `file` compiled with the cache beside it when that cache was made from this very source. */
function compile(file: string): Compiled {
  const bytes = readFileSync(file);
  const digest = sha256(bytes);
  let cachedData: Buffer | undefined;
  try {
    const cache = readFileSync(file + CODE_CACHE_SUFFIX);
    const data = cache.subarray(HEADER_BYTES);
    if (data.length > 0 && cache.subarray(0, DIGEST_BYTES).equals(digest) && cache.subarray(DIGEST_BYTES, HEADER_BYTES).equals(sha256(data))) cachedData = data;
  } catch {
    // no cache: compiled from source
  }
  // An ASCII file (esbuild escapes non-ASCII in code; minified output has no comments left)
  // reads as latin1 into the same string without UTF-8 decoding.
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const script = new Script(wrap(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const fn = script.runInThisContext() as Compiled['fn'];
  return { fn, script, digest, cache: !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used' };
}

function saveCache(file: string, { script, digest }: Pick<Compiled, 'script' | 'digest'>): number {
  const data = script.createCachedData();
  writeFileSync(file + CODE_CACHE_SUFFIX, Buffer.concat([digest, sha256(data), data]));
  return data.length;
}

export interface LoadedCommonJs {
  exports: unknown;
  /** Whether a cache of this source was found, and whether V8 used it. */
  cache: CacheUse;
  script: Script;
  digest: Buffer;
}

export function loadCommonJs(file: string): LoadedCommonJs {
  const c = compile(file);
  const module = { exports: {} as unknown };
  c.fn.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, cache: c.cache, script: c.script, digest: c.digest };
}

/**
 * Loads `file`, runs `warm` on its exports and waits for it (functions it runs are compiled, and so
 * go into the cache: V8's createCachedData() after execution holds them), and writes the cache
 * beside the file. Run by the build, with the Node and the V8 flags that will run it.
 */
export async function writeCodeCache(file: string, warm: (exports: unknown) => unknown): Promise<number> {
  const loaded = loadCommonJs(file);
  await warm(loaded.exports);
  return saveCache(file, loaded);
}

/** Files of a directory of CommonJS modules: those loaded, each with how its cache was used. */
export interface LoadedDir {
  exports: unknown;
  loaded: Map<string, Compiled>;
}

/** `./NAME.js`: a module of the directory itself (the bundle's chunks name each other so). */
const SIBLING = /^\.\/[^/\\]+\.js$/;

/**
 * Loads `entry` of `dir`, a directory of CommonJS files that require each other as `./NAME.js` (the
 * CLI bundle's chunks, scripts/bundle-cli.mjs), each through its own code cache; anything else they
 * require (Node's built-ins, packages) through Node. Each file runs once, as Node's require would
 * (a cycle sees the exports made so far).
 */
export function loadCommonJsDir(dir: string, entry: string): LoadedDir {
  const outer = createRequire(join(dir, entry));
  const modules = new Map<string, { exports: unknown }>();
  const loaded = new Map<string, Compiled>();
  const require = ((id: string) => {
    if (!SIBLING.test(id)) return outer(id);
    const file = join(dir, id.slice(2));
    let module = modules.get(file);
    if (!module) {
      module = { exports: {} };
      modules.set(file, module);
      const c = compile(file);
      loaded.set(file, c);
      c.fn.call(module.exports, module.exports, require, module, file, dir);
    }
    return module.exports;
  }) as NodeJS.Require;
  require.resolve = outer.resolve;
  require.cache = outer.cache;
  return { exports: require(`./${entry}`), loaded };
}

/**
 * The build's side of loadCommonJsDir: loads `entry`, runs `warm` on its exports and waits for it,
 * and writes the cache of every file of `dir` it loaded (with what they compiled) and of every
 * other `.js` file there (compiled, not run: their top-level code). Returns the bytes written.
 */
export async function writeCodeCaches(dir: string, entry: string, warm: (exports: unknown) => unknown): Promise<number> {
  const { exports, loaded } = loadCommonJsDir(dir, entry);
  await warm(exports);
  let bytes = 0;
  for (const [file, c] of loaded) bytes += saveCache(file, c);
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (name.endsWith('.js') && !loaded.has(file)) bytes += saveCache(file, compile(file));
  }
  return bytes;
}

/** The files of `dir` whose code cache this Node rejects (compiled, not run: a check for the build). */
export function rejectedCodeCaches(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /\.c?js$/.test(name) && existsSync(join(dir, name + CODE_CACHE_SUFFIX)))
    .filter((name) => compile(join(dir, name)).cache !== 'used');
}

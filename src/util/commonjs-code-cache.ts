// A CommonJS file loaded with V8's code cache. Node 20 compiles every module from source on every
// run (its compile cache came in Node 22); for the bundled Redis client (over 1 MB of source) that
// compile is a third of its load time, paid by every scan with a shared cache. The build writes the
// cache beside the file (scripts/bundle-cli.mjs): it is part of the build, as trusted as the code.
// V8 checks a cache against its version, its flags and the source's LENGTH only, and in release
// builds does not checksum the code in it: a damaged cache can crash the process (seen: SIGSEGV). So
// the file starts with the SHA-256 of the source it was made from and the SHA-256 of V8's data: a
// cache of other source (even of the same length), or with a flipped byte, never reaches V8. A cache
// that is absent, or that V8 rejects, only costs the compile it would have saved.
import { createHash } from 'node:crypto';
import { isAscii } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

export const CODE_CACHE_SUFFIX = '.v8cache';

/** The function Node's own CommonJS loader wraps a file in. */
const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();
const DIGEST_BYTES = 32;
const HEADER_BYTES = 2 * DIGEST_BYTES;

export interface LoadedCommonJs {
  exports: unknown;
  /** Whether a cache of this source was found, and whether V8 used it. */
  cache: 'used' | 'rejected' | 'none';
  script: Script;
  digest: Buffer;
}

export function loadCommonJs(file: string): LoadedCommonJs {
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
  // An ASCII file (esbuild escapes non-ASCII in code; the minified client has no comments left)
  // reads as latin1 into the same string without UTF-8 decoding.
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const script = new Script(wrap(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} as unknown };
  fn.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, cache: !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used', script, digest };
}

/**
 * Loads `file`, runs `warm` on its exports and waits for it (functions it runs are compiled, and so
 * go into the cache: V8's createCachedData() after execution holds them), and writes the cache
 * beside the file. Run by the build, with the Node and the V8 flags that will run it.
 */
export async function writeCodeCache(file: string, warm: (exports: unknown) => unknown): Promise<number> {
  const { exports, script, digest } = loadCommonJs(file);
  await warm(exports);
  const data = script.createCachedData();
  writeFileSync(file + CODE_CACHE_SUFFIX, Buffer.concat([digest, sha256(data), data]));
  return data.length;
}

// packageurl-js, loaded on the first purl built or parsed: a run that makes no purl (a scan whose
// inventory came whole from the cache) should not pay for loading it. Its module built an
// Intl.Collator when it initialised (~8 ms), which the CLI bundle no longer does
// (scripts/packageurl-collator.mjs). Every user of packageurl-js goes through here.
import type * as Lib from 'packageurl-js';
import { lazyRequire } from './lazy-require.js';

export type PackageURL = Lib.PackageURL;

const fromNodeModules = lazyRequire<typeof Lib>('packageurl-js');
let lib: typeof Lib | undefined;

/**
 * The bundle (scripts/bundle-cli.mjs, CommonJS) has `require`: esbuild bundles that literal call
 * and runs the module on the first call. An ES module build (tsc's dist/, tsx) has none, and loads
 * it from node_modules (lazyRequire, whose variable id esbuild cannot bundle).
 */
function load(): typeof Lib {
  if (lib) return lib;
  try {
    return (lib = typeof require === 'function' ? (require('packageurl-js') as typeof Lib) : fromNodeModules());
  } catch (err) {
    throw new PurlLibraryMissing(err);
  }
}

/**
 * packageurl-js could not be loaded (a broken install). Callers that take a library error for a
 * malformed purl rethrow this one (rethrowIfLibraryMissing): the run fails, as a failed import did
 * when the library was loaded at start-up, instead of every purl quietly taking a fallback.
 */
export class PurlLibraryMissing extends Error {
  constructor(cause: unknown) {
    super(`packageurl-js could not be loaded (${(cause as Error)?.message ?? cause})`, { cause });
  }
}

export function rethrowIfLibraryMissing(err: unknown): void {
  if (err instanceof PurlLibraryMissing) throw err;
}

/** `new PackageURL(...)`. */
export function newPackageURL(...args: ConstructorParameters<typeof Lib.PackageURL>): PackageURL {
  return new (load().PackageURL)(...args);
}

/** `PackageURL.fromString(s)`: throws on a malformed purl, as packageurl-js does. */
export function parsePackageURL(s: string): PackageURL {
  return load().PackageURL.fromString(s);
}

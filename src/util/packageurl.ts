// packageurl-js, loaded on the first purl built or parsed: its module builds an Intl.Collator when it
// initialises (~8 ms of a start-up), which a run that makes no purl (a scan whose inventory came
// whole from the cache) should not pay. Every user of packageurl-js goes through here.
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
  return (lib ??= typeof require === 'function' ? (require('packageurl-js') as typeof Lib) : fromNodeModules());
}

/** `new PackageURL(...)`. */
export function newPackageURL(...args: ConstructorParameters<typeof Lib.PackageURL>): PackageURL {
  return new (load().PackageURL)(...args);
}

/** `PackageURL.fromString(s)`: throws on a malformed purl, as packageurl-js does. */
export function parsePackageURL(s: string): PackageURL {
  return load().PackageURL.fromString(s);
}

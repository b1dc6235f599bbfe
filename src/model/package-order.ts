// The one order of packages: inventories are sorted by it, and encoders list packages in it.
import type { Package } from './package.js';

/** Code-unit order: the same on every machine (localeCompare follows the host's locale). */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** By type, name, version, arch, path, then purl and cataloger, so equal keys never depend on input order. */
export function comparePackages(a: Package, b: Package): number {
  return (
    cmp(a.type, b.type) ||
    cmp(a.name, b.name) ||
    cmp(a.version, b.version) ||
    cmp(a.arch ?? '', b.arch ?? '') ||
    cmp(a.path, b.path) ||
    cmp(a.purl, b.purl) ||
    cmp(a.foundBy, b.foundBy)
  );
}

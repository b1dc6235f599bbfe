import { lookupRuleFor } from '../ecosystems/index.js';
import type { Package } from '../model/package.js';
import type { PackageQuery } from '../vulndb/source.js';

/** One DB lookup for a package, and the version to evaluate the records' ranges with. */
export interface PackageLookup {
  query: PackageQuery;
  version: string;
}

/**
 * Which advisory names a package is matched under, by its ecosystem's lookup rule (src/ecosystems/):
 * - `source` (Debian, Ubuntu): advisories name the SOURCE package at the source version, so every
 *   binary built from it is reported;
 * - `origin` (the apk family): advisories name the origin (its version is the binary's);
 * - `binary-and-source` (the rpm family): advisories name binary packages; the source RPM name is
 *   tried as well;
 * - `name` (language packages): their own name (OSV naming: Maven group:artifact, PEP 503, npm scopes…).
 */
export function lookupsFor(pkg: Package): PackageLookup[] {
  if (!pkg.ecosystem) return [];
  const ecosystem = pkg.ecosystem;
  switch (lookupRuleFor(pkg)) {
    case 'source':
      return [{ query: { ecosystem, name: pkg.sourceName || pkg.name }, version: pkg.sourceVersion || pkg.version }];
    case 'origin':
      return [{ query: { ecosystem, name: pkg.sourceName || pkg.name }, version: pkg.version }];
    case 'binary-and-source': {
      const out: PackageLookup[] = [{ query: { ecosystem, name: pkg.name }, version: pkg.version }];
      if (pkg.sourceName && pkg.sourceName !== pkg.name) {
        out.push({ query: { ecosystem, name: pkg.sourceName }, version: pkg.version });
      }
      return out;
    }
    default:
      return [{ query: { ecosystem, name: pkg.name }, version: pkg.version }];
  }
}

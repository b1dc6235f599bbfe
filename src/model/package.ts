// The one package type that crosses every boundary: catalogers make it, the matcher reads it,
// encoders print it.
import type { PackageType } from '../ecosystems/index.js';

/** Where in the image a thing came from: the layer that (last) wrote it. */
export interface LayerRef {
  /** 0-based position among the image's filesystem layers (empty history steps excluded). */
  index: number;
  /** Digest of the layer blob as stored (compressed), e.g. `sha256:…`. */
  digest: string;
  /** Digest of the uncompressed layer tar (the config's rootfs.diff_ids entry). */
  diffId: string;
  /** The history step (`created_by`) that made this layer, when the config records it. */
  createdBy?: string;
}

// Both are derived from the ecosystem registry (src/ecosystems/): purl types we emit and match
// (`type` of a Package), and those that come from OS package dbs.
export type { PackageType };
export { OS_PACKAGE_TYPES } from '../ecosystems/index.js';

export interface Package {
  name: string;
  /** The version exactly as the ecosystem writes it (deb/rpm: `[epoch:]version[-release]`). */
  version: string;
  type: PackageType;
  /**
   * OSV ecosystem string the package is matched in (`Debian:12`, `Alpine:v3.20`, `npm`, …).
   * Empty when unknown (e.g. an OS package on an undetected OS): such a package is never matched.
   */
  ecosystem: string;
  purl: string;
  /** Source package (deb Source, apk origin, rpm source RPM name). Always filled: defaults to name. */
  sourceName?: string;
  /** Source package version; defaults to the binary version when the db states none. */
  sourceVersion?: string;
  arch?: string;
  licenses?: string[];
  /** Absolute path in the image of the file the package was read from (db, manifest, binary). */
  path: string;
  /** The layer that introduced the package. */
  layer: LayerRef;
  /** Name of the cataloger that found it. */
  foundBy: string;
  /** rpm: epoch as a number when the db records one. */
  epoch?: number;
  /** rpm: modularity label (`name:stream:version:context`). */
  modularityLabel?: string;
  /** Language packages: a development-only dependency (still reported, flagged). */
  dev?: boolean;
  /** purls (or names) of direct dependencies, where the source states them. */
  dependsOn?: string[];
}

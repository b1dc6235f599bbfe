// What one ecosystem module declares. Every table that used to be kept by hand (purl types, OSV
// names, comparators, lookups, OS facts, SBOM hints) is derived from these declarations in
// ./index.ts. docs/architecture.md ("Ecosystems") has the checklist for adding one.
import type { OsInfo } from '../model/os.js';
import type { Comparator } from '../version/comparator.js';

/**
 * Which advisory name and version a package is matched under (src/match/queries.ts):
 * - `name`: its own name and version (language ecosystems);
 * - `source`: the source package at the source version (Debian, Ubuntu: advisories name sources);
 * - `origin`: the source (apk origin) at the binary's version (the apk family);
 * - `binary-and-source`: the binary name, then the source RPM name, at the binary version (rpm).
 */
export type LookupRule = 'name' | 'source' | 'origin' | 'binary-and-source';

/** `Rocky Linux release 9.3 (Blue Onyx)`: how a release file names the OS. */
export interface ReleaseLine {
  /** Lower-case start of the line (`rocky`, `red hat`). */
  prefix: string;
  /** The file only this OS has (`/etc/rocky-release`); absent when it writes the generic ones only. */
  file?: string;
}

/** How an OS is recognised and which OSV ecosystem string (release included) it maps to. */
export interface OsFacts {
  /** os-release `ID`s, lower case (`debian`; `mariner`, `azurelinux`). */
  ids: readonly string[];
  /** purl namespaces and `distro=` qualifier ids naming this OS where they differ from `ids`. */
  purlIds?: readonly string[];
  /** The OS as people name it, for messages (`Debian`, `Amazon Linux`). */
  label: string;
  /** Red Hat-style `NAME release N` files (no os-release): the line's lower-case NAME prefix, and the OS's own file. */
  releaseLine?: ReleaseLine;
  /**
   * The OSV ecosystem string with its release suffix (`Debian:12`), or undefined when the OS facts
   * name no release this ecosystem publishes under (Debian sid, Alpine edge, no VERSION_ID).
   */
  release(os: OsInfo): string | undefined;
  /** os-release facts of a real release (docs, and the registry test's round trips). */
  example: Omit<OsInfo, 'detectedFrom'>;
}

export interface PurlFacts<T extends string> {
  /** The purl type, which is also `Package.type`. */
  type: T;
  /** Other purl types real SBOMs write for this ecosystem, read as `type` (Trivy: `pkg:dart` for pub). */
  aliases?: readonly string[];
  /** Qualifiers we read or write (documentation; the readers live in the catalogers / SBOM reader). */
  qualifiers?: readonly string[];
  /**
   * Why a purl of this type does not name a package of this ecosystem (undefined: it does). Trivy
   * writes CocoaPods pods as `pkg:swift/NAME` with no source-URL namespace, which no SwiftURL
   * record can name.
   */
  refuse?(namespace: string | undefined, name: string): string | undefined;
  /** The package's name as OSV spells it, from a parsed purl's namespace and name. */
  nameOf(namespace: string | undefined, name: string): string;
  /** The purl of a package named as OSV spells it (OS catalogers build their own, with distro). */
  build(name: string, version: string): string;
}

export interface EcosystemDef<T extends string = string> {
  /** OSV ecosystem name, without release suffix (`Debian`, `npm`, `SwiftURL`). */
  osv: string;
  /** How OSV records spell releases after the name (documentation): `:<major>`, `:v<major.minor>`. */
  releaseSuffix?: string;
  purl: PurlFacts<T>;
  /** Orders versions as the ecosystem's own tool does; `valid()` is the validity rule. */
  comparator: Comparator;
  /** The version scheme in one line (docs). */
  versionScheme: string;
  /** Name normalisation applied on both sides of a lookup (PEP 503 for PyPI); identity when absent. */
  normaliseName?(name: string): string;
  lookup: LookupRule;
  /** Present for OS ecosystems: how the OS is detected and released. */
  os?: OsFacts;
  /** What the package is in SPDX's primaryPackagePurpose. */
  spdxPurpose: 'INSTALL' | 'LIBRARY';
  /** Catalogers that find it in images (foundBy names); empty: read from SBOMs only. */
  catalogers: readonly string[];
  /** A real package of the ecosystem (docs, and the registry test's round trips). */
  example: { name: string; version: string };
}

/** Keeps the purl type literal, so PackageType can be derived from the registry. */
export function defineEcosystem<const T extends string>(def: EcosystemDef<T>): EcosystemDef<T> {
  return def;
}

/**
 * An OS we can detect but not match: it has no OSV ecosystem (its advisories are published
 * elsewhere). Its packages are reported as `unsupported`, never silently passed.
 */
export interface UnsupportedOs {
  ids: readonly string[];
  purlIds?: readonly string[];
  releaseLine?: ReleaseLine;
  /** `Amazon Linux 2`: the best name for the detected release. */
  label(os: OsInfo): string;
  reason: string;
  /** Catalogers that read its package database (`rpm-db`). */
  catalogers: readonly string[];
}

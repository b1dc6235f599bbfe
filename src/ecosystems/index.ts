// The ecosystem registry: the one list of ecosystem modules, and every table derived from it
// (purl types, OS package types, OSV names, comparators, name normalisers, lookups, OS → OSV
// release, purl → OSV, SPDX hints, coverage support). Nothing else keeps a per-ecosystem table.
import { parsePackageURL, rethrowIfLibraryMissing, type PackageURL } from '../util/packageurl.js';
import type { OsInfo } from '../model/os.js';
import type { Package } from '../model/package.js';
import type { Comparator } from '../version/comparator.js';
import { alpine, chainguard, minimos, wolfi } from './apk-family.js';
import { cratesIo } from './cargo.js';
import { conan } from './conan.js';
import { cran } from './cran.js';
import { debian } from './debian.js';
import { go } from './go.js';
import { hackage } from './hackage.js';
import { hex } from './hex.js';
import { maven } from './maven.js';
import { npm } from './npm.js';
import { nuget } from './nuget.js';
import { packagist } from './packagist.js';
import { pub } from './pub.js';
import { pypi } from './pypi.js';
import { almaLinux, azureLinux, mageia, openEuler, openSuse, photonOs, redHat, rockyLinux, suse } from './rpm-family.js';
import { rubygems } from './rubygems.js';
import { swift } from './swift.js';
import type { EcosystemDef, LookupRule, UnsupportedOs } from './types.js';
import { ubuntu } from './ubuntu.js';
import { UNSUPPORTED_OSES } from './unsupported-os.js';

export type { EcosystemDef, LookupRule, OsFacts, UnsupportedOs } from './types.js';
export { pep503 } from './pypi.js';

/**
 * Every ecosystem portcullis matches. The first ecosystem of an OS purl type is the one its bare
 * type names as a comparator alias (`deb` → Debian, `apk` → Alpine, `rpm` → Red Hat).
 */
export const ECOSYSTEMS = [
  debian, ubuntu,
  alpine, wolfi, chainguard, minimos,
  redHat, almaLinux, rockyLinux, openSuse, suse, mageia, azureLinux, photonOs, openEuler,
  npm, pypi, go, maven, rubygems, cratesIo, packagist, nuget,
  swift, hex, pub, cran, hackage, conan,
] as const;

export type Ecosystem = (typeof ECOSYSTEMS)[number];
/** purl types of the packages we make and match; `Package.type`. */
export type PackageType = Ecosystem['purl']['type'];

const ALL: readonly EcosystemDef[] = ECOSYSTEMS;

export const PACKAGE_TYPES: ReadonlySet<PackageType> = new Set(ECOSYSTEMS.map((e) => e.purl.type));
/** Types whose packages come from an OS package db and are matched under the detected OS. */
export const OS_PACKAGE_TYPES: ReadonlySet<PackageType> = new Set(ECOSYSTEMS.filter((e) => e.os).map((e) => e.purl.type));

const BY_OSV = new Map<string, EcosystemDef>(ALL.map((e) => [e.osv, e]));
const BY_TYPE = new Map<string, EcosystemDef[]>();
for (const e of ALL) BY_TYPE.set(e.purl.type, [...(BY_TYPE.get(e.purl.type) ?? []), e]);
/** purl types SBOMs write for an ecosystem besides its own (`dart` → `pub`). */
const ALIAS_TYPES = new Map<string, string>();
for (const e of ALL) for (const a of e.purl.aliases ?? []) ALIAS_TYPES.set(a, e.purl.type);
const BY_OS_ID = new Map<string, EcosystemDef>();
const OS_BY_PURL_ID = new Map<string, string>();
for (const e of ALL) {
  for (const id of e.os?.ids ?? []) BY_OS_ID.set(id, e);
  for (const id of e.os?.purlIds ?? []) OS_BY_PURL_ID.set(id, e.os!.ids[0]!);
}
const UNSUPPORTED_BY_ID = new Map<string, UnsupportedOs>();
for (const u of UNSUPPORTED_OSES) {
  for (const id of u.ids) UNSUPPORTED_BY_ID.set(id, u);
  for (const id of u.purlIds ?? []) OS_BY_PURL_ID.set(id, u.ids[0]!);
}

const RELEASE_LINES: { id: string; prefix: string; file?: string }[] = [
  ...ALL.flatMap((e) => (e.os?.releaseLine ? [{ id: e.os.ids[0]!, ...e.os.releaseLine }] : [])),
  ...UNSUPPORTED_OSES.flatMap((u) => (u.releaseLine ? [{ id: u.ids[0]!, ...u.releaseLine }] : [])),
];

/** The release files only one OS writes (`/etc/rocky-release`), for detection without os-release. */
export function osReleaseFiles(): string[] {
  return RELEASE_LINES.flatMap((r) => (r.file ? [r.file] : []));
}

/** The os-release ID of a `NAME release N` line's NAME (`Rocky Linux` → `rocky`). */
export function osIdForReleaseName(name: string): string | undefined {
  const lower = name.toLowerCase();
  return RELEASE_LINES.find((r) => lower.startsWith(r.prefix))?.id;
}

export function isPackageType(type: string): type is PackageType {
  return PACKAGE_TYPES.has(type as PackageType);
}

/** The ecosystem of an OSV ecosystem string: exact, or the part before the first `:` (`Debian:12`). */
export function ecosystemNamed(ecosystem: string): EcosystemDef | undefined {
  return BY_OSV.get(ecosystem) ?? BY_OSV.get(ecosystem.split(':', 1)[0]!);
}

/** The ecosystems whose packages have purl type `type` (several for deb/apk/rpm, one otherwise). */
export function ecosystemsOfType(type: string): readonly EcosystemDef[] {
  return BY_TYPE.get(type) ?? [];
}

/**
 * The comparator for an OSV ecosystem string: exact OSV spelling, a release-suffixed form
 * (`Debian:12`, `Alpine:v3.20`, `Red Hat:enterprise_linux:9::appstream`), or an OS purl type
 * (`deb`, `apk`, `rpm`: the first ecosystem of that type).
 */
export function comparatorFor(ecosystem: string): Comparator | undefined {
  const e = ecosystemNamed(ecosystem) ?? (OS_PACKAGE_TYPES.has(ecosystem as PackageType) ? BY_TYPE.get(ecosystem)?.[0] : undefined);
  return e?.comparator;
}

/** Names comparatorFor takes without a release suffix: OSV names, then the OS purl types. */
export function comparatorNames(): string[] {
  return [...BY_OSV.keys(), ...OS_PACKAGE_TYPES];
}

/** The name as looked up on both sides (PEP 503 for PyPI; as written elsewhere: OSV names are case-sensitive). */
export function normaliseName(ecosystem: string, name: string): string {
  const normalise = ecosystemNamed(ecosystem)?.normaliseName;
  return normalise ? normalise(name) : name;
}

/** The purl of a package of `type` named as OSV names it (Maven `group:artifact`, npm `@scope/name`). */
export function purlFor(type: PackageType, name: string, version: string): string {
  return BY_TYPE.get(type)![0]!.purl.build(name, version);
}

/** The OSV ecosystem of a language package type (`npm` → `npm`, `golang` → `Go`); '' for OS types. */
export function languageEcosystemFor(type: string): string {
  const list = BY_TYPE.get(type);
  return list && list.length === 1 && !list[0]!.os ? list[0]!.osv : '';
}

/** How a package is looked up (source, origin, binary and source, or its own name). */
export function lookupRuleFor(pkg: Pick<Package, 'ecosystem' | 'type'>): LookupRule {
  return (ecosystemNamed(pkg.ecosystem) ?? BY_TYPE.get(pkg.type)?.[0])?.lookup ?? 'name';
}

/** SPDX primaryPackagePurpose of a package type. */
export function spdxPurposeFor(type: string): 'INSTALL' | 'LIBRARY' {
  return BY_TYPE.get(type)?.[0]?.spdxPurpose ?? 'LIBRARY';
}

/**
 * The catalogers that read the package database of the detected OS (`dpkg` for Debian), and the
 * OS's name for messages; undefined when the OS is not one we know.
 */
export function osPackageDb(os: OsInfo): { label: string; catalogers: readonly string[] } | undefined {
  const e = BY_OS_ID.get(os.id);
  if (e?.os) return { label: e.os.label, catalogers: e.catalogers };
  const u = UNSUPPORTED_BY_ID.get(os.id);
  return u ? { label: u.label(os), catalogers: u.catalogers } : undefined;
}

/** OSV ecosystem string for the detected OS (`Debian:12`, `Ubuntu:22.04:LTS`…); '' when unknown or unsupported. */
export function osvEcosystemFor(os?: OsInfo): string {
  if (!os) return '';
  return BY_OS_ID.get(os.id)?.os?.release(os) ?? '';
}

/**
 * The OS a distro purl names, from its `distro=` qualifier (`debian-12.5`, `alpine-3.20.3`,
 * `openeuler-22.03-LTS-SP3`, `3.20.3`, `debian-trixie`) and namespace. undefined when neither names one.
 */
export function osFromPurl(namespace: string | undefined, distro: unknown): OsInfo | undefined {
  let id = (namespace ?? '').toLowerCase();
  let versionId: string | undefined;
  let versionCodename: string | undefined;
  if (typeof distro === 'string' && distro) {
    const d = distro.toLowerCase();
    const numbered = /^([a-z][a-z-]*?)-(\d[\w.-]*)$/i.exec(distro);
    const named = /^([a-z][a-z-]*?)-([a-z]+)(?:\/sid)?$/.exec(d);
    if (BY_OS_ID.has(d) || UNSUPPORTED_BY_ID.has(d)) id = d;
    else if (numbered) {
      id = numbered[1]!.toLowerCase();
      versionId = numbered[2];
    } else if (/^\d/.test(distro)) versionId = distro;
    else if (named) {
      id = named[1]!;
      versionCodename = named[2];
    }
  }
  id = OS_BY_PURL_ID.get(id) ?? id;
  if (!id) return undefined;
  return { id, detectedFrom: 'purl', ...(versionId ? { versionId } : {}), ...(versionCodename ? { versionCodename } : {}) };
}

/** What a purl denotes in OSV terms (purlEcosystem). */
export interface PurlEcosystem {
  type: PackageType;
  /** OSV ecosystem with release; '' for an OS package whose OS or release is not known. */
  ecosystem: string;
  /** The name as OSV spells it. */
  name: string;
  /** The OS a distro purl names (OS types only). */
  os?: OsInfo;
}

/** A purl no ecosystem takes, and why. */
export interface PurlRefusal {
  refused: string;
}

/**
 * The ecosystem a purl denotes: its type (or an alias type SBOMs write), name as OSV spells it, and
 * for distro purls the OS and OSV release ('' when not known). `{refused}` when no ecosystem takes it.
 */
export function purlEcosystem(p: PackageURL): PurlEcosystem | PurlRefusal {
  const canonical = ALIAS_TYPES.get(p.type) ?? p.type;
  const list = BY_TYPE.get(canonical);
  if (!list) return { refused: `no OSV ecosystem takes pkg:${p.type} packages` };
  const type = canonical as PackageType;
  const first = list[0]!;
  const refused = first.purl.refuse?.(p.namespace ?? undefined, p.name);
  if (refused) return { refused };
  const name = first.purl.nameOf(p.namespace ?? undefined, p.name);
  if (!first.os) return { type, ecosystem: first.osv, name };
  const os = osFromPurl(p.namespace ?? undefined, p.qualifiers?.distro);
  const owner = os ? BY_OS_ID.get(os.id) : undefined;
  // A distro of another package type (`pkg:deb/alpine/…`) is not that distro's.
  const ecosystem = owner && owner.purl.type === type ? osvEcosystemFor(os) : '';
  return { type, ecosystem, name, ...(os ? { os } : {}) };
}

/** Whether a package can be matched, and if not, the name and reason coverage reports. */
export type EcosystemSupport =
  | { status: 'supported' }
  | { status: 'unsupported' | 'os-unknown'; reason: string; name: string };

function osFromPackagePurl(purl: string): OsInfo | undefined {
  try {
    const p = parsePackageURL(purl);
    return osFromPurl(p.namespace ?? undefined, p.qualifiers?.distro);
  } catch (err) {
    rethrowIfLibraryMissing(err);
    return undefined;
  }
}

/**
 * Whether `pkg` is matched against data that can cover it. `supported` when its ecosystem is a
 * registry ecosystem (with a comparator, by the registry's test); otherwise why not:
 * - `unsupported`: an OS OSV has no ecosystem for (Amazon Linux, Fedora…), an OSV ecosystem we
 *   have no comparator for, a package type no ecosystem takes;
 * - `os-unknown`: an OS package whose OS, or whose OS release, is not known (no os-release,
 *   Debian sid, Alpine edge): its OSV ecosystem cannot be named.
 * `os` is the detected OS (image scans); without it a distro purl's namespace / `distro=` is used.
 */
export function ecosystemSupport(pkg: Package, os?: OsInfo): EcosystemSupport {
  if (pkg.ecosystem) {
    if (ecosystemNamed(pkg.ecosystem)) return { status: 'supported' };
    return { status: 'unsupported', name: pkg.ecosystem, reason: `no version comparator for OSV ecosystem ${JSON.stringify(pkg.ecosystem)}` };
  }
  if (!OS_PACKAGE_TYPES.has(pkg.type)) {
    return { status: 'unsupported', name: pkg.type, reason: `no OSV ecosystem for ${pkg.type} packages` };
  }
  const info = os ?? osFromPackagePurl(pkg.purl);
  if (!info) {
    return { status: 'os-unknown', name: pkg.type, reason: `the OS was not detected: ${pkg.type} packages cannot be given an OSV ecosystem` };
  }
  const unsupported = UNSUPPORTED_BY_ID.get(info.id);
  if (unsupported) return { status: 'unsupported', name: unsupported.label(info), reason: unsupported.reason };
  const known = BY_OS_ID.get(info.id);
  if (known?.os) {
    const facts = [info.versionId && `VERSION_ID ${info.versionId}`, info.versionCodename && `codename ${info.versionCodename}`].filter(Boolean).join(', ');
    const release = known.os.release(info);
    return {
      status: 'os-unknown',
      name: known.os.label,
      reason: release
        ? `${pkg.type} package ${pkg.name} carries no ecosystem although ${known.os.label} maps to ${release}`
        : `${known.os.label} ${facts ? `(${facts})` : 'without a version'} names no release OSV publishes advisories under`,
    };
  }
  return { status: 'unsupported', name: info.prettyName ?? info.id, reason: `no OSV ecosystem for the OS ${JSON.stringify(info.id)}` };
}

/** Detected-but-unmatchable OSes (documentation and tests). */
export { UNSUPPORTED_OSES };

// What a scan actually checked. A gate's PASS is only worth what was covered: every ecosystem the
// image's packages are in must have vulnerability data, and every package database must have been
// read. Anything less is listed here, and decided by policy or ends the scan with exit 2.

/**
 * - `covered`: the vulnerability data holds records for the ecosystem; its packages were matched.
 * - `no-data`: a known ecosystem, but the data holds no record for it (an npm-only DB scanning a
 *   Debian image; `Debian:13` packages against `Debian:12` data).
 * - `unsupported`: packages portcullis cannot match (an OS with no OSV ecosystem such as Amazon
 *   Linux or Fedora, an ecosystem without a version comparator, an SBOM purl type no ecosystem takes).
 * - `os-unknown`: OS packages were found but the OS was not detected (os-release removed, …).
 */
export type CoverageStatus = 'covered' | 'no-data' | 'unsupported' | 'os-unknown';

export const COVERAGE_STATUSES: readonly CoverageStatus[] = ['covered', 'no-data', 'unsupported', 'os-unknown'];

/** A gap that was accepted rather than failing the scan. */
export interface CoverageAcceptance {
  /** `flag`: --allow-uncovered; `policy`: a policy's `spec.coverage.accept`. */
  by: 'flag' | 'policy';
  /** The policy file (for `policy`). */
  source?: string;
  reason?: string;
}

/** What the vulnerability data holds for one ecosystem (VulnSource.coverage). */
export interface EcosystemData {
  /** Records whose affected entries are in the ecosystem (or extend it past a `:`). */
  records: number;
  /** Data sources those records came from (`osv:Debian`, a file name…). */
  sources: string[];
  /** Newest `modified` of those records (ISO 8601); absent when unknown (e.g. the OSV API). */
  dataDate?: string;
  /**
   * false when the source cannot count its records (the public OSV API): `records` is then 0
   * and means "unknown", and `sources` says who would answer. Absent (true) otherwise.
   */
  counted?: false;
}

export interface EcosystemCoverage {
  /**
   * The OSV ecosystem (`Debian:12`, `npm`). For `unsupported` / `os-unknown`, the best name known
   * (`Amazon Linux 2`, the purl type `deb`…).
   */
  ecosystem: string;
  status: CoverageStatus;
  /** Packages of the image in this ecosystem. */
  packages: number;
  /** purl type(s) of those packages (`deb`, `npm`). */
  types: string[];
  sources: string[];
  records: number;
  dataDate?: string;
  /** Why it is not covered, in one line (absent when covered). */
  reason?: string;
  /** What to run to fix a gap (`portcullis db update --ecosystem Debian:13`). */
  fix?: string;
  accepted?: CoverageAcceptance;
}

/** A package file that exists in the image but could not be read: its packages are unknown. */
export interface UnreadFile {
  path: string;
  /** The cataloger that wanted it (`dpkg`, `npm`…). */
  cataloger: string;
  /** `os-pkgdb`: an OS package database (dpkg, rpm, apk); `manifest`: a language package file. */
  kind: 'os-pkgdb' | 'manifest';
  /**
   * Machine-readable: `too-large`, `malformed`, `unreadable`, `link`, `error`; `missing`: the OS
   * the image names has no package database in it at all (`path` is where it belongs).
   */
  code: string;
  /** One line: why it was not read (never the file's content). */
  reason: string;
  /** Layer that last wrote the file, when known. */
  layer?: number;
  accepted?: CoverageAcceptance;
}

/** A package that was found but not checked (an invalid version, a purl type no ecosystem takes). */
export interface UncheckedPackage {
  purl: string;
  ecosystem: string;
  /** `version.invalid`, `purl.unsupported`… */
  code: string;
  reason: string;
}

export interface Coverage {
  /** One entry per ecosystem the image's packages are in, sorted by ecosystem. */
  ecosystems: EcosystemCoverage[];
  unread: UnreadFile[];
  unchecked: UncheckedPackage[];
  /** Threat-intel data the DB holds (rows), so a rule reading `kev`/`epss` knows it can fire. */
  intel?: { kev: number; epss: number; nvd: number };
  /** True when nothing is missing, or every gap was accepted. */
  complete: boolean;
}

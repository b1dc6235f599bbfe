import type { EcosystemData } from '../model/coverage.js';
import type { Cvss, EpssScore, KevEntry } from '../model/finding.js';
import type { OsvRecord } from '../model/osv.js';
import type { DbSummary } from '../model/report.js';
import type { CvssScore } from '../cvss/vectors.js';
import { normaliseName } from '../ecosystems/index.js';

/**
 * The /v1/portcullis protocol of `db serve` and its client (2: coverage, data dates, intel
 * counts). The server states it in its summary; the client refuses any other.
 */
export const REMOTE_PROTOCOL = 2;

export interface PackageQuery {
  /** OSV ecosystem as the inventory states it (`Debian:12`, `npm`, `Red Hat:enterprise_linux:9`). */
  ecosystem: string;
  name: string;
}

/** Threat intel joined to a CVE (or alias) id. */
export interface Enrichment {
  kev?: KevEntry;
  epss?: EpssScore;
  /** NVD's CVSS vectors for the CVE (used when the OSV record carries none). */
  nvd?: Cvss[];
}

/**
 * Where the matcher gets advisories: the local SQLite store, or a remote `db serve` / OSV API.
 * Matching itself (range evaluation) happens in src/match with src/version, not here.
 */
export interface VulnSource {
  summary(): DbSummary;
  /**
   * Records that name any of the packages, keyed by `lookupKey(query)`. Exact on the normalised
   * name; on the ecosystem, exact, or a prefix up to a `:` boundary (a `Red Hat:enterprise_linux:9`
   * query finds records of `Red Hat:enterprise_linux:9::appstream`). Withdrawn records are excluded.
   */
  lookup(queries: PackageQuery[]): Promise<Map<string, OsvRecord[]>>;
  /**
   * What the data holds for each queried OSV ecosystem (`Debian:12`, `npm`), by the same ecosystem
   * rule as lookup: records whose affected entries are in it or extend it past a `:`, the sources
   * they came from, their newest `modified`. Every queried ecosystem is in the map (records 0 when
   * none). Never guesses: a source that cannot count says so (`counted: false`) or throws.
   */
  coverage(ecosystems: string[]): Promise<Map<string, EcosystemData>>;
  /** Enrichment by CVE id (KEV, EPSS, NVD CVSS). Unknown ids are absent from the map. */
  enrich(ids: string[]): Promise<Map<string, Enrichment>>;
  /**
   * Base scores the data holds for these CVSS vectors (as records write them), computed at import
   * by the calculator `CVSS_CALCULATOR_ID` names; null for a vector that is not valid CVSS. A vector
   * it holds no score for is absent, and so is every one when the data was scored by another
   * calculator: the matcher scores those itself. Optional: a source without scores omits it.
   */
  cvssScores?(vectors: string[]): Promise<Map<string, CvssScore | null>>;
  close(): Promise<void>;
}

/**
 * The ecosystem's name normaliser (src/ecosystems/): PEP 503 for PyPI; everything else as written
 * (OSV names are case-sensitive elsewhere). Stored names in the DB are normalised with it.
 */
export function normalisePackageName(ecosystem: string, name: string): string {
  return normaliseName(ecosystem, name);
}

export function lookupKey(q: PackageQuery): string {
  return `${q.ecosystem}\u0000${normalisePackageName(q.ecosystem, q.name)}`;
}

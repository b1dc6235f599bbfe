import type { Cvss, EpssScore, KevEntry } from '../model/finding.js';
import type { OsvRecord } from '../model/osv.js';
import type { DbSummary } from '../model/report.js';
import { normaliseName } from '../ecosystems/index.js';

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
  /** Enrichment by CVE id (KEV, EPSS, NVD CVSS). Unknown ids are absent from the map. */
  enrich(ids: string[]): Promise<Map<string, Enrichment>>;
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

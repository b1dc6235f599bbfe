import type { Action, FindingDecision } from './decision.js';
import type { LayerRef, Package } from './package.js';

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'UNKNOWN';
export const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];

/** `fixed`: a fixed version exists; `affected`: no fix yet; the rest are distro states. */
export type FindingStatus = 'fixed' | 'affected' | 'will_not_fix' | 'fix_deferred' | 'end_of_life';

/** Where the severity came from: the distro / vendor record, a CVSS vector, or NVD enrichment. */
export type SeveritySource = 'vendor' | 'cvss' | 'nvd' | 'none';

export interface Cvss {
  version: '2.0' | '3.0' | '3.1' | '4.0';
  vector: string;
  score: number;
  /** Who published the vector: the OSV record's id prefix / `nvd`. */
  source: string;
}

export interface KevEntry {
  dateAdded: string;
  dueDate?: string;
  knownRansomwareCampaignUse?: string;
  vulnerabilityName?: string;
}

export interface EpssScore {
  score: number;
  percentile: number;
  date?: string;
}

export interface Finding {
  /** Preferred id: the CVE when there is one, else the advisory id. */
  id: string;
  /** Every other id the same vulnerability is known by (advisory ids, GHSA, PYSEC, DEBIAN-CVE…). */
  aliases: string[];
  summary?: string;
  package: Package;
  status: FindingStatus;
  /** Versions that fix it, from the deciding record (empty when no fix). */
  fixedVersions: string[];
  severity: Severity;
  severitySource: SeveritySource;
  /** All CVSS vectors known for it, best first. */
  cvss: Cvss[];
  kev?: KevEntry;
  epss?: EpssScore;
  published?: string;
  modified?: string;
  references: string[];
  /** The layer that introduced the package (same as package.layer; kept for encoders and policy). */
  layer: LayerRef;
  /** The OSV record ids the finding was built from. */
  records: string[];
  /**
   * Vulnerabilities a multi-CVE advisory (DSA, USN, ALSA…) covers, when the finding is that advisory
   * itself. Not aliases: each is a different vulnerability.
   */
  related?: string[];
  /** The gate's action on this finding (`scan` with a policy): the same as decision.byFinding. */
  action?: Action;
  /** What decided `action`: the rule, exception, VEX statement or ignore entry, and why. */
  decision?: Omit<FindingDecision, 'action'>;
}

/** Stable identity of a finding across runs (baseline, exceptions, decision map). */
export function findingKey(f: Pick<Finding, 'id' | 'package'>): string {
  return `${f.id}|${f.package.purl}|${f.package.path}`;
}

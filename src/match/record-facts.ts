// What a record says that does not depend on the package or its version: computed once per
// record object and affected entry (records come shared and frozen from the source), not once per
// package that hits them.
import type { Cvss, FindingStatus, Severity } from '../model/finding.js';
import type { OsvAffected, OsvRecord } from '../model/osv.js';
import { sortCvss } from './cvss.js';
import { cvssVectorsOf, normaliseVector, type CvssScores } from '../cvss/vectors.js';
import { unfixedStatus, vendorSeverity } from './vendor.js';

export interface RecordFacts {
  /** Ids that name the same vulnerability as the record itself (id, aliases, a single upstream CVE). */
  sameIds: string[];
  /** CVEs a multi-vulnerability advisory covers; empty for a single-vulnerability record. */
  covered: string[];
  summary?: string;
  /** The first line of the details, for records without a summary. */
  headline?: string;
  /** Reference URLs, first occurrence order, no repeats. */
  references: string[];
  /** Per affected entry: its facts also depend on the record (record-level severity). */
  affected: Map<OsvAffected, AffectedFacts>;
}

export interface AffectedFacts {
  /** CVSS vectors of the entry and its record, parsed and scored, best first. */
  cvss: Cvss[];
  vendor?: Severity;
  /** The distro state when the entry has no fix. */
  unfixed: FindingStatus;
}

const CVE_ID = /^CVE-\d+-\d+$/;

function sameVulnIds(record: OsvRecord): string[] {
  const ids = [record.id, ...(record.aliases ?? [])];
  // DEBIAN-CVE-…, UBUNTU-CVE-…: one upstream CVE is the record's own vulnerability.
  if (record.upstream?.length === 1) ids.push(record.upstream[0]!);
  return ids;
}

/** DSA/DLA/USN list the CVEs they cover as `upstream`, ALSA/RHSA as `related`. */
function coveredVulns(record: OsvRecord): string[] {
  if ((record.upstream?.length ?? 0) > 1) return [...record.upstream!];
  if ((record.aliases?.length ?? 0) === 0 && (record.related?.length ?? 0) > 0 && !record.id.startsWith('CVE-')) {
    return record.related!.filter((id) => CVE_ID.test(id));
  }
  return [];
}

const recordCache = new WeakMap<OsvRecord, RecordFacts>();

export function recordFacts(record: OsvRecord): RecordFacts {
  let f = recordCache.get(record);
  if (!f) {
    const headline = record.details?.split('\n')[0]?.slice(0, 240);
    f = {
      sameIds: sameVulnIds(record),
      covered: coveredVulns(record),
      ...(record.summary ? { summary: record.summary } : {}),
      ...(headline ? { headline } : {}),
      references: [...new Set((record.references ?? []).map((r) => r.url))],
      affected: new Map(),
    };
    recordCache.set(record, f);
  }
  return f;
}

/**
 * Facts of one affected entry of `record`. `scores` holds the score of every CVSS vector of the
 * entry and its record (the matcher gathers them first: from the DB, else the calculator); a vector
 * not in it is a bug, and throws rather than leave the finding unscored.
 */
export function affectedFacts(record: OsvRecord, affected: OsvAffected, scores: CvssScores): AffectedFacts {
  const cache = recordFacts(record).affected;
  let f = cache.get(affected);
  if (!f) {
    const cvss: Cvss[] = [];
    for (const raw of cvssVectorsOf(record, affected)) {
      const s = scores.get(raw);
      if (s === undefined) throw new Error(`CVSS vector of ${record.id} was not scored`);
      if (s === null) continue;
      const vector = normaliseVector(raw);
      if (!cvss.some((o) => o.vector === vector)) cvss.push({ version: s.version, vector, score: s.score, source: record.id });
    }
    const vendor = vendorSeverity(record, affected);
    f = { cvss: sortCvss(cvss), ...(vendor ? { vendor } : {}), unfixed: unfixedStatus(record, affected) };
    cache.set(affected, f);
  }
  return f;
}

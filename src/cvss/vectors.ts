// CVSS vectors as records write them, and their scores, without the calculator: what a scan needs
// when its DB scored the vectors at import. Scoring itself is ./calculator.ts, loaded only for
// vectors the DB did not score (another calculator's DB, a remote source) and by the import.
import type { Cvss } from '../model/finding.js';
import type { OsvAffected, OsvRecord } from '../model/osv.js';

/**
 * The calculator (package and version) whose scores a DB holds. A DB scored by another one is
 * not trusted to agree: its scores are ignored and the vectors scored again. A test pins this to
 * the installed package.
 */
export const CVSS_CALCULATOR_ID = 'ae-cvss-calculator@1.0.13';

/** A vector's base score; null when the vector is not valid CVSS. */
export interface CvssScore {
  version: Cvss['version'];
  score: number;
}

/** Scores by the vector as a record writes it. */
export type CvssScores = ReadonlyMap<string, CvssScore | null>;

const CVSS_TYPE = /^CVSS_V[234]$/;

/** Hands each CVSS entry's vector of a severity list, as written, to `take`. */
function cvssIn(list: OsvRecord['severity'], take: (vector: string) => void): void {
  for (const s of list ?? []) if (CVSS_TYPE.test(s.type)) take(s.score);
}

/** The CVSS vectors of an affected entry and its record, as written, entry's first. */
export function cvssVectorsOf(record: OsvRecord, affected: OsvAffected): string[] {
  const out: string[] = [];
  const take = (v: string) => out.push(v);
  cvssIn(affected.severity, take);
  cvssIn(record.severity, take);
  return out;
}

/** Every CVSS vector any of the records carries (record level and each affected entry). */
export function cvssVectorsOfRecords(records: Iterable<OsvRecord>, into = new Set<string>()): Set<string> {
  const take = (v: string) => into.add(v);
  for (const r of records) {
    cvssIn(r.severity, take);
    for (const a of r.affected ?? []) cvssIn(a.severity, take);
  }
  return into;
}

/** The vector as scored: trimmed, without the parentheses some CVSS v2 vectors come in. */
export function normaliseVector(vector: string): string {
  return vector.trim().replace(/^\((.*)\)$/, '$1');
}

// CVSS ratings and order. Vectors and their scores: src/cvss/.
import type { Cvss, Severity } from '../model/finding.js';

/** Qualitative rating per the CVSS specification of that version. */
export function severityFromCvss(c: Pick<Cvss, 'version' | 'score'>): Severity {
  const s = c.score;
  if (c.version === '2.0') return s >= 7 ? 'HIGH' : s >= 4 ? 'MEDIUM' : s > 0 ? 'LOW' : 'UNKNOWN';
  if (s >= 9) return 'CRITICAL';
  if (s >= 7) return 'HIGH';
  if (s >= 4) return 'MEDIUM';
  if (s > 0) return 'LOW';
  return 'UNKNOWN';
}

const VERSION_RANK: Record<Cvss['version'], number> = { '4.0': 4, '3.1': 3, '3.0': 2, '2.0': 1 };

/** Best first: CVSS v4.0 > v3.1 > v3.0 > v2, then higher score. */
export function sortCvss(list: Cvss[]): Cvss[] {
  return [...list].sort((a, b) => VERSION_RANK[b.version] - VERSION_RANK[a.version] || b.score - a.score);
}

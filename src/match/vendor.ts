import type { FindingStatus, Severity } from '../model/finding.js';
import type { OsvAffected, OsvRecord } from '../model/osv.js';

// What the distro or vendor says about a record: its own severity and its fix state. The vendor
// knows its backports, so its word comes first (see docs/matching.md).

const WORDS: Record<string, Severity> = {
  critical: 'CRITICAL',
  important: 'HIGH',
  high: 'HIGH',
  moderate: 'MEDIUM',
  medium: 'MEDIUM',
  low: 'LOW',
  negligible: 'LOW',
  unimportant: 'LOW',
};

function word(v: unknown): Severity | undefined {
  return typeof v === 'string' ? WORDS[v.trim().toLowerCase()] : undefined;
}

/** The vendor's qualitative severity for this record / affected entry, if it states one. */
export function vendorSeverity(record: OsvRecord, affected: OsvAffected): Severity | undefined {
  // Ubuntu priorities travel as a severity entry of type "Ubuntu".
  for (const s of [...(affected.severity ?? []), ...(record.severity ?? [])]) {
    if (s.type === 'Ubuntu') {
      const w = word(s.score);
      if (w) return w;
    }
  }
  // GHSA and others: database_specific.severity ("CRITICAL", "HIGH", "MODERATE", "LOW").
  const fromDb =
    word(affected.ecosystem_specific?.severity) ??
    word(affected.database_specific?.severity) ??
    word(record.database_specific?.severity);
  if (fromDb) return fromDb;
  // Debian: the security tracker's urgency ("low", "medium", "high", "unimportant").
  const urgency = word(String(affected.ecosystem_specific?.urgency ?? '').replace(/\*+$/, ''));
  if (urgency) return urgency;
  // Red Hat family advisories (RHSA, ALSA, RLSA): the summary starts with the impact.
  const impact = /^(Critical|Important|Moderate|Low):/.exec(record.summary ?? '');
  if (impact) return word(impact[1]);
  return undefined;
}

const STATES: [RegExp, FindingStatus][] = [
  [/^(end[-_ ]of[-_ ]life|eol)$/i, 'end_of_life'],
  [/^(will[-_ ]not[-_ ]fix|wont[-_ ]?fix|ignored|not[-_ ]fix)$/i, 'will_not_fix'],
  [/^(postponed|deferred|fix[-_ ]deferred|no-dsa)$/i, 'fix_deferred'],
];

/**
 * The distro's state for an unfixed record, from the fields distro OSV exporters use
 * (`ecosystem_specific.urgency`, `…status`, `…fix_state`, database_specific likewise).
 */
export function unfixedStatus(record: OsvRecord, affected: OsvAffected): FindingStatus {
  const bags = [affected.ecosystem_specific, affected.database_specific, record.database_specific];
  for (const bag of bags) {
    if (!bag) continue;
    for (const key of ['fix_state', 'status', 'state', 'urgency']) {
      const v = bag[key];
      if (typeof v !== 'string') continue;
      for (const [re, status] of STATES) if (re.test(v.trim())) return status;
    }
  }
  return 'affected';
}

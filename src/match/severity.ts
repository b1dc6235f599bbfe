import type { Cvss, Severity, SeveritySource } from '../model/finding.js';
import { severityFromCvss } from './cvss.js';

/** `--severity-source`: which opinion wins. vendor (default): the distro knows its backports. */
export type SeverityPreference = 'vendor' | 'nvd' | 'cvss';

export const SEVERITY_PREFERENCES: readonly SeverityPreference[] = ['vendor', 'nvd', 'cvss'];

interface Opinions {
  vendor?: Severity;
  /** Vectors from the advisory records, best first. */
  cvss: Cvss[];
  /** Vectors from NVD enrichment, best first. */
  nvd: Cvss[];
}

const ORDER: Record<SeverityPreference, SeveritySource[]> = {
  vendor: ['vendor', 'cvss', 'nvd'],
  cvss: ['cvss', 'nvd', 'vendor'],
  nvd: ['nvd', 'cvss', 'vendor'],
};

/** Picks the severity by preference: the first opinion that exists decides. */
export function chooseSeverity(o: Opinions, pref: SeverityPreference): { severity: Severity; source: SeveritySource } {
  for (const src of ORDER[pref]) {
    if (src === 'vendor' && o.vendor) return { severity: o.vendor, source: 'vendor' };
    if (src === 'cvss' && o.cvss.length > 0) return { severity: severityFromCvss(o.cvss[0]), source: 'cvss' };
    if (src === 'nvd' && o.nvd.length > 0) return { severity: severityFromCvss(o.nvd[0]), source: 'nvd' };
  }
  return { severity: 'UNKNOWN', source: 'none' };
}

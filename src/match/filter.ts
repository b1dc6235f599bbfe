import { PortcullisError } from '../errors.js';
import { OS_PACKAGE_TYPES, type Package } from '../model/package.js';
import { SEVERITIES, type Finding, type Severity } from '../model/finding.js';

/** The filters users know from Trivy/Grype: `--severity`, `--ignore-unfixed`, `--pkg-types`. */
export interface FindingFilter {
  severities?: Severity[];
  ignoreUnfixed?: boolean;
  pkgTypes?: ('os' | 'library')[];
}

export function parseSeverityList(value: string): Severity[] {
  const list = value.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  for (const s of list) {
    if (!SEVERITIES.includes(s as Severity)) {
      throw new PortcullisError(`--severity: unknown severity "${s}" (known: ${SEVERITIES.join(', ')})`);
    }
  }
  return list as Severity[];
}

export function parsePkgTypes(value: string): ('os' | 'library')[] {
  const list = value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const s of list) {
    if (s !== 'os' && s !== 'library') throw new PortcullisError(`--pkg-types: unknown type "${s}" (known: os, library)`);
  }
  return list as ('os' | 'library')[];
}

export function filterFindings(findings: Finding[], f: FindingFilter): Finding[] {
  return findings.filter((x) => {
    if (f.severities && !f.severities.includes(x.severity)) return false;
    if (f.ignoreUnfixed && x.fixedVersions.length === 0) return false;
    return inPkgTypes(x.package, f.pkgTypes);
  });
}

/** `--pkg-types os,library`: whether a package is in scope (all are, without the filter). */
export function inPkgTypes(p: Package, pkgTypes: FindingFilter['pkgTypes']): boolean {
  if (!pkgTypes) return true;
  return pkgTypes.includes(OS_PACKAGE_TYPES.has(p.type) ? 'os' : 'library');
}

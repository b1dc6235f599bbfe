// Comparators by OSV ecosystem name (https://ossf.github.io/osv-schema/#affectedpackage-field),
// derived from the ecosystem registry (src/ecosystems/): each ecosystem module names its comparator.
import { comparatorFor, comparatorNames } from '../ecosystems/index.js';
import type { Comparator } from './comparator.js';
import { SemverComparator } from './semver2.js';

/** SemVer 2.0 as OSV `SEMVER` ranges use it (a leading `v` is tolerated). */
export const SEMVER_RANGE_COMPARATOR: Comparator = new SemverComparator('SemVer', 'range');

const BY_NAME = new Map<string, Comparator | undefined>();

/**
 * The comparator for an OSV ecosystem: exact OSV spelling, the aliases deb/rpm/apk, or a
 * release-suffixed form (`Debian:12`, `Alpine:v3.20`, `Red Hat:enterprise_linux:9::appstream`).
 */
export function getComparator(ecosystem: string): Comparator | undefined {
  const known = BY_NAME.get(ecosystem);
  if (known !== undefined || BY_NAME.has(ecosystem)) return known;
  const found = comparatorFor(ecosystem);
  // Ecosystem strings are few (one per distro release or language); remember each answer.
  if (BY_NAME.size < 10_000) BY_NAME.set(ecosystem, found);
  return found;
}

/** Names getComparator accepts without a release suffix (OSV names first, then aliases). */
export function knownEcosystems(): string[] {
  return comparatorNames();
}

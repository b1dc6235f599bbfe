// Public surface of the version layer: comparators by ecosystem and OSV range evaluation.
export { InvalidVersionError, type Comparator } from './comparator.js';
export { getComparator, knownEcosystems, SEMVER_RANGE_COMPARATOR } from './registry.js';
export { affects, type AffectsResult } from './osv-range.js';
export { rpmvercmp } from './rpm.js';
export { normalizePypi } from './pypi.js';

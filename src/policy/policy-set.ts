// A gate's policies as one set: rules, limits, exceptions and image rules in the order the files
// were given; coverage acceptances merged.
import { emptyCoverageRules, mergeCoverageRules } from './coverage.js';
import type { PolicySet } from './types.js';

export function emptyPolicySet(): PolicySet {
  return { policies: [], rules: [], limits: [], exceptions: [], imageRules: [], coverage: emptyCoverageRules() };
}

/** Appends `set` to `out` (its rules are tried after those already there). */
export function appendPolicySet(out: PolicySet, set: PolicySet): void {
  out.policies.push(...set.policies);
  out.rules.push(...set.rules);
  out.limits.push(...set.limits);
  out.exceptions.push(...set.exceptions);
  out.imageRules.push(...set.imageRules);
  mergeCoverageRules(out.coverage, set.coverage);
}

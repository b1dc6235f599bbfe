// Public API of the policy gate (used by `scan` and `policy`). See docs/policy.md.
export { loadPolicyFile, validatePolicyFile } from './load.js';
export { loadPolicies, DEFAULT_POLICY_SOURCE } from './load-policies.js';
export { emptyPolicySet } from './policy-set.js';
export { decide, type DecideOptions } from './decide.js';
export { loadVex, parseVex } from './vex.js';
export { loadIgnoreFile, parseIgnoreFile } from './ignore-file.js';
export { loadBaseline } from './baseline.js';
export {
  findingContext,
  imageContext,
  commonLayerPrefix,
  type ContextOptions,
  type FindingContext,
  type ImageContext,
} from './context.js';
export { shippedPolicy, packageRoot } from './package-root.js';
export { formatIssue } from './types.js';
export type {
  PolicySet,
  PolicyIssue,
  CompiledRule,
  CompiledLimit,
  CompiledImageRule,
  PolicyException,
  VexDocument,
  VexStatement,
  IgnoreEntry,
} from './types.js';

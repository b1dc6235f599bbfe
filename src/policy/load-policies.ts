// The policies a gate runs, in the order given: shipped ones (`builtin:NAME`; `'default'` is
// builtin:default) and files. A shipped policy comes precompiled (builtin-policies.ts) when its
// file holds the text checked at build time; everything else goes through the parser (load.ts:
// YAML, schema and logic checks), which is loaded only then.
import { precompiledPolicySet } from './builtin-policies.js';
import { readBoundedText } from './json-file.js';
import { MAX_POLICY_FILE_BYTES } from './limits.js';
import { shippedPolicy } from './package-root.js';
import { appendPolicySet, emptyPolicySet } from './policy-set.js';
import type { PolicySet } from './types.js';

export const DEFAULT_POLICY_SOURCE = 'builtin:default';

const parser = () => import('./load.js');

/** A policy file's text: bounded, one line naming the file on any problem (json-file.ts). */
export function readPolicyText(path: string): Promise<string> {
  return readBoundedText(path, 'policy', MAX_POLICY_FILE_BYTES);
}

/** A shipped policy: read as any policy file is (same bounds, same errors), precompiled when unchanged. */
async function loadShippedPolicy(source: string): Promise<PolicySet> {
  const name = source.slice('builtin:'.length);
  const file = shippedPolicy(name);
  const text = await readPolicyText(file);
  return precompiledPolicySet(name, text, file, source) ?? (await parser()).policyFromText(text, file, source);
}

/**
 * Policies in the order given (their rules are tried in that order). `'default'` is the shipped
 * policies/default.yaml; `'none'` is an empty set (every finding warns by default). In a list,
 * `builtin:NAME` names a shipped policy (builtin:default, builtin:fixable, builtin:strict).
 */
export async function loadPolicies(paths: string[] | 'default' | 'none'): Promise<PolicySet> {
  if (paths === 'none') return emptyPolicySet();
  const list = paths === 'default' ? [DEFAULT_POLICY_SOURCE] : paths;
  const out = emptyPolicySet();
  for (const p of list) appendPolicySet(out, p.startsWith('builtin:') ? await loadShippedPolicy(p) : await (await parser()).loadPolicyFile(p));
  return out;
}

// The shipped policies (policies/*.yaml), parsed and checked when the project is built
// (scripts/gen-builtin-policies.ts writes builtin-policies.generated.ts), so a gated scan with
// `builtin:NAME` (the default gate) loads neither the YAML parser nor the schema validator. Used
// only when the file read at run time is exactly the text that was checked: a shipped file edited
// after the build goes through the parser like any other (load.ts).
import { BUILTIN_POLICIES } from './builtin-policies.generated.js';
import { compileLogic } from './logic/compile.js';
import type { PolicySet } from './types.js';

/** Stands for the policy file's absolute path in the generated sets (known only at run time). */
export const SHIPPED_FILE_MARK = '\u0000shipped-policy-file\u0000';

/** One shipped policy as generated: its text and its PolicySet as JSON (evaluators left out). */
export interface PrecompiledPolicy {
  text: string;
  set: string;
}

/**
 * The PolicySet of shipped policy `name` read from `file` as `text`, when that text is the one
 * checked at build time; undefined otherwise (the caller parses it).
 */
export function precompiledPolicySet(name: string, text: string, file: string, source: string): PolicySet | undefined {
  const pre: PrecompiledPolicy | undefined = Object.hasOwn(BUILTIN_POLICIES, name) ? BUILTIN_POLICIES[name] : undefined;
  if (!pre || pre.text !== text || source !== `builtin:${name}`) return undefined;
  const set = JSON.parse(pre.set, (_key, value: unknown) => (value === SHIPPED_FILE_MARK ? file : value)) as PolicySet;
  for (const item of [...set.rules, ...set.limits, ...set.imageRules]) item.test = compileLogic(item.logic);
  return set;
}

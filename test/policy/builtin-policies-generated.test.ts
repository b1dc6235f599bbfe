// The shipped policies ship parsed and checked ahead of time (scripts/gen-builtin-policies.ts).
// This checks the committed module is what the generator makes from today's policies/ and parser,
// that a precompiled set is the parser's set for the same file (same rules, positions, evaluators,
// decisions), and that a shipped file whose text differs is parsed, never taken from the build.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinPoliciesModule, GENERATED_PATH } from '../../scripts/gen-builtin-policies.js';
import { precompiledPolicySet } from '../../src/policy/builtin-policies.js';
import { decide } from '../../src/policy/decide.js';
import { loadPolicyFile, policyFromText } from '../../src/policy/load.js';
import { loadPolicies } from '../../src/policy/load-policies.js';
import { shippedPolicy } from '../../src/policy/package-root.js';
import type { PolicySet } from '../../src/policy/types.js';
import { ansiRegex, apt, expat, finding, nghttp2, openssl, pkg, report } from './builders.js';
import { PROJECT_ROOT } from '../helpers/shared.js';

const NAMES = readdirSync(join(PROJECT_ROOT, 'policies'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length));
const NOW = new Date('2025-06-01T00:00:00Z');
// Findings each shipped policy decides differently: severities, KEV, fixed or not, a dev dependency.
const findings = [
  expat, nghttp2, openssl, apt, ansiRegex,
  finding('CVE-2024-0001', 'HIGH', pkg('npm', 'lodash', '4.17.20'), { fixedVersions: ['4.17.21'] }),
  finding('CVE-2024-0002', 'UNKNOWN', pkg('deb', 'zlib1g', '1:1.2.13.dfsg-1')),
  finding('CVE-2023-44487', 'CRITICAL', pkg('npm', 'ansi-regex', '3.0.0'), { fixedVersions: ['3.0.1'] }),
];

/** A set without its evaluators (functions), for comparing what was parsed. */
const data = (set: PolicySet) => JSON.parse(JSON.stringify(set)) as unknown;

describe('the precompiled shipped policies', () => {
  it('are in sync with policies/*.yaml and the parser (rerun scripts/gen-builtin-policies.ts)', () => {
    expect(readFileSync(GENERATED_PATH, 'utf8') === builtinPoliciesModule()).toBe(true);
    expect(NAMES).toContain('default');
  });

  it.each(NAMES)('builtin:%s loads as the parser reads the same file: same set, same decisions', async (name) => {
    const file = shippedPolicy(name);
    const text = readFileSync(file, 'utf8');
    const pre = precompiledPolicySet(name, text, file, `builtin:${name}`);
    expect(pre).toBeDefined();
    const parsed = await loadPolicyFile(file, `builtin:${name}`);
    expect(data(pre!)).toEqual(data(parsed));
    expect(data(await loadPolicies([`builtin:${name}`]))).toEqual(data(parsed));
    const items = (s: PolicySet) => [...s.rules, ...s.limits, ...s.imageRules];
    expect(items(pre!).every((i) => typeof i.test === 'function')).toBe(true);
    const a = decide(report(findings), pre!, { now: NOW });
    const b = decide(report(findings), parsed, { now: NOW });
    expect(a).toEqual(b);
  });

  it('the default gate blocks what the parsed default blocks (the cases above are real)', async () => {
    const d = decide(report(findings), await loadPolicies('default'), { now: NOW });
    expect(d.blocked).toBe(true);
    expect(d.counts.block).toBeGreaterThan(0);
    expect(d.counts.warn).toBeGreaterThan(0);
  });

  it('a shipped file whose text is not the checked one is not taken from the build', () => {
    const file = shippedPolicy('default');
    const text = readFileSync(file, 'utf8');
    const edited = text.replace('severity: [CRITICAL, HIGH]', 'severity: [CRITICAL]');
    expect(edited).not.toBe(text);
    expect(precompiledPolicySet('default', edited, file, 'builtin:default')).toBeUndefined();
    // The parser then decides: HIGH no longer blocks under the edited text.
    const d = decide(report([{ ...nghttp2, kev: undefined }]), policyFromText(edited, file, 'builtin:default'), { now: NOW });
    expect(d.blocked).toBe(false);
    expect(precompiledPolicySet('default', text, file, 'policies/default.yaml')).toBeUndefined();
    expect(precompiledPolicySet('no-such-policy', text, file, 'builtin:no-such-policy')).toBeUndefined();
    expect(precompiledPolicySet('constructor', text, file, 'builtin:constructor')).toBeUndefined();
  });
});

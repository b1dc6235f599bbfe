// The policy schema ships compiled ahead of time (scripts/gen-policy-validator.ts). This checks the
// committed module is what the generator makes from today's schema and ajv, and that it judges
// documents exactly as ajv compiling the schema at run time does.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { GENERATED_PATH, policyValidatorModule } from '../../scripts/gen-policy-validator.js';
import { makeValidator } from '../../src/policy/ajv-compile.js';
import { validate } from '../../src/policy/policy-validator.generated.js';
import { POLICY_SCHEMA } from '../../src/policy/schema.js';
import { PROJECT_ROOT } from '../helpers/shared.js';

const generated = validate as unknown as ValidateFunction;
const runtime = makeValidator(POLICY_SCHEMA);
const shipped = readdirSync(join(PROJECT_ROOT, 'policies'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => [f, yaml.load(readFileSync(join(PROJECT_ROOT, 'policies', f), 'utf8'))] as const);
const base = shipped.find(([f]) => f === 'default.yaml')![1] as { spec: Record<string, unknown> };
const broken: [string, unknown][] = [
  ['an unknown top-level key', { ...base, extra: 1 }],
  ['a wrong apiVersion and no kind', { apiVersion: 'v0', metadata: { name: 'x' }, spec: {} }],
  ['a rule with a bad id, bad action and empty when', { ...base, spec: { rules: [{ id: '-x', action: 'stop', when: {} }] } }],
  ['an exception expiring on 2023-02-30', { ...base, spec: { exceptions: [{ id: 'e', package: 'p', reason: 'r', expires: '2023-02-30' }] } }],
  ['an exception with a date that is not YYYY-MM-DD', { ...base, spec: { exceptions: [{ id: 'e', package: 'p', reason: 'r', expires: 'soon' }] } }],
  ['a limit with a negative max', { ...base, spec: { limits: [{ id: 'l', max: -1, when: true }] } }],
  ['a document that is a string', 'policy'],
];

describe('the precompiled policy validator', () => {
  it('is in sync with src/policy/schema.ts and the installed ajv (rerun scripts/gen-policy-validator.ts)', () => {
    expect(readFileSync(GENERATED_PATH, 'utf8') === policyValidatorModule()).toBe(true);
  });

  it.each([...shipped, ...broken])('judges %s exactly as ajv at run time does', (_name, doc) => {
    const ok = generated(doc);
    expect(ok).toBe(runtime(doc));
    expect(generated.errors ?? null).toEqual(runtime.errors ?? null);
  });

  it('the broken documents are refused and the shipped policies accepted (the cases above are real)', () => {
    for (const [, doc] of shipped) expect(generated(doc)).toBe(true);
    for (const [, doc] of broken) expect(generated(doc)).toBe(false);
    generated(broken[3]![1]);
    expect(generated.errors?.map((e) => e.keyword)).toContain('format');
  });
});

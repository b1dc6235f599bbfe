// Runs skip checking our schemas against the JSON Schema meta-schema (see makeValidator); this is
// where that check happens, for every schema the policy engine compiles.
import { describe, expect, it } from 'vitest';
import { makeValidator } from '../../src/policy/ajv-compile.js';
import { POLICY_TEST_SCHEMA } from '../../src/policy/policy-test-schema.js';
import { POLICY_SCHEMA } from '../../src/policy/schema.js';

describe('policy schemas', () => {
  it.each([
    ['policy', POLICY_SCHEMA],
    ['policy test', POLICY_TEST_SCHEMA],
  ])('the %s schema is valid JSON Schema', (_name, schema) => {
    expect(() => makeValidator(schema, { validateSchema: true })).not.toThrow();
  });

  it('the meta-schema check is real: a malformed schema is refused', () => {
    expect(() => makeValidator({ type: 'object', required: 'id' }, { validateSchema: true })).toThrow(/schema is invalid/);
  });
});

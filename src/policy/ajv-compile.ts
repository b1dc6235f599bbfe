// Compiles our JSON schemas with ajv at run time (policy test files, a rarely used command). The
// policy schema, which every gated scan checks, is compiled ahead of time instead
// (policy-validator.generated.ts, scripts/gen-policy-validator.ts) with these same options.
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import { isIsoDate } from './ajv-issues.js';

export const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true } as const satisfies Options;

/** Our formats: `date` is a real calendar date, YYYY-MM-DD. */
export function addFormats(ajv: Ajv): Ajv {
  return ajv.addFormat('date', { type: 'string', validate: isIsoDate });
}

/**
 * Compiles one of our schemas. Checking the schema itself against the JSON Schema meta-schema
 * (`validateSchema`) costs more than compiling it, on every run; our schemas are constants, so the
 * tests do that check once (test/policy/schemas-valid.test.ts) and runs skip it.
 */
export function makeValidator(schema: object, opts: { validateSchema?: boolean } = {}): ValidateFunction {
  return addFormats(new Ajv({ ...AJV_OPTIONS, validateSchema: opts.validateSchema ?? false })).compile(schema);
}

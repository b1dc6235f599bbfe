// The official schemas under ../shared/schemas, compiled once each, as validators returning ajv's
// errors ([] = valid). Only use under describe.skipIf(!HAVE_SHARED).
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import AjvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { shared } from './shared.js';

// CommonJS default exports seen through NodeNext ESM interop.
type Draft04Ctor = new (opts: { strict: boolean; allErrors: boolean }) => Ajv;
const AjvDraft04 = ((AjvDraft04Module as unknown as { default?: Draft04Ctor }).default ?? AjvDraft04Module) as unknown as Draft04Ctor;
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule);

type Validator = (doc: unknown) => ErrorObject[];

function load(rel: string): Record<string, unknown> {
  return JSON.parse(readFileSync(shared('schemas', rel), 'utf8')) as Record<string, unknown>;
}

interface AjvLike {
  addFormat(name: string, format: true): unknown;
}

/** ajv-formats lacks these; the schemas use them for URLs and emails. */
function withFormats<T extends AjvLike>(ajv: T): T {
  (addFormats as unknown as (a: T) => void)(ajv);
  for (const f of ['iri', 'iri-reference', 'idn-email']) ajv.addFormat(f, true);
  return ajv;
}

function lazy(build: () => ValidateFunction): Validator {
  let fn: ValidateFunction | undefined;
  return (doc) => {
    fn ??= build();
    return fn(doc) ? [] : [...(fn.errors ?? [])];
  };
}

/** SARIF 2.1.0 errata01 (draft-04). */
export const validateSarif: Validator = lazy(() => {
  const ajv = withFormats(new AjvDraft04({ strict: false, allErrors: true }));
  return ajv.compile(load('sarif/sarif-schema-2.1.0.json'));
});

/** CycloneDX 1.6 (draft-07) with its spdx and jsf companions. */
export const validateCycloneDx: Validator = lazy(() => {
  const ajv = withFormats(new Ajv({ strict: false, allErrors: true }));
  ajv.addSchema(load('cyclonedx/spdx.schema.json'));
  ajv.addSchema(load('cyclonedx/jsf-0.82.schema.json'));
  return ajv.compile(load('cyclonedx/bom-1.6.schema.json'));
});

/** SPDX 2.3 (draft-07); its top level forbids extra keys such as `$schema`. */
export const validateSpdx: Validator = lazy(() => {
  const ajv = withFormats(new Ajv({ strict: false, allErrors: true }));
  return ajv.compile(load('spdx/spdx-schema-2.3.json'));
});

/** OpenVEX 0.2.0 (draft 2020-12). */
export const validateOpenVex: Validator = lazy(() => {
  const ajv = withFormats(new Ajv2020({ strict: false, allErrors: true }));
  return ajv.compile(load('openvex/openvex_json_schema.json'));
});

/** Short text of ajv errors for assertion messages. */
export function formatErrors(errors: ErrorObject[]): string {
  return errors.slice(0, 20).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');
}

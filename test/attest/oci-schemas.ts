// The OCI image-spec v1.1.1 JSON Schemas from ../shared/schemas/oci (draft-04), for the artifact
// manifest and the referrers index. The files reference each other by file name
// (`content-descriptor.json`, `defs-descriptor.json#/…`); their `id`s do not match those names,
// so the ids are dropped and each file is registered under its file name.
import { readFileSync } from 'node:fs';
import type { Ajv, ValidateFunction } from 'ajv';
import AjvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { shared } from '../helpers/shared.js';

type Draft04Ctor = new (opts: { strict: boolean; allErrors: boolean }) => Ajv;
const AjvDraft04 = ((AjvDraft04Module as unknown as { default?: Draft04Ctor }).default ?? AjvDraft04Module) as unknown as Draft04Ctor;

function withoutIds(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutIds);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'id' && k !== '$schema').map(([k, x]) => [k, withoutIds(x)]));
}

const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (a: Ajv) => void;

let validators: { manifest: ValidateFunction; index: ValidateFunction } | undefined;

export function ociErrors(which: 'manifest' | 'index', doc: unknown): string[] {
  if (!validators) {
    const ajv = new AjvDraft04({ strict: false, allErrors: true });
    addFormats(ajv);
    for (const f of ['defs.json', 'defs-descriptor.json', 'content-descriptor.json', 'image-manifest-schema.json', 'image-index-schema.json']) {
      ajv.addSchema(withoutIds(JSON.parse(readFileSync(shared('schemas', 'oci', f), 'utf8'))) as object, f);
    }
    validators = { manifest: ajv.getSchema('image-manifest-schema.json')!, index: ajv.getSchema('image-index-schema.json')! };
  }
  const fn = validators[which];
  return fn(doc) ? [] : (fn.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

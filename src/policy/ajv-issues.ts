// Runs an ajv schema over located YAML and turns its errors into `file:line:column: message`.
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { PolicyIssue } from './types.js';
import { escapePointer, type LocatedYaml } from './yaml-positions.js';

/** A real calendar date, YYYY-MM-DD. */
export function isIsoDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

function describe(e: ErrorObject): { pointer: string; atKey: boolean; message: string } {
  const p = e.params as Record<string, unknown>;
  const at = e.instancePath;
  switch (e.keyword) {
    case 'additionalProperties':
      return { pointer: `${at}/${escapePointer(String(p.additionalProperty))}`, atKey: true, message: `unknown key "${String(p.additionalProperty)}"` };
    case 'required':
      return { pointer: at, atKey: false, message: `missing required key "${String(p.missingProperty)}"` };
    case 'enum':
      return { pointer: at, atKey: false, message: `must be one of ${(p.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { pointer: at, atKey: false, message: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'format':
      return { pointer: at, atKey: false, message: p.format === 'date' ? 'must be a date (YYYY-MM-DD)' : `must be a ${String(p.format)}` };
    case 'type':
      return { pointer: at, atKey: false, message: `must be ${Array.isArray(p.type) ? p.type.join(' or ') : String(p.type)}` };
    case 'pattern':
      return { pointer: at, atKey: false, message: `does not match ${String(p.pattern)}` };
    default:
      return { pointer: at, atKey: false, message: e.message ?? e.keyword };
  }
}

export function schemaIssues(validate: ValidateFunction, doc: LocatedYaml, file: string, label: (pointer: string) => string): PolicyIssue[] {
  if (validate(doc.data)) return [];
  const seen = new Set<string>();
  const out: PolicyIssue[] = [];
  for (const e of validate.errors ?? []) {
    const d = describe(e);
    const pos = d.atKey ? doc.keyAt(d.pointer) : doc.valueAt(d.pointer);
    const message = `${label(d.atKey ? d.pointer : e.instancePath)}: ${d.message}`;
    const key = `${pos.line}:${pos.column}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ file, line: pos.line, column: pos.column, message });
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** `/spec/rules/0/when` -> `spec.rules[0].when` (what the user sees in messages). */
export function pointerLabel(pointer: string): string {
  if (pointer === '') return '(document)';
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

// Checks the OSV fields portcullis relies on (not the whole OSV schema): an invalid record is
// skipped with a warning naming the field, so one bad advisory never poisons an import.
import type { OsvRecord } from '../model/osv.js';

export interface RecordProblem {
  field: string;
  message: string;
}

const MAX_ID = 256;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTimestamp(v: unknown): boolean {
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v);
}

// Optional fields may be null: Go's encoder writes `"aliases": null` for an empty slice.
function stringArray(v: unknown, field: string): RecordProblem | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) return { field, message: 'must be an array of strings' };
  const i = v.findIndex((s) => typeof s !== 'string');
  return i < 0 ? undefined : { field: `${field}[${i}]`, message: 'must be a string' };
}

function checkSeverity(v: unknown, field: string): RecordProblem | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) return { field, message: 'must be an array' };
  for (const [i, s] of v.entries()) {
    if (!isObject(s) || typeof s.type !== 'string' || typeof s.score !== 'string') {
      return { field: `${field}[${i}]`, message: 'must be {type: string, score: string}' };
    }
  }
  return undefined;
}

function checkAffected(a: unknown, field: string): RecordProblem | undefined {
  if (!isObject(a)) return { field, message: 'must be an object' };
  if (a.package !== undefined && a.package !== null) {
    const p = a.package;
    if (!isObject(p)) return { field: `${field}.package`, message: 'must be an object' };
    if (typeof p.ecosystem !== 'string' || p.ecosystem === '') return { field: `${field}.package.ecosystem`, message: 'must be a non-empty string' };
    if (typeof p.name !== 'string' || p.name === '') return { field: `${field}.package.name`, message: 'must be a non-empty string' };
    if (p.purl !== undefined && typeof p.purl !== 'string') return { field: `${field}.package.purl`, message: 'must be a string' };
  }
  const sev = checkSeverity(a.severity, `${field}.severity`);
  if (sev) return sev;
  const versions = stringArray(a.versions, `${field}.versions`);
  if (versions) return versions;
  if (a.ranges !== undefined && a.ranges !== null) {
    if (!Array.isArray(a.ranges)) return { field: `${field}.ranges`, message: 'must be an array' };
    for (const [i, r] of a.ranges.entries()) {
      const rf = `${field}.ranges[${i}]`;
      if (!isObject(r)) return { field: rf, message: 'must be an object' };
      if (typeof r.type !== 'string') return { field: `${rf}.type`, message: 'must be a string' };
      if (!Array.isArray(r.events) || r.events.length === 0) return { field: `${rf}.events`, message: 'must be a non-empty array' };
      for (const [j, e] of r.events.entries()) {
        if (!isObject(e)) return { field: `${rf}.events[${j}]`, message: 'must be an object' };
        const keys = Object.keys(e);
        if (keys.length === 0) return { field: `${rf}.events[${j}]`, message: 'is empty' };
        for (const k of keys) {
          if (!['introduced', 'fixed', 'last_affected', 'limit'].includes(k)) return { field: `${rf}.events[${j}].${k}`, message: 'is not an OSV event' };
          if (typeof e[k] !== 'string') return { field: `${rf}.events[${j}].${k}`, message: 'must be a string' };
        }
      }
    }
  }
  return undefined;
}

/** undefined when the record is usable; otherwise the first problem found. */
/** Real OSV records nest about 8 levels; far deeper ones would overflow the stack when stored (JSON.stringify). */
export const MAX_RECORD_DEPTH = 64;

/** True when `v` nests objects/arrays deeper than `limit` (iterative: safe on any depth). */
export function nestedDeeperThan(v: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (d > limit) return true;
    for (const child of Array.isArray(x) ? x : Object.values(x)) if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
  }
  return false;
}

export function checkOsvRecord(v: unknown): RecordProblem | undefined {
  if (!isObject(v)) return { field: '(record)', message: 'must be a JSON object' };
  if (nestedDeeperThan(v, MAX_RECORD_DEPTH)) return { field: '(record)', message: `nests deeper than ${MAX_RECORD_DEPTH} levels` };
  if (typeof v.id !== 'string' || v.id === '' || v.id.length > MAX_ID || /\s/.test(v.id)) return { field: 'id', message: 'must be a non-empty string without spaces' };
  if (!isTimestamp(v.modified)) return { field: 'modified', message: 'must be an RFC 3339 timestamp' };
  for (const f of ['published', 'withdrawn'] as const) {
    if (v[f] !== undefined && v[f] !== null && !isTimestamp(v[f])) return { field: f, message: 'must be an RFC 3339 timestamp' };
  }
  for (const f of ['aliases', 'related', 'upstream'] as const) {
    const p = stringArray(v[f], f);
    if (p) return p;
  }
  for (const f of ['summary', 'details'] as const) {
    if (v[f] !== undefined && v[f] !== null && typeof v[f] !== 'string') return { field: f, message: 'must be a string' };
  }
  const sev = checkSeverity(v.severity, 'severity');
  if (sev) return sev;
  if (v.affected !== undefined && v.affected !== null) {
    if (!Array.isArray(v.affected)) return { field: 'affected', message: 'must be an array' };
    for (const [i, a] of v.affected.entries()) {
      const p = checkAffected(a, `affected[${i}]`);
      if (p) return p;
    }
  }
  if (v.references !== undefined && v.references !== null && !Array.isArray(v.references)) return { field: 'references', message: 'must be an array' };
  return undefined;
}

/** Looks like an OSV record (so a failure is "invalid record", not "some other JSON file"). */
export function looksLikeOsvRecord(v: unknown): boolean {
  return isObject(v) && typeof v.id === 'string' && ('modified' in v || 'affected' in v || 'schema_version' in v);
}

/** Drops null-valued optional fields (record and affected entries) so readers see them as absent. */
export function stripNulls(record: OsvRecord): OsvRecord {
  const r = record as unknown as Record<string, unknown>;
  for (const k of Object.keys(r)) if (r[k] === null) delete r[k];
  for (const a of record.affected ?? []) {
    const x = a as unknown as Record<string, unknown>;
    for (const k of Object.keys(x)) if (x[k] === null) delete x[k];
  }
  return record;
}

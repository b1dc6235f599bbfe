// The readable form of `when`: `{severity: [CRITICAL, HIGH], fixAvailable: true}` — several keys
// are ANDed — compiled to plain json-logic so there is one evaluator and one explanation format.
import { SEVERITIES } from '../model/finding.js';
import { shapeAt, type Shape } from './context-shape.js';
import { isAllowedOperator } from './logic/operators.js';
import type { LogicIssue } from './logic/validate.js';
import { isRecord } from './json-file.js';
import { escapePointer } from './yaml-positions.js';

/** Short names for the fields rules test most. */
const ALIASES: Record<string, string> = { epss: 'epss.score', cvss: 'cvss.score', cve: 'ids', id: 'ids' };

const COMPARATORS: Record<string, string> = {
  gte: '>=', gt: '>', lte: '<=', lt: '<', eq: '===', ne: '!==', in: 'in', notIn: 'in',
  startsWith: 'startsWith', endsWith: 'endsWith', contains: 'contains', matches: 'matches',
};

const ENUMS: Record<string, readonly string[]> = {
  severity: SEVERITIES,
  status: ['fixed', 'affected', 'will_not_fix', 'fix_deferred', 'end_of_life'],
};

/** True when `when` is written as json-logic (one key, and it is an operator) rather than shorthand. */
export function isJsonLogic(when: unknown): boolean {
  if (when === null || typeof when !== 'object' || Array.isArray(when)) return true;
  const keys = Object.keys(when);
  // A json-logic operator we do not allow (`log`) goes to the validator, which says so.
  return keys.length === 1 && (isAllowedOperator(keys[0]!) || JSON_LOGIC_ONLY.has(keys[0]!));
}

/** json-logic-js operators outside the whitelist (never fields). */
const JSON_LOGIC_ONLY = new Set(['log']);

export function compileShorthand(when: Record<string, unknown>, shape: Shape): { logic: unknown; issues: LogicIssue[] } {
  const issues: LogicIssue[] = [];
  const parts: unknown[] = [];
  for (const [key, value] of Object.entries(when)) {
    const keyPointer = `/${escapePointer(key)}`;
    const path = ALIASES[key] ?? key;
    const at = shapeAt(shape, path);
    if (typeof at === 'string' || at.kind === 'object') {
      const why = typeof at === 'string' ? at : `"${key}" is an object; name one of its fields (${key}.…)`;
      issues.push({ pointer: keyPointer, atKey: true, message: `shorthand: ${why}, or an operator` });
      continue;
    }
    const field = { var: path };
    const isList = at.kind === 'array';
    const enumValues = ENUMS[path];
    const checkEnum = (v: unknown, pointer: string) => {
      if (enumValues && !enumValues.includes(v as string)) issues.push({ pointer, atKey: false, message: `${path} is one of ${enumValues.join(', ')}; got ${JSON.stringify(v)}` });
    };
    // A list field (aliases, history…) matches when any element does.
    const test = (op: string, arg: unknown): unknown =>
      isList ? { some: [field, { [op]: [{ var: '' }, arg] }] } : { [op]: [field, arg] };

    if (Array.isArray(value)) {
      value.forEach((v, i) => checkEnum(v, `${keyPointer}/${i}`));
      parts.push(test('in', value));
    } else if (isRecord(value)) {
      for (const [cmpKey, arg] of Object.entries(value)) {
        const op = COMPARATORS[cmpKey];
        const cmpPointer = `${keyPointer}/${escapePointer(cmpKey)}`;
        if (!op) {
          issues.push({ pointer: cmpPointer, atKey: true, message: `shorthand: unknown comparison "${cmpKey}" (known: ${Object.keys(COMPARATORS).join(', ')})` });
          continue;
        }
        if ((cmpKey === 'in' || cmpKey === 'notIn') && !Array.isArray(arg)) {
          issues.push({ pointer: cmpPointer, atKey: false, message: `shorthand: "${cmpKey}" takes a list` });
          continue;
        }
        if (cmpKey === 'matches' && typeof arg === 'string') {
          try {
            new RegExp(arg);
          } catch (err) {
            issues.push({ pointer: cmpPointer, atKey: false, message: `invalid regular expression: ${(err as Error).message}` });
            continue;
          }
        }
        if (Array.isArray(arg)) arg.forEach((v, i) => checkEnum(v, `${cmpPointer}/${i}`));
        else if (cmpKey === 'eq' || cmpKey === 'ne') checkEnum(arg, cmpPointer);
        const t = test(op, arg);
        parts.push(cmpKey === 'notIn' ? { '!': [t] } : t);
      }
    } else {
      checkEnum(value, keyPointer);
      parts.push(isList ? { in: [value, field] } : { '===': [field, value] });
    }
  }
  return { logic: parts.length === 1 ? parts[0] : { and: parts }, issues };
}

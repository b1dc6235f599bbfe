// The json-logic operators a policy may use: the standard ones that are pure, plus our helpers.
// `log` (side effect) and dotted method names are left out on purpose.
import { looksLikeSecretName, looksLikeSecretValue } from './secrets.js';

export const STANDARD_OPERATORS: ReadonlySet<string> = new Set([
  'var', 'missing', 'missing_some', 'if', '?:', '==', '===', '!=', '!==', '!', '!!', 'or', 'and',
  '>', '>=', '<', '<=', 'max', 'min', '+', '-', '*', '/', '%', 'map', 'filter', 'reduce', 'all',
  'none', 'some', 'merge', 'in', 'cat', 'substr',
]);

const MAX_PATTERN = 512;
const patternCache = new Map<string, RegExp | null>();

/** A regular expression from a policy (bounded length; invalid patterns never match). */
export function policyRegExp(pattern: string): RegExp | null {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    try {
      re = pattern.length > MAX_PATTERN ? null : new RegExp(pattern);
    } catch {
      re = null;
    }
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** Helpers policies may call like any operator: `{"startsWith": [{"var": "package.purl"}, "pkg:npm/"]}`. */
export const CUSTOM_OPERATORS: Readonly<Record<string, (...args: unknown[]) => unknown>> = {
  startsWith: (s, prefix) => {
    const a = str(s);
    const b = str(prefix);
    return a !== undefined && b !== undefined && a.startsWith(b);
  },
  endsWith: (s, suffix) => {
    const a = str(s);
    const b = str(suffix);
    return a !== undefined && b !== undefined && a.endsWith(b);
  },
  /** String contains a substring, or array contains an element. */
  contains: (haystack, needle) => {
    if (Array.isArray(haystack)) return haystack.includes(needle);
    const a = str(haystack);
    const b = str(needle);
    return a !== undefined && b !== undefined && a.includes(b);
  },
  /** Regular-expression test (JavaScript syntax). */
  matches: (s, pattern) => {
    const a = str(s);
    const p = str(pattern);
    if (a === undefined || p === undefined) return false;
    return policyRegExp(p)?.test(a) ?? false;
  },
  lower: (s) => str(s)?.toLowerCase() ?? null,
  /** Own property of an object by exact key (label keys contain dots, which `var` splits on). */
  get: (o, key) => {
    const k = str(key);
    if (o === null || typeof o !== 'object' || Array.isArray(o) || k === undefined || !Object.hasOwn(o, k)) return null;
    return (o as Record<string, unknown>)[k] ?? null;
  },
  secretName: (name) => looksLikeSecretName(name),
  secretValue: (value) => looksLikeSecretValue(value),
};

export function isAllowedOperator(op: string): boolean {
  return STANDARD_OPERATORS.has(op) || Object.hasOwn(CUSTOM_OPERATORS, op);
}

export function allowedOperatorList(): string {
  return [...STANDARD_OPERATORS, ...Object.keys(CUSTOM_OPERATORS)].join(', ');
}

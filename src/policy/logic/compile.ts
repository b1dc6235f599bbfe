// Compiles a validated json-logic expression into a closure once, so a decision over 10,000
// findings x 50 rules does not re-interpret the rule tree each time. Semantics follow
// json-logic-js 2.x operator by operator (test/policy/logic.test.ts checks them against it).
import { CUSTOM_OPERATORS } from './operators.js';

export type Evaluator = (data: unknown) => unknown;

export function truthy(v: unknown): boolean {
  return Array.isArray(v) ? v.length > 0 : Boolean(v);
}

function isLogic(node: unknown): node is Record<string, unknown> {
  return typeof node === 'object' && node !== null && !Array.isArray(node) && Object.keys(node).length === 1;
}

function lookup(data: unknown, path: string, notFound: unknown): unknown {
  if (path === '') return data;
  let cur: unknown = data;
  for (const seg of path.split('.')) {
    if (cur === null || cur === undefined) return notFound;
    cur = (cur as Record<string, unknown>)[seg];
    if (cur === undefined) return notFound;
  }
  return cur;
}

function pathGetter(path: string, notFound: unknown): Evaluator {
  if (path === '') return (d) => d;
  const segs = path.split('.');
  if (segs.length === 1) {
    const k = segs[0]!;
    return (d) => {
      if (d === null || d === undefined) return notFound;
      const v = (d as Record<string, unknown>)[k];
      return v === undefined ? notFound : v;
    };
  }
  if (segs.length === 2) {
    const [a, b] = segs as [string, string];
    return (d) => {
      if (d === null || d === undefined) return notFound;
      const x = (d as Record<string, unknown>)[a];
      if (x === null || x === undefined) return notFound;
      const v = (x as Record<string, unknown>)[b];
      return v === undefined ? notFound : v;
    };
  }
  return (d) => lookup(d, path, notFound);
}

const loose = {
  eq: (a: unknown, b: unknown) => a == b, // eslint-disable-line eqeqeq
  ne: (a: unknown, b: unknown) => a != b, // eslint-disable-line eqeqeq
};

type Num = number & unknown;
const cmp = {
  gt: (a: unknown, b: unknown) => (a as Num) > (b as Num),
  ge: (a: unknown, b: unknown) => (a as Num) >= (b as Num),
  lt: (a: unknown, b: unknown) => (a as Num) < (b as Num),
  le: (a: unknown, b: unknown) => (a as Num) <= (b as Num),
};

export function compileLogic(node: unknown): Evaluator {
  if (Array.isArray(node)) {
    const items = node.map(compileLogic);
    return (d) => items.map((f) => f(d));
  }
  if (!isLogic(node)) return () => node;
  const op = Object.keys(node)[0]!;
  const raw = node[op];
  const args = Array.isArray(raw) ? raw : [raw];

  switch (op) {
    case 'var': {
      const [path, dflt] = args;
      const notFound = dflt === undefined ? null : dflt;
      if (path === undefined || path === null || path === '') return (d) => d;
      if (typeof path === 'string' || typeof path === 'number') return pathGetter(String(path), notFound);
      const p = compileLogic(path);
      const nf = compileLogic(notFound);
      return (d) => {
        const key = p(d);
        return key === undefined || key === null || key === '' ? d : lookup(d, String(key), nf(d));
      };
    }
    case 'if':
    case '?:': {
      const parts = args.map(compileLogic);
      return (d) => {
        let i = 0;
        for (; i < parts.length - 1; i += 2) if (truthy(parts[i]!(d))) return parts[i + 1]!(d);
        return parts.length === i + 1 ? parts[i]!(d) : null;
      };
    }
    case 'and': {
      const parts = args.map(compileLogic);
      return (d) => {
        let cur: unknown;
        for (const p of parts) {
          cur = p(d);
          if (!truthy(cur)) return cur;
        }
        return cur;
      };
    }
    case 'or': {
      const parts = args.map(compileLogic);
      return (d) => {
        let cur: unknown;
        for (const p of parts) {
          cur = p(d);
          if (truthy(cur)) return cur;
        }
        return cur;
      };
    }
    case 'filter':
    case 'map':
    case 'all':
    case 'none':
    case 'some': {
      const src = compileLogic(args[0]);
      const fn = compileLogic(args[1]);
      return (d) => {
        const list = src(d);
        if (!Array.isArray(list)) return op === 'none' ? true : op === 'all' || op === 'some' ? false : [];
        if (op === 'filter') return list.filter((x) => truthy(fn(x)));
        if (op === 'map') return list.map((x) => fn(x));
        if (op === 'all') return list.length > 0 && list.every((x) => truthy(fn(x)));
        if (op === 'none') return !list.some((x) => truthy(fn(x)));
        return list.some((x) => truthy(fn(x)));
      };
    }
    case 'reduce': {
      const src = compileLogic(args[0]);
      const fn = compileLogic(args[1]);
      const init = args[2] !== undefined ? compileLogic(args[2]) : () => null;
      return (d) => {
        const list = src(d);
        const start = init(d);
        if (!Array.isArray(list)) return start;
        return list.reduce((accumulator: unknown, current: unknown) => fn({ current, accumulator }), start);
      };
    }
    case 'missing':
    case 'missing_some':
      return compileMissing(op, args);
    default:
      return compileEager(op, args.map(compileLogic));
  }
}

function compileMissing(op: 'missing' | 'missing_some', rawArgs: unknown[]): Evaluator {
  const args = rawArgs.map(compileLogic);
  const missing = (keys: unknown[], d: unknown) => {
    const out: unknown[] = [];
    for (const k of keys) {
      const v = k === undefined || k === null || k === '' ? d : lookup(d, String(k), null);
      if (v === null || v === '') out.push(k);
    }
    return out;
  };
  if (op === 'missing') {
    return (d) => {
      const vals = args.map((a) => a(d));
      return missing(Array.isArray(vals[0]) ? vals[0] : vals, d);
    };
  }
  return (d) => {
    const need = args[0]!(d) as number;
    const options = args[1]!(d) as unknown[];
    const absent = missing(Array.isArray(options) ? options : [options], d);
    return options.length - absent.length >= need ? [] : absent;
  };
}

function compileEager(op: string, a: Evaluator[]): Evaluator {
  const [x, y, z] = a;
  const pair = (f: (p: unknown, q: unknown) => unknown): Evaluator => (d) => f(x ? x(d) : undefined, y ? y(d) : undefined);
  switch (op) {
    case '==': return pair(loose.eq);
    case '===': return pair((p, q) => p === q);
    case '!=': return pair(loose.ne);
    case '!==': return pair((p, q) => p !== q);
    case '>': return pair(cmp.gt);
    case '>=': return pair(cmp.ge);
    case '<':
      return z ? (d) => { const q = y!(d); return cmp.lt(x!(d), q) && cmp.lt(q, z(d)); } : pair(cmp.lt);
    case '<=':
      return z ? (d) => { const q = y!(d); return cmp.le(x!(d), q) && cmp.le(q, z(d)); } : pair(cmp.le);
    case '!!': return (d) => truthy(x ? x(d) : undefined);
    case '!': return (d) => !truthy(x ? x(d) : undefined);
    case '%': return pair((p, q) => (p as number) % (q as number));
    case 'in':
      return pair((needle, hay) => {
        if (!hay || typeof (hay as { indexOf?: unknown }).indexOf === 'undefined') return false;
        return (hay as { indexOf(v: unknown): number }).indexOf(needle) !== -1;
      });
    case 'cat': return (d) => a.map((f) => f(d)).join('');
    case 'substr':
      return (d) => {
        const source = String(x!(d));
        const start = y!(d) as number;
        const end = z ? (z(d) as number) : undefined;
        if (end !== undefined && end < 0) {
          const temp = source.substr(start);
          return temp.substr(0, temp.length + end);
        }
        return source.substr(start, end);
      };
    case '+': return (d) => a.reduce<number>((acc, f) => parseFloat(acc as unknown as string) + parseFloat(f(d) as string), 0);
    case '*':
      return (d) => {
        const vals = a.map((f) => f(d));
        if (vals.length === 0) throw new TypeError('Reduce of empty array with no initial value');
        return vals.reduce((p, q) => parseFloat(p as string) * parseFloat(q as string));
      };
    case '-': return (d) => (y ? (x!(d) as number) - (y(d) as number) : -(x ? (x(d) as number) : NaN));
    case '/': return pair((p, q) => (p as number) / (q as number));
    case 'min': return (d) => Math.min(...(a.map((f) => f(d)) as number[]));
    case 'max': return (d) => Math.max(...(a.map((f) => f(d)) as number[]));
    case 'merge': return (d) => a.reduce<unknown[]>((acc, f) => acc.concat(f(d)), []);
    default: {
      const fn = CUSTOM_OPERATORS[op];
      if (!fn) throw new Error(`unvalidated operator ${op}`);
      return (d) => fn(...a.map((f) => f(d)));
    }
  }
}

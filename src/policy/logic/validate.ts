// Checks a json-logic expression before it is compiled: only whitelisted operators, one key per
// operation, and `var` paths that exist in the documented context.
import { shapeAt, type Shape } from '../context-shape.js';
import { escapePointer } from '../yaml-positions.js';
import { allowedOperatorList, isAllowedOperator } from './operators.js';

export interface LogicIssue {
  /** JSON pointer relative to the expression's root. */
  pointer: string;
  /** Report at the key (operator name) rather than its value. */
  atKey: boolean;
  message: string;
}

const SCOPED = new Set(['map', 'filter', 'all', 'none', 'some']);
const ARITY: Record<string, [number, number]> = {
  startsWith: [2, 2], endsWith: [2, 2], contains: [2, 2], matches: [2, 2], lower: [1, 1], get: [2, 2], secretName: [1, 1], secretValue: [1, 1],
  map: [2, 2], filter: [2, 2], all: [2, 2], none: [2, 2], some: [2, 2], reduce: [2, 3], var: [0, 2], substr: [2, 3],
};

export function validateLogic(logic: unknown, shape: Shape | null): LogicIssue[] {
  const issues: LogicIssue[] = [];
  const checkPath = (path: unknown, s: Shape | null, pointer: string) => {
    if (s === null || typeof path !== 'string') return;
    const at = shapeAt(s, path);
    if (typeof at === 'string') issues.push({ pointer, atKey: false, message: at });
  };
  const visit = (node: unknown, s: Shape | null, pointer: string): void => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => visit(n, s, `${pointer}/${i}`));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const keys = Object.keys(node);
    if (keys.length !== 1) {
      issues.push({ pointer, atKey: false, message: `a json-logic operation has exactly one key (an operator), found ${keys.length ? keys.join(', ') : 'none'}` });
      return;
    }
    const op = keys[0]!;
    const opPointer = `${pointer}/${escapePointer(op)}`;
    if (!isAllowedOperator(op)) {
      issues.push({ pointer: opPointer, atKey: true, message: `operator "${op}" is not allowed (allowed: ${allowedOperatorList()})` });
      return;
    }
    const raw = (node as Record<string, unknown>)[op];
    const args = Array.isArray(raw) ? raw : [raw];
    const argPointer = (i: number) => (Array.isArray(raw) ? `${opPointer}/${i}` : opPointer);
    const arity = ARITY[op];
    if (arity && (args.length < arity[0] || args.length > arity[1])) {
      const want = arity[0] === arity[1] ? `${arity[0]}` : `${arity[0]} to ${arity[1]}`;
      issues.push({ pointer: opPointer, atKey: true, message: `operator "${op}" takes ${want} argument(s), got ${args.length}` });
      return;
    }
    if (op === 'var') {
      if (typeof args[0] === 'string' || typeof args[0] === 'number') checkPath(String(args[0]), s, argPointer(0));
      else visit(args[0], s, argPointer(0));
      args.slice(1).forEach((a, i) => visit(a, s, argPointer(i + 1)));
      return;
    }
    if (op === 'missing' || op === 'missing_some') {
      const list = op === 'missing_some' ? args[1] : Array.isArray(args[0]) ? args[0] : args;
      if (Array.isArray(list)) list.forEach((k, i) => checkPath(k, s, op === 'missing_some' ? `${argPointer(1)}/${i}` : `${opPointer}/${i}`));
      return;
    }
    if (SCOPED.has(op) || op === 'reduce') {
      visit(args[0], s, argPointer(0));
      let inner: Shape | null = null;
      const src = args[0];
      if (op !== 'reduce' && s && src && typeof src === 'object' && !Array.isArray(src) && 'var' in src && typeof (src as { var: unknown }).var === 'string') {
        const at = shapeAt(s, (src as { var: string }).var);
        if (typeof at !== 'string' && at.kind === 'array') inner = at.items;
      }
      visit(args[1], inner, argPointer(1));
      args.slice(2).forEach((a, i) => visit(a, s, argPointer(i + 2)));
      return;
    }
    if (op === 'matches' && typeof args[1] === 'string') {
      try {
        new RegExp(args[1]);
      } catch (err) {
        issues.push({ pointer: argPointer(1), atKey: false, message: `invalid regular expression: ${(err as Error).message}` });
      }
    }
    args.forEach((a, i) => visit(a, s, argPointer(i)));
  };
  visit(logic, shape, '');
  return issues;
}


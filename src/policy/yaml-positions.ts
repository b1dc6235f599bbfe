// Loads YAML and remembers where every value (and every mapping key) starts, so a validation
// error found on the parsed data (a JSON pointer) can be reported as `file:line:column`. Bounded
// as src/util/yaml-bounded.ts describes: aliases may not expand the document beyond its size,
// and errors never quote the text.
import { MAX_POLICY_FILE_BYTES } from './limits.js';
import yaml from 'js-yaml';
import { PortcullisError } from '../errors.js';
import { checkYamlExpansion, expansionBudget, yamlProblem } from '../util/yaml-bounded.js';

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** A YAML syntax error, with where it is: `FILE:LINE:COL: invalid YAML: reason`. */
export class YamlSyntaxError extends PortcullisError {
  /** The message without its location. */
  readonly problem: string;

  constructor(
    readonly file: string,
    readonly position: Position,
    reason: string,
    cause: unknown,
  ) {
    const problem = `invalid YAML: ${reason}`;
    super(problem, { subject: `${file}:${position.line}:${position.column}`, cause });
    this.name = 'YamlSyntaxError';
    this.problem = problem;
  }
}

interface Frame {
  /** Offset of the node's first character. */
  start: number;
  kind?: string | null;
  children: Frame[];
}

export interface LocatedYaml {
  data: unknown;
  /** Position of the value at a JSON pointer (`/spec/rules/0/when`), or of its nearest located parent. */
  valueAt(pointer: string): Position;
  /** Position of the key of the member at `pointer` (falls back to the value's position). */
  keyAt(pointer: string): Position;
}

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Parses one YAML document (CORE schema: no timestamps, so dates stay strings). */
export function loadLocatedYaml(text: string, file: string): LocatedYaml {
  if (text.length > MAX_POLICY_FILE_BYTES) throw new PortcullisError(`file is larger than ${MAX_POLICY_FILE_BYTES} bytes`, { subject: `${file}:1:1` });
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const toPosition = (offset: number): Position => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - lineStarts[lo]! + 1 };
  };
  // js-yaml reports `open` before skipping the blanks and comments that precede a node.
  const skipBlanks = (offset: number): number => {
    let i = offset;
    while (i < text.length) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else if (c === '#') while (i < text.length && text[i] !== '\n') i++;
      else break;
    }
    return Math.min(i, Math.max(text.length - 1, 0));
  };

  const root: Frame = { start: 0, children: [] };
  const stack: Frame[] = [root];
  // Block sequence items come wrapped in an extra frame; the innermost frame of a collection
  // (the first to close) is the one whose children are its items / key-value pairs.
  const innermost = new Map<object, Frame>();
  let data: unknown;
  try {
    data = yaml.load(text, {
      filename: file,
      schema: yaml.CORE_SCHEMA,
      json: false,
      listener(event, state) {
        if (event === 'open') {
          const frame: Frame = { start: skipBlanks(state.position), children: [] };
          stack[stack.length - 1]!.children.push(frame);
          stack.push(frame);
        } else if (stack.length > 1) {
          const frame = stack.pop()!;
          frame.kind = state.kind;
          const result: unknown = state.result;
          if (result !== null && typeof result === 'object' && !innermost.has(result)) innermost.set(result, frame);
        }
      },
    });
    // Before anything walks the value (the position walk below, the schema check): an alias
    // bomb is refused here, at the cost of at most one pass over the text's worth of nodes.
    checkYamlExpansion([data], expansionBudget(text), text);
  } catch (err) {
    const p = yamlProblem(err);
    if (p) throw new YamlSyntaxError(file, { line: p.at.line, column: p.at.column }, p.at.problem, err);
    throw err;
  }

  const values = new Map<string, number>();
  const keys = new Map<string, number>();
  const lineOf = (offset: number) => toPosition(offset).line;
  const walk = (value: unknown, pointer: string): void => {
    if (value === null || typeof value !== 'object') return;
    const frame = innermost.get(value);
    if (!frame) return;
    if (!values.has(pointer)) values.set(pointer, frame.start);
    if (Array.isArray(value)) {
      if (frame.children.length !== value.length) return;
      value.forEach((v, i) => {
        values.set(`${pointer}/${i}`, frame.children[i]!.start);
        walk(v, `${pointer}/${i}`);
      });
      return;
    }
    const entries = Object.entries(value as Record<string, unknown>);
    // Children alternate key, value; anything else (merge keys, aliases) is left to the parent.
    if (frame.children.length !== entries.length * 2) return;
    entries.forEach(([k, v], i) => {
      const keyStart = frame.children[2 * i]!.start;
      const valueStart = frame.children[2 * i + 1]!.start;
      const childPointer = `${pointer}/${escapePointer(k)}`;
      keys.set(childPointer, keyStart);
      // `key:` with nothing after it: the blank-skipping ran on to the next line.
      values.set(childPointer, v === null && lineOf(valueStart) !== lineOf(keyStart) ? keyStart : valueStart);
      walk(v, childPointer);
    });
  };
  walk(data, '');

  const nearest = (pointer: string, map: Map<string, number>): Position => {
    let p = pointer;
    for (;;) {
      const hit = map.get(p) ?? values.get(p);
      if (hit !== undefined) return toPosition(hit);
      if (p === '') return { line: 1, column: 1 };
      p = p.slice(0, p.lastIndexOf('/'));
    }
  };
  return {
    data,
    valueAt: (pointer) => nearest(pointer, values),
    keyAt: (pointer) => nearest(pointer, keys),
  };
}

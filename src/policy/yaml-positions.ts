// Loads YAML and remembers where every value (and every mapping key) starts, so a validation
// error found on the parsed data (a JSON pointer) can be reported as `file:line:column`. The
// parser is src/util/yaml-bounded.ts (the `yaml` package: bounded aliases, real node ranges).
import { PortcullisError } from '../errors.js';
import { lazyRequire } from '../util/lazy-require.js';
import { parseYamlDocuments, positionAt, YamlTextError, yamlToJs, type ParsedYaml } from '../util/yaml-bounded.js';

const yamlLib = lazyRequire<typeof import('yaml')>('yaml');

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

export interface LocatedYaml {
  data: unknown;
  /** Position of the value at a JSON pointer (`/spec/rules/0/when`), or of its nearest located parent. */
  valueAt(pointer: string): Position;
  /** Position of the key of the member at `pointer` (falls back to the value's position). */
  keyAt(pointer: string): Position;
}

const MAX_POLICY_BYTES = 4 * 1024 * 1024;

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Parses one YAML document (the `yaml` package, YAML 1.2 core schema: no timestamps, so dates
 * stay strings; duplicate keys are errors; alias expansion bounded by MAX_YAML_ALIASES). Syntax
 * errors are YamlSyntaxError with a position and a description that never quotes the text.
 */
export function loadLocatedYaml(text: string, file: string): LocatedYaml {
  if (text.length > MAX_POLICY_BYTES) throw new PortcullisError(`file is larger than ${MAX_POLICY_BYTES} bytes`, { subject: `${file}:1:1` });
  let parsed: ParsedYaml;
  let data: unknown;
  try {
    parsed = parseYamlDocuments(text);
    if (parsed.docs.length > 1) {
      const second = parsed.docs[1]!;
      throw new YamlTextError({ ...positionAt(parsed.lines, second.range?.[0] ?? 0), problem: 'more than one YAML document (a policy file holds one)' });
    }
  } catch (err) {
    if (err instanceof YamlTextError) throw new YamlSyntaxError(file, { line: err.at.line, column: err.at.column }, err.at.problem, err);
    throw err;
  }
  const { lines } = parsed;
  const Y = yamlLib();
  const values = new Map<string, number>();
  const keys = new Map<string, number>();
  const lineOf = (offset: number) => positionAt(lines, offset).line;
  // Iterative (a hostile document may nest deeply): each node with the pointer its value has in `data`.
  const todo: { node: unknown; pointer: string }[] = parsed.docs[0]?.contents ? [{ node: parsed.docs[0].contents, pointer: '' }] : [];
  while (todo.length > 0) {
    const { node, pointer } = todo.pop()!;
    if (!Y.isNode(node)) continue;
    if (node.range && !values.has(pointer)) values.set(pointer, node.range[0]);
    // An alias's content is located at the alias: nothing below it is walked again.
    if (Y.isMap(node)) {
      const names = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key;
        const keyStart = Y.isNode(key) && key.range ? key.range[0] : undefined;
        // Keys that are collections or aliases are no policy's; their names stay opaque.
        const name = Y.isScalar(key) ? (key.value === null ? '' : String(key.value)) : `(key ${names.size})`;
        if (names.has(name)) throw new YamlSyntaxError(file, positionAt(lines, keyStart ?? node.range?.[0] ?? 0), 'duplicate mapping key', undefined);
        names.add(name);
        const childPointer = `${pointer}/${escapePointer(name)}`;
        if (keyStart !== undefined) keys.set(childPointer, keyStart);
        const v = pair.value;
        const valueStart = Y.isNode(v) && v.range ? v.range[0] : undefined;
        // `key:` with nothing after it: the empty value is placed after the colon, maybe on the next line.
        const empty = !Y.isNode(v) || (Y.isScalar(v) && v.value === null && (valueStart === undefined || keyStart === undefined || lineOf(valueStart) !== lineOf(keyStart)));
        const at = empty ? keyStart : valueStart;
        if (at !== undefined) values.set(childPointer, at);
        if (Y.isNode(v)) todo.push({ node: v, pointer: childPointer });
      }
    } else if (Y.isSeq(node)) {
      node.items.forEach((item, i) => todo.push({ node: item, pointer: `${pointer}/${i}` }));
    }
  }

  try {
    data = parsed.docs[0] ? yamlToJs(parsed.docs[0], lines) : undefined;
  } catch (err) {
    if (err instanceof YamlTextError) throw new YamlSyntaxError(file, { line: err.at.line, column: err.at.column }, err.at.problem, err);
    throw err;
  }

  const nearest = (pointer: string, map: Map<string, number>): Position => {
    let p = pointer;
    for (;;) {
      const hit = map.get(p) ?? values.get(p);
      if (hit !== undefined) return positionAt(lines, hit);
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

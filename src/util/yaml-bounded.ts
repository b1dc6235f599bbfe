// YAML for hostile input (policies, policy tests, lockfiles inside images) on js-yaml, bounded:
// js-yaml has no alias limit of its own. Its aliases share one object (nothing is copied at
// load), so the amplification happens in whatever walks the result: a "billion laughs" file
// would make every loop of a consumer (schema validation, a cataloger) exponential. So the loaded
// value is measured once, shared references counted each time they are reached, and refused
// when it is larger than its text could spell out. CORE_SCHEMA has no merge keys (`<<` copies
// keys at load, which an alias can amplify too) and no timestamps (dates stay strings). Errors
// carry a position and a description that never quotes the text (js-yaml's messages can quote a
// tag or an alias name, and its snippet quotes the line).
//
// Judged and not used for this: the `yaml` package (real node ranges, `maxAliasCount`). On the
// development machine it took ~5x js-yaml's time and memory: a 4 MiB mapping of 331,000 keys
// (the policy size limit) 20.6 s and 496 MB against js-yaml's 4.0 s and 102 MB, past the 300 MB
// bound hostile input gets; a 1.3 MB pnpm-lock.yaml ~3.4 s against ~0.35 s.
import type { YAMLException } from 'js-yaml';
import { lazyRequire } from './lazy-require.js';

export interface YamlProblemAt {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** What is wrong, never the text itself. */
  problem: string;
}

/** A refused YAML text: where and what, never its content. */
export class YamlTextError extends Error {
  constructor(readonly at: YamlProblemAt) {
    super(`${at.line}:${at.column}: ${at.problem}`);
    this.name = 'YamlTextError';
  }
}

function stackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

const jsYaml = lazyRequire<typeof import('js-yaml')>('js-yaml');

/** js-yaml's reasons that quote nothing of the input (no tag, alias name or character). */
const PLAIN_REASON = /^[A-Za-z0-9 ,()-]+$/;

/** Where the first alias (`*name`) seems to be, for the message; 1:1 when none is found. */
function firstAliasPosition(text: string): { line: number; column: number } {
  const m = /(^|[\s[{,])\*[^\s,\]}]/m.exec(text);
  if (!m) return { line: 1, column: 1 };
  const at = m.index + m[1]!.length;
  let line = 1;
  let start = 0;
  for (let i = 0; i < at; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: at - start + 1 };
}

/**
 * Throws when walking `values` (shared references counted each time they are reached) visits
 * more than `budget` nodes. Iterative; stops at the budget, so it costs at most O(budget).
 */
export function checkYamlExpansion(values: unknown[], budget: number, text: string): void {
  const stack: unknown[] = [...values];
  let visited = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (++visited > budget) {
      throw new YamlTextError({ ...firstAliasPosition(text), problem: 'aliases expand the document far beyond its size (a YAML alias bomb?)' });
    }
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else for (const k in v as Record<string, unknown>) stack.push((v as Record<string, unknown>)[k]);
  }
}

/** A js-yaml error as a position and a description that quotes nothing; other errors as they are. */
export function yamlProblem(err: unknown): YamlTextError | undefined {
  if (err instanceof YamlTextError) return err;
  if (stackOverflow(err)) return new YamlTextError({ line: 1, column: 1, problem: 'nested too deeply' });
  // By name: js-yaml's ESM build (an `import`) and its CJS build (lazyRequire) are two classes.
  if (err instanceof Error && err.name === 'YAMLException') {
    const e = err as YAMLException;
    const reason = e.reason && PLAIN_REASON.test(e.reason) ? e.reason : 'syntax error';
    return new YamlTextError({ line: (e.mark?.line ?? 0) + 1, column: (e.mark?.column ?? 0) + 1, problem: reason });
  }
  return undefined;
}

/**
 * The expansion budget of a text: a node takes at least one character (keys and values alike),
 * so a document without aliases never reaches it.
 */
export function expansionBudget(text: string): number {
  return text.length + 1024;
}

/**
 * Every document of a machine-written YAML text (pnpm-lock.yaml, yarn berry's yarn.lock) as
 * plain values; duplicate keys allowed (last wins), as js-yaml's `json` mode reads them. Throws
 * YamlTextError (position and a description that never quotes the text).
 */
export function loadLockfileYaml(text: string): unknown[] {
  const Y = jsYaml();
  let docs: unknown[];
  try {
    docs = Y.loadAll(text, undefined, { schema: Y.CORE_SCHEMA, json: true });
  } catch (err) {
    throw yamlProblem(err) ?? err;
  }
  checkYamlExpansion(docs, expansionBudget(text), text);
  return docs;
}

// YAML for hostile input (policies, policy tests, lockfiles inside images), on the `yaml` package:
// alias expansion is bounded (`maxAliasCount`: a "billion laughs" document is refused instead of
// amplifying into every consumer's loops), syntax errors carry a position and a fixed description
// (the library's own messages may quote the text, which may be a secret), and the node tree keeps
// real source ranges for file:line:col messages.
import type { Document, LineCounter, YAMLError } from 'yaml';
import { lazyRequire } from './lazy-require.js';

const yamlLib = lazyRequire<typeof import('yaml')>('yaml');

/**
 * How many times anchored content may be referenced, weighted by the aliases nested inside it
 * (the `yaml` package's own measure). Nothing portcullis reads needs aliases at all (pnpm and
 * yarn never write them); a policy may use a few for shared `when` blocks.
 */
export const MAX_YAML_ALIASES = 100;

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

// The library's messages that are fixed text (they quote nothing from the input) are kept; any
// other message (they may embed a tag, an escape, an alias name or a token of the input) is
// replaced by a description of its error code.
const FIXED_MESSAGES = new Set([
  'An alias node must not specify any properties',
  'Alias cannot be an empty string',
  'Alias ending in : is ambiguous',
  'Anchor cannot be an empty string',
  'Anchor ending in : is ambiguous',
  'All sequence items must start at the same column',
  'A block sequence may not be used as an implicit map key',
  'Nested mappings are not allowed in compact mappings',
  'Map keys must be unique',
  'Block scalar header not found',
  "Missing closing 'quote",
  'Missing closing "quote',
  'Block collection cannot start on same line with directives-end marker',
  'Comments must be separated from other tokens by white space characters',
  'Implicit map keys need to be followed by map values',
  'Missing directives-end indicator line',
  'Missing directives-end/doc-start indicator line',
  'Sequence item without - indicator',
  'Tags and anchors must be separated from the next token by white space',
  'Implicit keys need to be on a single line',
  'Implicit keys of flow sequence pairs need to be on a single line',
  'A node can have at most one anchor',
  'A node can have at most one tag',
  'Tabs are not allowed as indentation',
]);

const BY_CODE: Record<string, string> = {
  ALIAS_PROPS: 'an alias must not have an anchor or a tag',
  BAD_ALIAS: 'invalid alias or anchor',
  BAD_COLLECTION_TYPE: 'a tag does not fit its collection',
  BAD_DIRECTIVE: 'invalid directive',
  BAD_DQ_ESCAPE: 'invalid escape sequence in a double-quoted string',
  BAD_INDENT: 'bad indentation',
  BAD_PROP_ORDER: 'an anchor or tag is in the wrong place',
  BAD_SCALAR_START: 'a plain value cannot start with this character',
  BLOCK_AS_IMPLICIT_KEY: 'a block collection cannot be an implicit key',
  BLOCK_IN_FLOW: 'a block collection inside a flow collection',
  DUPLICATE_KEY: 'duplicate mapping key',
  IMPOSSIBLE: 'unparsable YAML',
  KEY_OVER_1024_CHARS: 'an implicit key is longer than 1024 characters',
  MISSING_CHAR: 'a quote, comma, colon or space is missing',
  MULTILINE_IMPLICIT_KEY: 'an implicit key spans several lines',
  MULTIPLE_ANCHORS: 'a node has more than one anchor',
  MULTIPLE_DOCS: 'more than one YAML document',
  MULTIPLE_TAGS: 'a node has more than one tag',
  NON_STRING_KEY: 'a mapping key is not a string',
  RESOURCE_EXHAUSTION: `aliases expand beyond the limit (${MAX_YAML_ALIASES})`,
  TAB_AS_INDENT: 'tabs are not allowed as indentation',
  TAG_RESOLVE_FAILED: 'unknown or unresolvable tag',
  UNEXPECTED_TOKEN: 'unexpected token',
};

function describeError(e: YAMLError): string {
  const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (FIXED_MESSAGES.has(first)) return first.charAt(0).toLowerCase() + first.slice(1);
  return BY_CODE[e.code] ?? 'invalid YAML';
}

export interface ParsedYaml {
  /** Every document of the stream (one for policies). */
  docs: Document[];
  lines: LineCounter;
}

/** 1-based line and column of a source offset. */
export function positionAt(lines: LineCounter, offset: number): { line: number; column: number } {
  const p = lines.linePos(Math.max(0, offset));
  return { line: p.line, column: p.col };
}

function stackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

/**
 * Parses every document of `text` (syntax only); throws YamlTextError on the first error.
 * Duplicate keys are NOT checked here: the library's check compares each key with every earlier
 * one of its mapping (quadratic: 20,000 keys took seconds), so callers that refuse duplicates
 * check them with a Set while they walk the tree (yaml-positions.ts does).
 */
export function parseYamlDocuments(text: string): ParsedYaml {
  const Y = yamlLib();
  const lines = new Y.LineCounter();
  let docs: Document[];
  try {
    docs = Y.parseAllDocuments(text, {
      lineCounter: lines,
      prettyErrors: false,
      schema: 'core',
      uniqueKeys: false,
      keepSourceTokens: false,
    }) as Document[];
  } catch (err) {
    if (stackOverflow(err)) throw new YamlTextError({ line: 1, column: 1, problem: 'nested too deeply' });
    throw err;
  }
  if (!Array.isArray(docs)) docs = [];
  for (const d of docs) {
    // Warnings too (an unknown tag, an unknown directive): what portcullis reads this way is a
    // gate's input, never run half understood.
    const e = d.errors[0] ?? d.warnings[0];
    if (e) throw new YamlTextError({ ...positionAt(lines, e.pos[0]), problem: describeError(e) });
  }
  return { docs, lines };
}

/** The first alias node of a document (where an alias problem is reported). */
function firstAliasOffset(doc: Document): number {
  let at = 0;
  yamlLib().visit(doc, {
    Alias(_k, node) {
      at = node.range?.[0] ?? 0;
      return yamlLib().visit.BREAK;
    },
  });
  return at;
}

/** The plain JS value of a parsed document, aliases bounded; throws YamlTextError. */
export function yamlToJs(doc: Document, lines: LineCounter): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    if (stackOverflow(err)) throw new YamlTextError({ line: 1, column: 1, problem: 'nested too deeply' });
    if (err instanceof ReferenceError || (err instanceof Error && /alias/i.test(err.message))) {
      const problem = /excessive alias count/i.test(err.message)
        ? `aliases expand beyond the limit (${MAX_YAML_ALIASES} references; a YAML alias bomb?)`
        : /unresolved alias/i.test(err.message)
          ? 'an alias refers to no anchor before it'
          : 'aliases cannot be resolved';
      throw new YamlTextError({ ...positionAt(lines, firstAliasOffset(doc)), problem });
    }
    throw err;
  }
}

// ---- Lockfiles: large, machine-written YAML --------------------------------------------------
// js-yaml parses them ~10x faster than `yaml` (a 1.3 MB pnpm-lock.yaml: ~0.35 s against ~3.4 s
// on the development machine), but has no alias limit. Its aliases share one object (nothing is
// copied at load), so the amplification happens in whatever walks the result: a billion-laughs
// lockfile would make every loop of a cataloger exponential. So the loaded value is measured
// once, shared references counted each time they are reached, and refused when it is larger than
// its text could spell out. CORE_SCHEMA has no merge keys (`<<` copies keys at load, which an
// alias can amplify too) and no timestamps (dates stay strings).

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
    if (stackOverflow(err)) throw new YamlTextError({ line: 1, column: 1, problem: 'nested too deeply' });
    if (err instanceof Y.YAMLException) {
      const reason = err.reason && PLAIN_REASON.test(err.reason) ? err.reason : 'syntax error';
      throw new YamlTextError({ line: (err.mark?.line ?? 0) + 1, column: (err.mark?.column ?? 0) + 1, problem: reason });
    }
    throw err;
  }
  // A node takes at least one character of text (keys and values alike), so a document without
  // aliases never reaches this.
  checkYamlExpansion(docs, text.length + 1024, text);
  return docs;
}

// Where and why a text is not JSON, in our own words. V8's JSON.parse message quotes the text
// around the error (`Unexpected token 'g', "ghp_…" is not valid JSON`), and that text may be a
// secret the user passed by mistake: portcullis never shows it. This scanner runs only after
// JSON.parse has failed; it is iterative (no recursion: inputs may nest 100,000 deep) and linear.

export interface JsonSyntaxProblem {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  /** What is wrong, never the text itself. */
  problem: string;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Offset and problem of the first syntax error; undefined when the text is valid JSON. */
function firstError(text: string): { at: number; problem: string } | undefined {
  let i = 0;
  const n = text.length;
  const stack: ('{' | '[')[] = [];
  const skipWs = () => {
    while (i < n && WS.has(text.charCodeAt(i))) i++;
  };
  const end = (problem: string) => ({ at: n, problem: `unexpected end of input (${problem})` });

  /** A string at `i` (which is a quote); returns an error or moves `i` past it. */
  const string = (): { at: number; problem: string } | undefined => {
    const start = i;
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return { at: i, problem: 'control character inside a string' };
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === undefined) break;
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return { at: i, problem: 'invalid \\u escape inside a string' };
          i += 6;
          continue;
        }
        if (!ESCAPES.has(e)) return { at: i, problem: 'invalid escape inside a string' };
        i += 2;
        continue;
      }
      i++;
    }
    return { at: start, problem: 'unterminated string' };
  };

  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  /** A scalar or the start of a container at `i`. */
  const value = (): { at: number; problem: string } | undefined => {
    skipWs();
    if (i >= n) return end('a value was expected');
    const c = text[i]!;
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      return undefined;
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return undefined;
      }
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m || m[0] === '-') return { at: i, problem: 'invalid number' };
      const next = text[i + m[0].length];
      if (next !== undefined && /[0-9.eE+-]/.test(next)) return { at: i, problem: 'invalid number' };
      i += m[0].length;
      return undefined;
    }
    return { at: i, problem: 'unexpected character where a value was expected' };
  };

  let err = value();
  if (err) return err;
  // After each value (or container opening), what may follow.
  let justOpened = stack.length > 0;
  for (;;) {
    if (stack.length === 0) {
      skipWs();
      return i < n ? { at: i, problem: 'unexpected data after the JSON value' } : undefined;
    }
    const top = stack[stack.length - 1]!;
    const close = top === '{' ? '}' : ']';
    skipWs();
    if (i >= n) return end(`a '${close}' is missing`);
    if (justOpened && text[i] === close) {
      stack.pop();
      i++;
      justOpened = false;
      continue;
    }
    if (!justOpened) {
      if (text[i] === close) {
        stack.pop();
        i++;
        continue;
      }
      if (text[i] !== ',') return { at: i, problem: `expected ',' or '${close}'` };
      i++;
      skipWs();
    }
    if (top === '{') {
      if (i >= n) return end('a property name was expected');
      if (text[i] !== '"') return { at: i, problem: 'expected a property name in double quotes' };
      err = string();
      if (err) return err;
      skipWs();
      if (i >= n) return end("a ':' was expected");
      if (text[i] !== ':') return { at: i, problem: "expected ':' after a property name" };
      i++;
    }
    const depth = stack.length;
    err = value();
    if (err) return err;
    justOpened = stack.length > depth;
  }
}

/** The first syntax error of a text JSON.parse refused, by position; never quotes the text. */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem {
  const e = firstError(text);
  if (!e) return { line: 1, column: 1, problem: 'not valid JSON' };
  return { ...positionOf(text, e.at), problem: e.problem };
}

/** `LINE:COL: not valid JSON (PROBLEM)` — what messages about a refused JSON text say. */
export function describeJsonSyntax(text: string): string {
  const p = jsonSyntaxProblem(text);
  return `${p.line}:${p.column}: not valid JSON (${p.problem})`;
}

/**
 * JSON.parse, with a refusal described by position and problem only. `describe` builds the
 * error from `LINE:COL` and the problem (a PortcullisError or ImageError naming the file).
 */
export function parseJsonOr<E extends Error>(text: string, describe: (position: string, problem: string) => E): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    if (err instanceof RangeError) throw describe('1:1', 'nested too deeply');
    const p = jsonSyntaxProblem(text);
    throw describe(`${p.line}:${p.column}`, p.problem);
  }
}

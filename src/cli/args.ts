import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PortcullisError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs with our error style: a bad flag is one clear line, exit 2, naming the flag
 * as typed and, for a near miss, the flag that was meant (`unknown option --fromat (did you mean
 * --format?)`). `command` is how the user called it (`scan`, `db import`), for the line and the
 * pointer to its `--help`.
 */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O, allowPositionals = true) {
  // A lenient pass first: it tokenises without judging, so an unknown flag is found by name.
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  for (const t of tokens) {
    if (t.kind === 'option' && !Object.hasOwn(options, t.name)) throw unknownOption(command, t.rawName, Object.keys(options));
  }
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new PortcullisError(`${command}: ${parseErrorText(err)}`);
  }
}

function unknownOption(command: string, raw: string, known: string[]): PortcullisError {
  const long = raw.startsWith('--');
  const guess = long ? didYouMean(raw.slice(2), known) : undefined;
  const hint = guess ? `did you mean --${guess}?` : `see portcullis ${command} --help`;
  return new PortcullisError(`${command}: unknown option ${raw} (${hint})`);
}

/** Node's parseArgs messages are several lines and quote in its own style: one line of ours. */
function parseErrorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  // `Option '-v, --verbose' …`, `Option '--format <value>' …`: the long name is the flag.
  const flag = /Option '([^']+)'/.exec(msg)?.[1]?.replace(/\s*<value>$/, '').split(', ').at(-1);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    if (/argument missing/.test(msg)) return `${flag} needs a value`;
    if (/does not take an argument/.test(msg)) return `${flag} takes no value`;
    if (/ambiguous/.test(msg)) return `${flag} needs a value (for a value that starts with "-", write ${flag}=-…)`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /Unexpected argument '([^']*)'/.exec(msg)?.[1];
    if (arg !== undefined) return `unexpected argument ${JSON.stringify(arg)} (this takes options only)`;
  }
  return msg.split('\n')[0]!.replace(/^TypeError \[[A-Z_]+\]: /, '');
}

/** Optimal string alignment distance: edits, with a swap of two neighbours counting as one. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate a mistyped name most likely meant: the closest within a few edits (one for
 * short names), else the only candidate it is a prefix of. Undefined when nothing is close.
 */
export function didYouMean(typed: string, candidates: readonly string[]): string | undefined {
  const limit = typed.length <= 3 ? 1 : typed.length <= 6 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(typed.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  if (best !== undefined && bestDistance <= limit) return best;
  const prefixed = typed.length >= 3 ? candidates.filter((c) => c.startsWith(typed)) : [];
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** The one line for a subcommand a group does not have, with the near miss when there is one. */
export function unknownSubcommand(group: string, sub: string | undefined, known: readonly string[]): PortcullisError {
  if (sub === undefined || sub === '') return new PortcullisError(`${group}: name a subcommand (${known.join(', ')})`);
  const guess = didYouMean(sub, known);
  return new PortcullisError(`${group}: unknown subcommand ${JSON.stringify(sub)} (${guess ? `did you mean ${guess}? ` : ''}one of ${known.join(', ')})`);
}

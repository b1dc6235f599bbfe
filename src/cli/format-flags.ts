// `--format NAME[=FILE]` (repeatable) and `--output FILE`: one syntax for every command that
// writes reports (scan, sbom), parsed here once.
import { PortcullisError } from '../errors.js';
import { formatNames } from '../report/formats.js';
import { parseFormatTargets, type FormatTarget } from '../report/output.js';

export const FORMAT_FLAGS = {
  format: { type: 'string', multiple: true },
  output: { type: 'string' },
} as const;

export interface FormatChoice {
  /** The formats this command writes, in the order its help lists them. */
  formats: readonly string[];
  /** What is written when no --format is given: to stdout, or to --output FILE. */
  default: string;
}

/** `scan`: every report format; the table for people by default. */
export const SCAN_OUTPUT: FormatChoice = { formats: formatNames(), default: 'table' };

/** `sbom`: the inventory as an SBOM (json is the native report: docs/report-format.md), or a package list. */
export const SBOM_OUTPUT: FormatChoice = { formats: ['json', 'cyclonedx', 'spdx', 'table'], default: 'json' };

/** The help lines for the two flags, the same wording for every command (descriptions at `width`). */
export function formatUsage(choice: FormatChoice, width = 26): string {
  const pad = (s: string) => `  ${s.padEnd(width - 2)}`;
  const words = `write the report as NAME, to FILE or stdout; repeatable (one may go to stdout). NAME: ${choice.formats.join(', ')}. Default: ${choice.default}`.split(' ');
  const lines: string[] = [];
  for (const w of words) {
    const last = lines.length - 1;
    if (last >= 0 && width + lines[last]!.length + 1 + w.length <= 98) lines[last] += ` ${w}`;
    else lines.push(w);
  }
  return [
    ...lines.map((l, i) => `${i === 0 ? pad('--format NAME[=FILE]') : ' '.repeat(width)}${l}`),
    `${pad('--output FILE')}write the one format (--format NAME, else ${choice.default}) to FILE`,
    '',
  ].join('\n');
}

/**
 * The report targets of a run. `--output FILE` is the one format going to FILE: the named
 * one, else the default, so what the help calls the default is what lands in the file.
 */
export function formatTargets(values: { format?: string[]; output?: string }, choice: FormatChoice, cwd: string): FormatTarget[] {
  const formats = [...(values.format ?? [])];
  for (const f of formats) {
    const name = f.split('=', 1)[0]!.trim();
    if (name && !choice.formats.includes(name)) {
      throw new PortcullisError(`--format: unknown format "${name}" (known: ${choice.formats.join(', ')})`);
    }
  }
  if (values.output !== undefined) {
    if (formats.some((f) => f.includes('='))) throw new PortcullisError('--output: use either --output FILE or --format NAME=FILE');
    if (formats.length > 1) throw new PortcullisError('--output takes one --format; give the others NAME=FILE');
    return parseFormatTargets([`${formats[0] ?? choice.default}=${values.output}`], cwd);
  }
  return parseFormatTargets(formats.length ? formats : [choice.default], cwd);
}

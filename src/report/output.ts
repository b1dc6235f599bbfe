// `--format NAME[=FILE]` targets and writing every report of a run, all or nothing.
import { lstat, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { PortcullisError } from '../errors.js';
import type { Report } from '../model/report.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { EncodeOptions } from './encoder.js';
import { formatFor } from './formats.js';

export interface FormatTarget {
  format: string;
  /** Absolute output path; absent = stdout. */
  path?: string;
}

/** What writeReports touches: stdout (and its terminal facts), env (NO_COLOR), cwd for paths. */
export interface ReportIO {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Parses repeated `--format NAME[=FILE]` values. A relative FILE is resolved against `cwd`.
 * At most one format may go to stdout, and no two formats to the same file.
 */
export function parseFormatTargets(values: readonly string[], cwd = process.cwd()): FormatTarget[] {
  const targets: FormatTarget[] = [];
  for (const value of values) {
    const eq = value.indexOf('=');
    const format = (eq < 0 ? value : value.slice(0, eq)).trim();
    const file = eq < 0 ? undefined : value.slice(eq + 1);
    if (!format) throw new PortcullisError(`--format "${value}": a format name is required (NAME or NAME=FILE)`);
    formatFor(format); // unknown names fail here, listing the known ones
    if (file !== undefined && file.trim() === '') throw new PortcullisError(`--format "${value}": the file name after "=" is empty`);
    targets.push(file === undefined || file === '-' ? { format } : { format, path: resolve(cwd, file) });
  }
  const toStdout = targets.filter((t) => !t.path);
  if (toStdout.length > 1) {
    throw new PortcullisError(`--format: only one format can go to stdout (got ${toStdout.map((t) => t.format).join(', ')}); give the others a file: NAME=FILE`);
  }
  const seen = new Map<string, string>();
  for (const t of targets) {
    if (!t.path) continue;
    const other = seen.get(t.path);
    if (other) throw new PortcullisError(`--format: ${other} and ${t.format} both write to the same file`, { subject: t.path });
    seen.set(t.path, t.format);
  }
  return targets;
}

/** Width of stdout when it is not a terminal (a CI log, a pipe) and $COLUMNS does not say. */
export const DEFAULT_WIDTH = 80;

/**
 * Colour on a terminal unless NO_COLOR is set; FORCE_COLOR forces it. The width is the
 * terminal's; elsewhere $COLUMNS, else 80. (Files are not fitted: writeReports gives them none.)
 */
export function stdoutOptions(io: ReportIO): EncodeOptions {
  const env = io.env ?? {};
  const tty = io.stdout.isTTY === true;
  const color = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' ? true : tty && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  const columns = /^\d+$/.test(env.COLUMNS ?? '') && Number(env.COLUMNS) > 0 ? Number(env.COLUMNS) : undefined;
  return { color, width: tty && io.stdout.columns ? io.stdout.columns : (columns ?? DEFAULT_WIDTH) };
}

async function checkTarget(path: string): Promise<boolean> {
  const existing = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new PortcullisError(`cannot use as report output: ${err.code ?? err.message}`, { subject: path });
  });
  if (existing?.isDirectory()) throw new PortcullisError('is a directory; give a file name for the report', { subject: path });
  if (existing && !existing.isFile() && !existing.isSymbolicLink()) throw new PortcullisError('is not a regular file', { subject: path });
  const parent = await stat(dirname(path)).catch(() => undefined);
  if (!parent?.isDirectory()) throw new PortcullisError(`directory ${dirname(path)} does not exist`, { subject: path });
  return existing !== undefined;
}

function writeStdout(out: Writable, text: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    out.write(text, (err) => (err ? reject(err) : resolvePromise()));
  });
}

/**
 * Encodes the report in every target format and writes the files, then stdout. Everything is
 * checked and encoded before the first byte is written; each file goes through a temp file and
 * a rename; if a later file fails, the files this call created are removed again, so a failed
 * run leaves no partial set of reports.
 */
export async function writeReports(report: Report, targets: readonly FormatTarget[], io: ReportIO): Promise<void> {
  const files = targets.filter((t): t is FormatTarget & { path: string } => t.path !== undefined);
  const existed = new Map<string, boolean>();
  for (const t of files) existed.set(t.path, await checkTarget(t.path));

  // Encode all first: an encoder failure must not leave some files written.
  const encoded: { target: FormatTarget; text: string }[] = [];
  for (const t of targets) {
    const encoder = await formatFor(t.format).load();
    encoded.push({ target: t, text: encoder.encode(report, t.path ? { color: false } : stdoutOptions(io)) });
  }

  const created: string[] = [];
  try {
    for (const { target, text } of encoded) {
      if (!target.path) continue;
      await writeFileAtomic(target.path, text);
      if (!existed.get(target.path)) created.push(target.path);
    }
  } catch (err) {
    await Promise.all(created.map((p) => rm(p, { force: true })));
    throw err;
  }
  for (const { target, text } of encoded) {
    if (!target.path) await writeStdout(io.stdout, text);
  }
}

// Tekton result files (`portcullis scan --results-dir DIR`): what a Task's results and a Pipeline's
// `when` read, derived from the typed Report in one place so the Task YAML re-derives nothing.
// Results travel in the step's termination message, which Kubernetes caps at 4096 bytes a
// container (less when the pod has more than three), so every value here is bounded.
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PortcullisError } from '../errors.js';
import { coverageGaps } from '../match/coverage.js';
import { SEVERITIES, type Severity } from '../model/finding.js';
import type { Report } from '../model/report.js';
import { severityCounts, verdictOf } from './common.js';

/** Every file `--results-dir` writes, always all of them (empty when nothing applies). */
export const TEKTON_RESULT_NAMES = ['DECISION', 'BLOCKED', ...SEVERITIES, 'COVERAGE', 'REPORT', 'REPORT_DIGEST', 'ERROR'] as const;
export type TektonResultName = (typeof TEKTON_RESULT_NAMES)[number];
export type TektonResults = Record<TektonResultName, string>;

/**
 * `pass` / `blocked` exit 0 / 1; `incomplete` (something was not checked and nobody accepted it)
 * and `error` (no trustworthy report) exit 2; `no-policy` (`--policy none`) exits 0 undecided.
 */
export type TektonDecision = 'pass' | 'blocked' | 'incomplete' | 'error' | 'no-policy';

/**
 * Bytes the results may take in the termination message, as the entrypoint encodes them. 3 KiB
 * leaves room for Tekton's own entries (StartedAt…) and fits a pod of four containers
 * (12 KiB / 4): the scan Task has three steps.
 */
export const TEKTON_RESULTS_BUDGET = 3072;
const MAX_COVERAGE = 768;
const MAX_ERROR = 512;
const MAX_REPORT_PATH = 1024;

export interface TektonResultsInput {
  /** The scan's report, when the scan got that far. */
  report?: Report;
  /** The main report file as written: its path and `sha256:` digest of its bytes. */
  mainReport?: { path: string; digest: string };
  /** The run ended in an error (before or after the report): its one-line message. */
  error?: string;
}

/** Length of `s` once JSON-encoded (as it sits in the termination message), without the quotes. */
function encodedBytes(s: string): number {
  return Buffer.byteLength(JSON.stringify(s)) - 2;
}

/** `s` cut (at a code point) so its encoded form fits `max` bytes, marked with `…` when cut. */
export function fitEncoded(s: string, max: number): string {
  if (encodedBytes(s) <= max) return s;
  const chars = [...s];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (encodedBytes(`${chars.slice(0, mid).join('')}…`) <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join('')}…`;
}

function decisionOf(input: TektonResultsInput): TektonDecision {
  if (input.error !== undefined || !input.report) return 'error';
  const v = verdictOf(input.report);
  return v === 'passed' ? 'pass' : v === 'undecided' ? 'no-policy' : v;
}

/** One line: `complete: …` or `incomplete: …` first, so a script can match the first word. */
function coverageLine(report: Report): string {
  const c = report.coverage;
  if (!c) return 'n/a';
  const covered = c.ecosystems.filter((e) => e.status === 'covered').map((e) => e.ecosystem);
  const accepted = c.ecosystems.filter((e) => e.accepted).length + c.unread.filter((u) => u.accepted).length;
  if (!c.complete) return `incomplete: ${coverageGaps(c).join('; ')}`;
  const acc = accepted ? `, ${accepted} accepted gap${accepted === 1 ? '' : 's'}` : '';
  return `complete${acc}: covered ${covered.length ? covered.join(', ') : 'nothing (no packages)'}`;
}

/** The result values for one run. Pure: the same input gives the same files. */
export function tektonResults(input: TektonResultsInput): TektonResults {
  const decision = decisionOf(input);
  const report = decision === 'error' ? undefined : input.report;
  const counts: Partial<Record<Severity, number>> = report?.findings ? severityCounts(report.findings) : {};
  const path = report && input.mainReport ? input.mainReport.path : '';
  if (encodedBytes(path) > MAX_REPORT_PATH) {
    // A cut path would name another file: refuse instead.
    throw new PortcullisError(`--results-dir: the report path is over ${MAX_REPORT_PATH} bytes, too long for a Tekton result`);
  }
  const out = {
    DECISION: decision,
    // Fail closed: anything but a pass (or an undecided scan the user asked for) blocks.
    BLOCKED: String(!(decision === 'pass' || decision === 'no-policy')),
    COVERAGE: report ? fitEncoded(coverageLine(report), MAX_COVERAGE) : 'n/a',
    REPORT: path,
    REPORT_DIGEST: report && input.mainReport ? input.mainReport.digest : '',
    ERROR: decision === 'error' ? fitEncoded((input.error ?? 'the scan produced no report').split('\n')[0]!, MAX_ERROR) : '',
  } as TektonResults;
  for (const s of SEVERITIES) out[s] = report?.findings ? String(counts[s] ?? 0) : 'n/a';
  return out;
}

/** The termination message the entrypoint would write for these results (Tekton RunResult JSON). */
export function terminationMessage(results: TektonResults): string {
  return JSON.stringify(TEKTON_RESULT_NAMES.map((key) => ({ key, value: results[key], type: 1 })));
}

/** Writes one file per result into `dir` (Tekton's /tekton/results), which must exist. */
export async function writeTektonResults(dir: string, results: TektonResults): Promise<void> {
  const size = Buffer.byteLength(terminationMessage(results));
  if (size > TEKTON_RESULTS_BUDGET) throw new PortcullisError(`--results-dir: the results take ${size} bytes, over the ${TEKTON_RESULTS_BUDGET}-byte budget`);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new PortcullisError('--results-dir: not a directory', { subject: dir });
  for (const name of TEKTON_RESULT_NAMES) {
    // Written as is: Tekton passes result files on verbatim, so no trailing newline.
    await writeFile(join(dir, name), results[name]).catch((err: NodeJS.ErrnoException) => {
      throw new PortcullisError(`--results-dir: cannot write ${name}: ${err.code ?? err.message}`, { subject: dir });
    });
  }
}

// What the module reads back from a scan: the CLI's exit code is the verdict (0 pass, 1 blocked,
// 2 error or incomplete); the native JSON report's `decision` and `coverage` fields (data, not
// prose) give the counts and the gaps for the one-line summary. Pure functions, no Dagger types.

/** The report formats `scan` writes, and each file's name in the reports directory. */
export const REPORT_FILES: Readonly<Record<string, string>> = {
  json: 'report.json',
  table: 'report.txt',
  sarif: 'report.sarif',
  cyclonedx: 'report.cdx.json',
  spdx: 'report.spdx.json',
  junit: 'report.xml',
  markdown: 'report.md',
  html: 'report.html',
  gitlab: 'report.gitlab.json',
};

export type VerdictStatus = 'pass' | 'blocked' | 'incomplete';

/** The parts of the native report (docs/report-format.md) the summary line reads. */
interface ReportFields {
  findings?: { severity?: string }[];
  decision?: { blocked: boolean; counts: { block: number; warn: number; ignore: number } };
  coverage?: {
    complete: boolean;
    ecosystems: { ecosystem: string; status: string; packages: number; reason?: string; fix?: string; accepted?: unknown }[];
    unread: { path: string; cataloger: string; kind: string; code: string; reason: string; accepted?: unknown }[];
  };
}

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];

/**
 * The verdict from the CLI's exit code. Exit 2 is `incomplete` only when the report says so; any
 * other exit 2 is an error and never reaches here (the scan function fails with the CLI's line).
 */
export function verdictStatus(exitCode: number, report: ReportFields): VerdictStatus {
  if (exitCode === 0) return 'pass';
  if (exitCode === 1) return 'blocked';
  if (exitCode === 2 && report.coverage && !report.coverage.complete) return 'incomplete';
  throw new Error(`portcullis scan exited ${exitCode} without an incomplete report`);
}

/** The gaps that made the scan incomplete, one line each (the CLI's wording, from the same fields). */
export function coverageGaps(report: ReportFields): string[] {
  const out: string[] = [];
  for (const e of report.coverage?.ecosystems ?? []) {
    if (e.status === 'covered' || e.accepted) continue;
    const n = `${e.packages} ${e.packages === 1 ? 'package' : 'packages'}`;
    out.push(`${n} in ${e.ecosystem} not checked (${e.status}: ${e.reason ?? 'no data'})${e.fix ? `; fix: ${e.fix}` : ''}`);
  }
  for (const u of report.coverage?.unread ?? []) {
    if (u.kind !== 'os-pkgdb' || u.accepted) continue;
    out.push(`OS package database ${u.path} (${u.cataloger}) was not read (${u.code}: ${u.reason}); its packages are unknown`);
  }
  return out;
}

/** One line: the verdict, then the decision counts and the findings by severity (or the gaps). */
export function decisionLine(exitCode: number, report: ReportFields): string {
  const status = verdictStatus(exitCode, report);
  if (status === 'incomplete') return `incomplete: ${coverageGaps(report).join('; ')}`;
  const bySeverity = SEVERITIES.map((s) => `${s} ${(report.findings ?? []).filter((f) => f.severity === s).length}`).join(', ');
  const d = report.decision;
  if (!d) return `${status}: no policy; findings ${bySeverity}`;
  return `${status}: ${d.counts.block} block, ${d.counts.warn} warn, ${d.counts.ignore} ignore; findings ${bySeverity}`;
}

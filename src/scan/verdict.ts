// The verdict of a decided report, as data: the same three outcomes and exit codes as the CLI
// (0 pass, 1 blocked, 2 incomplete). An incomplete scan is never a pass, whatever the policy says.
import { PortcullisError } from '../errors.js';
import { coverageGaps } from '../match/coverage.js';
import type { Report } from '../model/report.js';
import { verdictOf as reportVerdict } from '../report/common.js';

export type VerdictStatus = 'pass' | 'blocked' | 'incomplete';

export interface Verdict {
  status: VerdictStatus;
  /** What `portcullis scan` exits with for this report: 0 pass, 1 blocked, 2 incomplete. */
  exitCode: 0 | 1 | 2;
  /** Why the scan is incomplete, one line each (empty unless `incomplete`). */
  gaps: string[];
}

/**
 * The verdict of a scan's report. A report that was never matched against vulnerability data (no
 * `coverage`: an `sbom` inventory) has no verdict: that is an error, not a pass.
 */
export function verdictOf(report: Report): Verdict {
  if (!report.coverage || !report.findings) {
    throw new PortcullisError('the report was not matched against vulnerability data (no coverage); scan it first');
  }
  // The encoders' verdict, as outcomes: undecided (`--policy none`) exits 0 like a pass.
  switch (reportVerdict(report)) {
    case 'incomplete':
      return { status: 'incomplete', exitCode: 2, gaps: coverageGaps(report.coverage) };
    case 'blocked':
      return { status: 'blocked', exitCode: 1, gaps: [] };
    default:
      return { status: 'pass', exitCode: 0, gaps: [] };
  }
}

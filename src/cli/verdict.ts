// The one stderr line every finished scan ends with (unless --quiet), so a run whose reports all
// went to files still says what it decided.
import type { Report } from '../model/report.js';
import { imageName, plural } from '../report/common.js';
import { oneLine } from '../report/text.js';

/**
 * `PASSED|BLOCKED <image> (N findings, M blocking[, W warnings])`, or `NO POLICY …` with
 * `--policy none`. Only for a complete scan: an incomplete one has its own line (and exit 2).
 */
export function verdictLine(report: Report): string {
  const n = report.findings?.length ?? 0;
  const findings = `${n} ${plural(n, 'finding')}`;
  const image = oneLine(imageName(report));
  const d = report.decision;
  if (!d) return `NO POLICY ${image} (${findings}, none judged: --policy none)`;
  const blocking = d.counts.block + [...d.imageViolations, ...d.limitViolations].filter((v) => v.action === 'block').length;
  const warnings = d.counts.warn + [...d.imageViolations, ...d.limitViolations].filter((v) => v.action === 'warn').length;
  const extra = warnings ? `, ${warnings} ${plural(warnings, 'warning')}` : '';
  return `${d.blocked ? 'BLOCKED' : 'PASSED'} ${image} (${findings}, ${blocking} blocking${extra})`;
}

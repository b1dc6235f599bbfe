// A bounded Markdown summary for PR comments (65,536 chars) and $GITHUB_STEP_SUMMARY (1 MiB).
import type { Finding } from '../model/finding.js';
import type { Report } from '../model/report.js';
import {
  compareByAction, coverageLines, coverageSummary, decisionFor, imageDigest, imageName, SEVERITIES, severityCounts, sortedFindings, sortedPackages, verdictSentence,
} from './common.js';
import type { Encoder } from './encoder.js';

/** Default bound in characters (UTF-16 units, what GitHub counts); below the PR comment limit. */
export const MARKDOWN_MAX_CHARS = 60 * 1024;
const TOP_BLOCKING = 25;

/** A table cell: one line, no markup, `|` escaped. */
export function mdCell(s: string): string {
  return s
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]~|]/g, '\\$&')
    // A zero-width space after @ keeps `@scope/name` from notifying a GitHub user or team.
    .replace(/@/g, '@\u200b')
    .trim();
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function fixText(f: Finding): string {
  return f.fixedVersions.length ? mdCell(f.fixedVersions.join(', ')) : 'no fix yet';
}

function findingRow(report: Report, f: Finding, withAction: boolean): string {
  const d = decisionFor(report.decision, f);
  return row([
    mdCell(f.id),
    f.severity,
    `${mdCell(f.package.name)} ${mdCell(f.package.version)}`,
    fixText(f),
    ...(withAction ? [d ? d.action : '-'] : []),
    String(f.layer.index),
  ]);
}

/** Appends lines while they fit in `budget` characters; returns how many lines fit. */
class Bounded {
  readonly lines: string[] = [];
  private size = 0;
  constructor(private readonly budget: number) {}
  tryAdd(line: string): boolean {
    if (this.size + line.length + 1 > this.budget) return false;
    this.lines.push(line);
    this.size += line.length + 1;
    return true;
  }
  get length(): number {
    return this.size;
  }
}

export function encodeMarkdown(report: Report, maxChars = MARKDOWN_MAX_CHARS): string {
  // Reserve room for the closing lines (truncation note, </details>).
  const out = new Bounded(maxChars - 400);
  const tail: string[] = [];
  let truncated = 0;
  const add = (line: string): boolean => out.tryAdd(line);

  add(`## portcullis: ${mdCell(imageName(report))}`);
  add('');
  add(`**${verdictSentence(report)}**`);
  add('');
  add(`Image \`${imageDigest(report).replace(/`/g, '')}\`${report.os?.prettyName ? `, ${mdCell(report.os.prettyName)}` : ''}, ${report.packages.length} packages, scanned ${report.createdAt.replace(/[^0-9TZ:.-]/g, '')}.`);
  add('');

  if (!report.findings) {
    add('<details><summary>Packages</summary>');
    add('');
    add(row(['Package', 'Version', 'Type', 'Layer']));
    add(row(['---', '---', '---', '---']));
    const pkgs = sortedPackages(report);
    let shown = 0;
    for (const p of pkgs) {
      if (!add(row([mdCell(p.name), mdCell(p.version), p.type, String(p.layer.index)]))) break;
      shown += 1;
    }
    truncated = pkgs.length - shown;
    tail.push('', '</details>');
    if (truncated) tail.push('', `_Truncated: ${truncated} more packages are in the full report._`);
    return `${[...out.lines, ...tail].join('\n')}\n`;
  }

  const summary = coverageSummary(report);
  if (summary) {
    add(`**${mdCell(summary)}**`);
    add('');
    for (const line of coverageLines(report)) add(`- ${mdCell(line)}`);
    add('');
  }

  const findings = sortedFindings(report);
  const counts = severityCounts(findings);
  const d = report.decision;
  add(row(['Severity', ...SEVERITIES.map((s) => s.charAt(0) + s.slice(1).toLowerCase()), 'Total']));
  add(row(['---', ...SEVERITIES.map(() => '---:'), '---:']));
  add(row(['Findings', ...SEVERITIES.map((s) => String(counts[s])), String(findings.length)]));
  if (d) {
    const blocked = severityCounts(findings.filter((f) => decisionFor(d, f)?.action === 'block'));
    add(row(['Blocking', ...SEVERITIES.map((s) => String(blocked[s])), String(d.counts.block)]));
  }
  add('');

  if (d) {
    const violations = [...d.imageViolations, ...d.limitViolations];
    if (violations.length) {
      add('### Policy violations');
      add('');
      for (const v of violations) add(`- **${v.action}** ${mdCell(v.rule)}: ${mdCell(v.message)}`);
      add('');
    }
    if (d.expiredExceptions.length) {
      add('### Expired exceptions');
      add('');
      for (const e of d.expiredExceptions) add(`- ${mdCell(e.id)} expired ${mdCell(e.expires)}${e.owner ? ` (owner ${mdCell(e.owner)})` : ''}: it no longer applies`);
      add('');
    }
    const blocking = findings.filter((f) => decisionFor(d, f)?.action === 'block');
    if (blocking.length) {
      add(`### Top blocking findings`);
      add('');
      add(row(['Vulnerability', 'Severity', 'Package', 'Fixed in', 'Layer']));
      add(row(['---', '---', '---', '---', '---:']));
      let shown = 0;
      for (const f of blocking.slice(0, TOP_BLOCKING)) {
        if (!add(findingRow(report, f, false))) break;
        shown += 1;
      }
      if (blocking.length > shown) add(`\n_${blocking.length - shown} more blocking findings are listed below._`);
      add('');
    }
  }

  if (findings.length) {
    const all = [...findings].sort(compareByAction(d));
    add(`<details><summary>All ${findings.length} findings</summary>`);
    add('');
    add(row(['Vulnerability', 'Severity', 'Package', 'Fixed in', ...(d ? ['Action'] : []), 'Layer']));
    add(row(['---', '---', '---', '---', ...(d ? ['---'] : []), '---:']));
    let shown = 0;
    for (const f of all) {
      if (!add(findingRow(report, f, d !== undefined))) break;
      shown += 1;
    }
    truncated = all.length - shown;
    tail.push('', '</details>');
  }
  if (report.warnings.length) tail.push('', `${report.warnings.length} scan warnings are in the full report.`);
  if (truncated) tail.push('', `_Truncated to fit: ${truncated} of ${findings.length} findings are not shown; see the full report._`);
  return `${[...out.lines, ...tail].join('\n')}\n`;
}

export const markdownEncoder: Encoder = {
  name: 'markdown',
  extension: 'md',
  mediaType: 'text/markdown; charset=utf-8',
  encode: (report) => encodeMarkdown(report),
};

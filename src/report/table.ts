// The human table for terminals and CI logs: grouped by severity, fitted to the terminal width,
// coloured only when asked (a TTY), deterministic otherwise.
import type { Finding, Severity } from '../model/finding.js';
import type { Report } from '../model/report.js';
import {
  coverageLines, coverageSummary, decisionFor, imageDigest, imageName, plural, SEVERITIES, severityCounts, sortedFindings, sortedPackages, verdictSentence,
} from './common.js';
import type { EncodeOptions, Encoder } from './encoder.js';
import { oneLine, textWidth, truncate } from './text.js';

const ESC = '\u001b[';
const STYLE = {
  reset: `${ESC}0m`, bold: `${ESC}1m`, dim: `${ESC}2m`,
  red: `${ESC}31m`, brightRed: `${ESC}91m`, yellow: `${ESC}33m`, blue: `${ESC}34m`, green: `${ESC}32m`, grey: `${ESC}90m`,
};
const SEVERITY_STYLE: Record<Severity, string> = {
  CRITICAL: STYLE.bold + STYLE.brightRed, HIGH: STYLE.red, MEDIUM: STYLE.yellow, LOW: STYLE.blue, UNKNOWN: STYLE.grey,
};
const ACTION_STYLE: Record<string, string> = { block: STYLE.bold + STYLE.red, warn: STYLE.yellow, ignore: STYLE.dim };

interface Column {
  title: string;
  /** Columns that may be cut when the terminal is narrow, in the order they give up width. */
  shrinkable: boolean;
  min: number;
}

/** `short` replaces `text` when the column is too narrow for it. */
type Cell = { text: string; style?: string; short?: string };

class Painter {
  constructor(private readonly color: boolean) {}
  paint(text: string, style?: string): string {
    return this.color && style ? `${style}${text}${STYLE.reset}` : text;
  }
}

/** Fits column widths into `total` by shrinking the widest shrinkable column first. */
export function fitWidths(natural: number[], columns: Column[], total: number | undefined, gap = 2): number[] {
  const widths = natural.map((w, i) => Math.max(w, textWidth(columns[i]!.title)));
  if (!total || total <= 0) return widths;
  const budget = total - gap * (widths.length - 1);
  let sum = widths.reduce((a, b) => a + b, 0);
  while (sum > budget) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if (columns[i]!.shrinkable && widths[i]! > columns[i]!.min && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest < 0) break; // cannot fit further: the terminal wraps
    widths[widest]! -= 1;
    sum -= 1;
  }
  return widths;
}

function renderTable(columns: Column[], rows: Cell[][], painter: Painter, width: number | undefined, groupOf?: (row: number) => string): string[] {
  const natural = columns.map((_, i) => Math.max(0, ...rows.map((r) => textWidth(r[i]!.text))));
  const widths = fitWidths(natural, columns, width);
  const line = (cells: Cell[]): string =>
    cells
      .map((c, i) => {
        const full = textWidth(c.text) <= widths[i]! || c.short === undefined ? c.text : c.short;
        const t = truncate(full, widths[i]!);
        const pad = i === cells.length - 1 ? '' : ' '.repeat(widths[i]! - textWidth(t));
        return painter.paint(t, c.style) + pad;
      })
      .join('  ')
      .trimEnd();
  const out = [painter.paint(line(columns.map((c) => ({ text: c.title }))), STYLE.bold)];
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  out.push(painter.paint(rule, STYLE.dim));
  let group: string | undefined;
  rows.forEach((r, i) => {
    const g = groupOf?.(i);
    if (group !== undefined && g !== group) out.push(painter.paint(rule, STYLE.dim));
    group = g;
    out.push(line(r));
  });
  return out;
}

function findingRow(report: Report, f: Finding): Cell[] {
  const d = decisionFor(report.decision, f);
  const cells: Cell[] = [
    { text: oneLine(f.package.name) },
    { text: oneLine(f.package.version) },
    { text: oneLine(f.id) },
    { text: `${f.severity}${f.severitySource !== 'none' ? ` (${f.severitySource})` : ''}`, short: f.severity, style: SEVERITY_STYLE[f.severity] },
    { text: f.status.replace(/_/g, ' ') },
    { text: oneLine(f.fixedVersions.join(', ')) || '-' },
  ];
  if (report.decision) cells.push({ text: d?.action ?? '-', style: d ? ACTION_STYLE[d.action] : undefined });
  cells.push({ text: String(f.layer.index) });
  return cells;
}

function findingColumns(withAction: boolean): Column[] {
  const cols: Column[] = [
    { title: 'PACKAGE', shrinkable: true, min: 6 },
    { title: 'INSTALLED', shrinkable: true, min: 6 },
    { title: 'VULNERABILITY', shrinkable: true, min: 14 },
    { title: 'SEVERITY', shrinkable: true, min: 8 },
    { title: 'STATUS', shrinkable: true, min: 5 },
    { title: 'FIXED IN', shrinkable: true, min: 5 },
  ];
  if (withAction) cols.push({ title: 'ACTION', shrinkable: false, min: 6 });
  cols.push({ title: 'LAYER', shrinkable: false, min: 5 });
  return cols;
}

function totalsLine(report: Report, findings: Finding[], painter: Painter): string {
  const counts = severityCounts(findings);
  const parts = SEVERITIES.map((s) => painter.paint(`${s} ${counts[s]}`, counts[s] ? SEVERITY_STYLE[s] : undefined));
  let line = `Total: ${findings.length} ${plural(findings.length, 'vulnerability').replace('vulnerabilitys', 'vulnerabilities')} (${parts.join(', ')})`;
  const d = report.decision;
  if (d) line += `; block ${d.counts.block}, warn ${d.counts.warn}, ignore ${d.counts.ignore}`;
  return line;
}

function encodeTable(report: Report, options: EncodeOptions = {}): string {
  const painter = new Painter(options.color === true);
  const width = options.width;
  const out: string[] = [];
  const os = report.os?.prettyName ?? report.os?.id;
  out.push(painter.paint(oneLine(`${imageName(report)} (${imageDigest(report)})`), STYLE.bold) + (os ? `  ${oneLine(os)}` : ''));
  out.push('');

  if (!report.findings) {
    const pkgs = sortedPackages(report);
    const columns: Column[] = [
      { title: 'NAME', shrinkable: true, min: 8 },
      { title: 'VERSION', shrinkable: true, min: 8 },
      { title: 'TYPE', shrinkable: false, min: 4 },
      { title: 'PATH', shrinkable: true, min: 8 },
      { title: 'LAYER', shrinkable: false, min: 5 },
    ];
    const rows = pkgs.map((p) => [
      { text: oneLine(p.name) }, { text: oneLine(p.version) }, { text: p.type }, { text: oneLine(p.path) }, { text: String(p.layer.index) },
    ]);
    if (rows.length) out.push(...renderTable(columns, rows, painter, width));
    out.push('', `Total: ${pkgs.length} ${plural(pkgs.length, 'package')}`);
  } else {
    const findings = sortedFindings(report);
    if (findings.length) {
      const rows = findings.map((f) => findingRow(report, f));
      out.push(...renderTable(findingColumns(report.decision !== undefined), rows, painter, width, (i) => findings[i]!.severity));
    } else {
      out.push('No vulnerabilities found.');
    }
    out.push('', totalsLine(report, findings, painter));
  }

  const d = report.decision;
  if (d) {
    for (const v of [...d.imageViolations, ...d.limitViolations]) {
      out.push(painter.paint(oneLine(`${v.action.toUpperCase()} ${v.rule}: ${v.message}`), ACTION_STYLE[v.action]));
    }
    for (const e of d.expiredExceptions) {
      out.push(painter.paint(oneLine(`Expired exception ${e.id} (expired ${e.expires}${e.owner ? `, owner ${e.owner}` : ''}): it no longer applies`), STYLE.yellow));
    }
  }
  const summary = coverageSummary(report);
  if (summary) {
    out.push(painter.paint(oneLine(summary), STYLE.bold));
    for (const line of coverageLines(report)) {
      if (/: covered \(/.test(line)) continue;
      out.push(painter.paint(oneLine(`  ${line}`), /accepted by/.test(line) ? STYLE.yellow : STYLE.bold + STYLE.red));
    }
  }
  for (const w of report.warnings) {
    out.push(painter.paint(oneLine(`warning [${w.code}] ${w.path ? `${w.path}: ` : ''}${w.message}`), STYLE.dim));
  }
  if (report.findings) {
    const verdict = verdictSentence(report);
    const incomplete = report.coverage && !report.coverage.complete;
    const style = incomplete || d?.blocked ? STYLE.bold + STYLE.red : d ? STYLE.bold + STYLE.green : STYLE.bold;
    out.push(painter.paint(verdict, style));
  }
  return `${out.join('\n')}\n`;
}

export const tableEncoder: Encoder = {
  name: 'table',
  extension: 'txt',
  mediaType: 'text/plain; charset=utf-8',
  encode: encodeTable,
};

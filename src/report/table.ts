// The human table for terminals and CI logs: grouped by severity, fitted to the terminal width,
// coloured only when asked (a TTY), deterministic otherwise.
import type { Finding, Severity } from '../model/finding.js';
import type { Report } from '../model/report.js';
import {
  coverageLines, coverageSummary, decisionFor, imageDigest, imageName, plural, SEVERITIES, severityCounts, sortedFindings, sortedPackages, verdictSentence,
} from './common.js';
import type { EncodeOptions, Encoder } from './encoder.js';
import { oneLine, textWidth } from './text.js';

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
  /** May wrap onto continuation lines, down to `min` wide (versions, paths). Never: names, ids. */
  wrap?: boolean;
  min: number;
  /** When even wrapped the table is too wide, columns give way lowest `drop` first; absent = kept. */
  drop?: number;
}

/** `short` replaces `text` when the column is too narrow for it. */
type Cell = { text: string; style?: string; short?: string };

class Painter {
  constructor(private readonly color: boolean) {}
  paint(text: string, style?: string): string {
    return this.color && style ? `${style}${text}${STYLE.reset}` : text;
  }
}

const GAP = 2;

export interface ColumnLayout {
  /** Indexes of the columns shown, in order. */
  shown: number[];
  /** Width of each shown column. */
  widths: number[];
  /** Titles of the columns left out to fit. */
  dropped: string[];
}

/**
 * Lays the columns out in `total` terminal columns without ever cutting a cell: a cell with a
 * short form uses it, wrapping columns shrink (widest first) to their minimum, and when that is
 * not enough the lowest-priority droppable column is left out. When nothing more can give way the
 * table is wider than `total` (the terminal wraps it) rather than a name or an id being cut.
 */
export function layoutColumns(columns: readonly Column[], rows: readonly Cell[][], total: number | undefined): ColumnLayout {
  const natural = columns.map((c, i) => Math.max(textWidth(c.title), ...rows.map((r) => textWidth(r[i]!.text))));
  const floor = columns.map((c, i) => {
    const fitted = Math.max(textWidth(c.title), ...rows.map((r) => textWidth(r[i]!.short ?? r[i]!.text)));
    return c.wrap ? Math.min(natural[i]!, Math.max(c.min, textWidth(c.title))) : fitted;
  });
  let shown = columns.map((_, i) => i);
  const dropped: string[] = [];
  for (;;) {
    const widths = shown.map((i) => natural[i]!);
    if (!total || total <= 0) return { shown, widths, dropped };
    const budget = total - GAP * (shown.length - 1);
    let sum = widths.reduce((a, b) => a + b, 0);
    // Short forms first (a severity without its source), then wrapping, widest column first.
    for (let k = 0; k < shown.length && sum > budget; k++) {
      const i = shown[k]!;
      if (!columns[i]!.wrap && floor[i]! < widths[k]!) {
        sum -= widths[k]! - floor[i]!;
        widths[k] = floor[i]!;
      }
    }
    while (sum > budget) {
      let widest = -1;
      shown.forEach((i, k) => {
        if (columns[i]!.wrap && widths[k]! > floor[i]! && (widest < 0 || widths[k]! > widths[widest]!)) widest = k;
      });
      if (widest < 0) break;
      widths[widest]! -= 1;
      sum -= 1;
    }
    if (sum <= budget) return { shown, widths, dropped };
    const candidates = shown.filter((i) => columns[i]!.drop !== undefined);
    if (candidates.length === 0) return { shown, widths, dropped };
    const victim = candidates.reduce((a, b) => (columns[b]!.drop! < columns[a]!.drop! ? b : a));
    dropped.push(columns[victim]!.title);
    shown = shown.filter((i) => i !== victim);
  }
}

const BREAK_AFTER = new Set(['-', '.', '~', '+', ':', '/', '_', ',', ')']);

/** Splits `s` into pieces at most `width` wide, at a space or after punctuation when it can. */
export function wrapCell(s: string, width: number): string[] {
  const out: string[] = [];
  let rest = [...s];
  while (rest.length > width && width > 0) {
    let cut = width;
    for (let k = width; k >= 1; k--) {
      if (rest[k] === ' ' || BREAK_AFTER.has(rest[k - 1]!)) {
        cut = k;
        break;
      }
    }
    out.push(rest.slice(0, cut).join('').trimEnd());
    rest = rest.slice(cut);
    while (rest[0] === ' ') rest = rest.slice(1);
  }
  out.push(rest.join(''));
  return out;
}

/**
 * Word-wraps one line of plain prose to `width`, continuation lines indented; a word longer than
 * the width (a digest, a path) stays whole on a line of its own rather than being cut.
 */
export function wrapProse(line: string, width: number | undefined, indent = '  '): string[] {
  if (!width || textWidth(line) <= width) return [line];
  const lead = /^ */.exec(line)![0];
  const out: string[] = [];
  let cur = lead;
  for (const w of line.slice(lead.length).split(' ').filter((x) => x !== '')) {
    if (cur.trim() === '') cur += w;
    else if (textWidth(cur) + 1 + textWidth(w) <= width) cur += ` ${w}`;
    else {
      out.push(cur);
      cur = lead + indent + w;
    }
  }
  out.push(cur);
  return out;
}

function renderTable(columns: Column[], rows: Cell[][], painter: Painter, width: number | undefined, groupOf?: (row: number) => string): string[] {
  const { shown, widths, dropped } = layoutColumns(columns, rows, width);
  const line = (cells: Cell[]): string[] => {
    const pieces = shown.map((i, k) => {
      const c = cells[i]!;
      const w = widths[k]!;
      if (textWidth(c.text) <= w) return [c.text];
      if (c.short !== undefined && textWidth(c.short) <= w) return [c.short];
      return columns[i]!.wrap ? wrapCell(c.text, w) : [c.text];
    });
    const height = Math.max(...pieces.map((p) => p.length));
    const out: string[] = [];
    for (let n = 0; n < height; n++) {
      out.push(
        pieces
          .map((p, k) => {
            const t = p[n] ?? '';
            const pad = k === pieces.length - 1 ? '' : ' '.repeat(Math.max(0, widths[k]! - textWidth(t)));
            return painter.paint(t, t ? cells[shown[k]!]!.style : undefined) + pad;
          })
          .join(' '.repeat(GAP))
          .trimEnd(),
      );
    }
    return out;
  };
  const out = line(columns.map((c) => ({ text: c.title }))).map((l) => painter.paint(l, STYLE.bold));
  const rule = widths.map((w) => '─'.repeat(w)).join(' '.repeat(GAP));
  out.push(painter.paint(rule, STYLE.dim));
  let group: string | undefined;
  rows.forEach((r, i) => {
    const g = groupOf?.(i);
    if (group !== undefined && g !== group) out.push(painter.paint(rule, STYLE.dim));
    group = g;
    out.push(...line(r));
  });
  if (dropped.length) {
    const note = `(${dropped.join(', ')} left out to fit ${width} columns: widen the terminal or set COLUMNS, or write --format table=FILE)`;
    out.push(...wrapProse(note, width).map((l) => painter.paint(l, STYLE.dim)));
  }
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
  // Package, id, severity and action are what a gate's reader needs: they are never cut or left out.
  const cols: Column[] = [
    { title: 'PACKAGE', min: 7 },
    { title: 'INSTALLED', wrap: true, min: 9, drop: 3 },
    { title: 'VULNERABILITY', min: 13 },
    { title: 'SEVERITY', min: 8 },
    { title: 'STATUS', wrap: true, min: 6, drop: 1 },
    { title: 'FIXED IN', wrap: true, min: 8, drop: 2 },
  ];
  if (withAction) cols.push({ title: 'ACTION', min: 6 });
  cols.push({ title: 'LAYER', min: 5, drop: 0 });
  return cols;
}

/** The totals: one line when it fits, else the severity counts and the policy's counts apart. */
function totalsLines(report: Report, findings: Finding[], painter: Painter, width: number | undefined): string[] {
  const counts = severityCounts(findings);
  const head = `Total: ${findings.length} ${findings.length === 1 ? 'vulnerability' : 'vulnerabilities'}`;
  const plain = `${head} (${SEVERITIES.map((s) => `${s} ${counts[s]}`).join(', ')})`;
  const painted = `${head} (${SEVERITIES.map((s) => painter.paint(`${s} ${counts[s]}`, counts[s] ? SEVERITY_STYLE[s] : undefined)).join(', ')})`;
  const d = report.decision;
  const policy = d ? `block ${d.counts.block}, warn ${d.counts.warn}, ignore ${d.counts.ignore}` : undefined;
  if (policy === undefined) return textWidth(plain) <= (width ?? Infinity) ? [painted] : wrapProse(plain, width);
  if (textWidth(`${plain}; ${policy}`) <= (width ?? Infinity)) return [`${painted}; ${policy}`];
  return [...(textWidth(plain) <= width! ? [painted] : wrapProse(plain, width)), ...wrapProse(`Policy: ${policy}`, width)];
}

/** One line of prose, wrapped to the width, each physical line painted. */
function prose(text: string, painter: Painter, width: number | undefined, style?: string): string[] {
  return wrapProse(oneLine(text), width).map((l) => painter.paint(l, style));
}

/** The image's name, digest and OS: one line when it fits, else one line each (never cut). */
function titleLines(report: Report, painter: Painter, width: number | undefined): string[] {
  const name = oneLine(imageName(report));
  const digest = `(${oneLine(imageDigest(report))})`;
  const os = report.os?.prettyName ?? report.os?.id;
  const osText = os ? oneLine(os) : undefined;
  const whole = `${name} ${digest}${osText ? `  ${osText}` : ''}`;
  if (textWidth(whole) <= (width ?? Infinity)) return [painter.paint(`${name} ${digest}`, STYLE.bold) + (osText ? `  ${osText}` : '')];
  const first = osText && textWidth(`${name}  ${osText}`) <= width! ? [painter.paint(name, STYLE.bold) + `  ${osText}`] : [painter.paint(name, STYLE.bold), ...(osText ? prose(osText, painter, width) : [])];
  return [...first, painter.paint(digest, STYLE.bold)];
}

function encodeTable(report: Report, options: EncodeOptions = {}): string {
  const painter = new Painter(options.color === true);
  const width = options.width;
  const out: string[] = [];
  out.push(...titleLines(report, painter, width));
  out.push('');

  if (!report.findings) {
    const pkgs = sortedPackages(report);
    const columns: Column[] = [
      { title: 'NAME', min: 4 },
      { title: 'VERSION', wrap: true, min: 9 },
      { title: 'TYPE', min: 4, drop: 1 },
      { title: 'PATH', wrap: true, min: 12, drop: 2 },
      { title: 'LAYER', min: 5, drop: 0 },
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
    out.push('', ...totalsLines(report, findings, painter, width));
  }

  const d = report.decision;
  if (d) {
    for (const v of [...d.imageViolations, ...d.limitViolations]) {
      out.push(...prose(`${v.action.toUpperCase()} ${v.rule}: ${v.message}`, painter, width, ACTION_STYLE[v.action]));
    }
    for (const e of d.expiredExceptions) {
      out.push(...prose(`Expired exception ${e.id} (expired ${e.expires}${e.owner ? `, owner ${e.owner}` : ''}): it no longer applies`, painter, width, STYLE.yellow));
    }
  }
  const summary = coverageSummary(report);
  if (summary) {
    out.push(...prose(summary, painter, width, STYLE.bold));
    for (const line of coverageLines(report)) {
      if (/: covered \(/.test(line)) continue;
      out.push(...prose(`  ${line}`, painter, width, /accepted by/.test(line) ? STYLE.yellow : STYLE.bold + STYLE.red));
    }
  }
  for (const w of report.warnings) {
    out.push(...prose(`warning [${w.code}] ${w.path ? `${w.path}: ` : ''}${w.message}`, painter, width, STYLE.dim));
  }
  if (report.findings) {
    const incomplete = report.coverage && !report.coverage.complete;
    const style = incomplete || d?.blocked ? STYLE.bold + STYLE.red : d ? STYLE.bold + STYLE.green : STYLE.bold;
    out.push(...prose(verdictSentence(report), painter, width, style));
  }
  return `${out.join('\n')}\n`;
}

export const tableEncoder: Encoder = {
  name: 'table',
  extension: 'txt',
  mediaType: 'text/plain; charset=utf-8',
  encode: encodeTable,
};

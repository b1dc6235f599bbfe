// One self-contained HTML file: no network, a strict CSP, the data as inert JSON rendered with
// DOM APIs (textContent), so hostile package names stay text.
import { createHash } from 'node:crypto';
import type { Report } from '../model/report.js';
import {
  advisoryUrl, bestScore, decisionFor, imageDigest, imageName, layerStep, SEVERITIES, severityCounts, sortedFindings,
  coverageLines, coverageSummary, sortedPackages, verdictOf, verdictSentence,
} from './common.js';
import type { Encoder } from './encoder.js';
import { HTML_SCRIPT, HTML_STYLE } from './html-assets.js';
import { escapeHtml } from './text.js';

const SEVERITY_COLOR: Record<string, string> = {
  CRITICAL: '#8b0000', HIGH: '#d1242f', MEDIUM: '#bf8700', LOW: '#0969da', UNKNOWN: '#6e7781',
};

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('base64');
}

/** JSON that is safe inside <script>: no `<`, `>`, `&` or line separators as raw characters. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A horizontal bar chart of findings by severity; numbers and fixed labels only. */
export function severityChart(counts: Record<string, number>): string {
  const max = Math.max(1, ...Object.values(counts));
  const rowH = 26;
  const labelW = 80;
  const barW = 260;
  const h = SEVERITIES.length * rowH + 10;
  const bars = SEVERITIES.map((s, i) => {
    const n = counts[s] ?? 0;
    const w = n ? Math.max(2, Math.round((n / max) * barW)) : 0;
    const y = 6 + i * rowH;
    return `<text x="0" y="${y + 15}">${s}</text>` +
      `<rect x="${labelW}" y="${y}" width="${w}" height="18" rx="3" fill="${SEVERITY_COLOR[s]}"><title>${s}: ${n}</title></rect>` +
      `<text x="${labelW + w + 6}" y="${y + 15}">${n}</text>`;
  }).join('');
  return `<svg class="chart" id="chart" role="img" aria-label="Findings by severity" width="${labelW + barW + 50}" height="${h}" viewBox="0 0 ${labelW + barW + 50} ${h}" xmlns="http://www.w3.org/2000/svg">${bars}</svg>`;
}

function humanSize(n: number): string {
  if (!n) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function viewData(report: Report) {
  const d = report.decision;
  const findings = report.findings ? sortedFindings(report) : undefined;
  const counts = severityCounts(findings ?? []);
  const os = report.os?.prettyName ?? report.os?.id;
  const packages = sortedPackages(report);
  const layerIndexes = [...new Set([...report.layers.map((l) => l.index), ...report.packages.map((p) => p.layer.index)])].sort((a, b) => a - b);
  // Each layer's lines, in finding (or package) order, built in one pass.
  const itemsByLayer = new Map<number, string[]>();
  const addItem = (index: number, line: string) => {
    const list = itemsByLayer.get(index);
    if (list) list.push(line);
    else itemsByLayer.set(index, [line]);
  };
  if (findings) {
    for (const f of findings) addItem(f.layer.index, `${f.severity} ${f.id} in ${f.package.name} ${f.package.version}${f.fixedVersions.length ? ` (fixed in ${f.fixedVersions.join(', ')})` : ''}`);
  } else {
    for (const p of packages) addItem(p.layer.index, `${p.name} ${p.version} (${p.type})`);
  }
  const layerByIndex = new Map(report.layers.map((l) => [l.index, l] as const));
  const layers = layerIndexes.map((index) => {
    const l = layerByIndex.get(index);
    return { index, digest: l?.digest ?? '', size: humanSize(l?.size ?? 0), createdBy: layerStep(report, index) ?? '', items: itemsByLayer.get(index) ?? [] };
  });
  const cards = findings
    ? [
        { label: 'findings', value: findings.length },
        ...(d ? [{ label: 'blocking', value: d.counts.block, cls: 'act-block' }, { label: 'warnings', value: d.counts.warn, cls: 'act-warn' }, { label: 'ignored', value: d.counts.ignore, cls: 'act-ignore' }] : []),
        { label: 'packages', value: report.packages.length },
      ]
    : [{ label: 'packages', value: report.packages.length }, { label: 'layers', value: report.layers.length }];
  const columns = findings
    ? [
        { key: 'id', title: 'Vulnerability' }, { key: 'severity', title: 'Severity' }, { key: 'pkg', title: 'Package' },
        { key: 'version', title: 'Installed' }, { key: 'status', title: 'Status' }, { key: 'fixed', title: 'Fixed in' },
        ...(d ? [{ key: 'action', title: 'Action' }] : []), { key: 'layer', title: 'Layer' },
      ]
    : [
        { key: 'pkg', title: 'Package' }, { key: 'version', title: 'Version' }, { key: 'type', title: 'Type' },
        { key: 'licenses', title: 'Licenses' }, { key: 'path', title: 'Path' }, { key: 'layer', title: 'Layer' },
      ];
  const rows = findings
    ? findings.map((f) => {
        const fd = decisionFor(d, f);
        return {
          id: f.id, severity: f.severity, score: bestScore(f)?.toFixed(1) ?? '', pkg: f.package.name, version: f.package.version,
          status: f.status.replace(/_/g, ' '), fixed: f.fixedVersions.join(', ') || '-', action: fd?.action ?? '', rule: fd ? `${fd.decidedBy} ${fd.rule}` : '',
          reason: fd?.reason ?? '', layer: f.layer.index, summary: f.summary ?? '', url: advisoryUrl(f.id), kev: f.kev !== undefined,
        };
      })
    : packages.map((p) => ({
        pkg: p.name, version: p.version, type: p.type, licenses: (p.licenses ?? []).join(', '), path: p.path, layer: p.layer.index,
      }));
  return {
    image: {
      name: imageName(report),
      meta: [imageDigest(report), os, `${report.image.config.os}/${report.image.config.architecture}`, `scanned ${report.createdAt}`, `portcullis ${report.tool.version}`].filter(Boolean).join(' \u00b7 '),
    },
    verdict: findings ? verdictOf(report) : 'inventory',
    verdictText: verdictSentence(report),
    cards,
    counts,
    hasSeverity: findings !== undefined,
    itemNoun: findings ? 'finding' : 'package',
    layers,
    columns,
    rows,
    coverage: report.coverage ? [coverageSummary(report)!, ...coverageLines(report)] : [],
    violations: d ? [...d.imageViolations, ...d.limitViolations] : [],
    expired: d?.expiredExceptions ?? [],
    warnings: report.warnings,
  };
}

function encodeHtml(report: Report): string {
  const data = viewData(report);
  const csp = [
    "default-src 'none'",
    `style-src 'sha256-${sha256(HTML_STYLE)}'`,
    `script-src 'sha256-${sha256(HTML_SCRIPT)}'`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const sevBoxes = SEVERITIES.map((s) => `<label><input type="checkbox" data-sev="${s}" checked> <span class="sev sev-${s}">${s}</span></label>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>portcullis report: ${escapeHtml(imageName(report))}</title>
<style>${HTML_STYLE}</style>
</head>
<body>
<header>
<h1 id="image-name"></h1>
<div class="meta" id="image-meta"></div>
<div class="verdict" id="verdict"></div>
<noscript><p>This report needs JavaScript to render its tables.</p></noscript>
</header>
<main>
<section class="summary">
${data.hasSeverity ? severityChart(data.counts) : ''}
<div class="cards" id="cards"></div>
</section>
<section id="coverage"><h2>Coverage</h2><ul class="plain"></ul></section>
<section id="violations"><h2>Policy violations</h2><ul class="plain"></ul></section>
<section id="expired"><h2>Expired exceptions</h2><ul class="plain"></ul></section>
<section><h2>By layer</h2><div id="layers"></div></section>
<section>
<h2>${data.hasSeverity ? 'Findings' : 'Packages'}</h2>
<div class="controls">
<input type="search" id="filter" placeholder="Filter (id, package, version, status...)" aria-label="Filter">
<span id="sev-filters">
${sevBoxes}
</span>
<span id="shown"></span>
</div>
<table id="findings"><thead id="thead"></thead><tbody id="tbody"></tbody></table>
</section>
<section id="warnings"><h2>Scan warnings</h2><ul class="plain"></ul></section>
</main>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${HTML_SCRIPT}</script>
</body>
</html>
`;
}

export const htmlEncoder: Encoder = {
  name: 'html',
  extension: 'html',
  mediaType: 'text/html; charset=utf-8',
  encode: encodeHtml,
};

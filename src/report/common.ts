// Facts every encoder derives the same way from a Report: order, decisions, counts, verdict.
import type { Action, Decision, FindingDecision } from '../model/decision.js';
import { findingKey, SEVERITIES, type Finding, type Severity } from '../model/finding.js';
import type { Package } from '../model/package.js';
import { comparePackages } from '../model/package-order.js';
import type { Report } from '../model/report.js';

const SEVERITY_RANK: Record<Severity, number> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3, UNKNOWN: 4 };
const ACTION_RANK: Record<Action, number> = { block: 0, warn: 1, ignore: 2 };

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITY_RANK[a] - SEVERITY_RANK[b];
}

/** Deterministic finding order: severity (CRITICAL first), id, package, version, path. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareSeverity(a.severity, b.severity) ||
    cmp(a.id, b.id) ||
    cmp(a.package.name, b.package.name) ||
    cmp(a.package.version, b.package.version) ||
    cmp(a.package.path, b.package.path) ||
    cmp(a.package.purl, b.package.purl)
  );
}

export function sortedFindings(report: Report): Finding[] {
  return [...(report.findings ?? [])].sort(compareFindings);
}

/** The findings grouped by vulnerability id, ids sorted, each group in finding order. */
export function findingsById(report: Report): [string, Finding[]][] {
  const byId = new Map<string, Finding[]>();
  for (const f of sortedFindings(report)) {
    const list = byId.get(f.id);
    if (list) list.push(f);
    else byId.set(f.id, [f]);
  }
  return [...byId].sort(([a], [b]) => cmp(a, b));
}

/** Blocking first, then warn, ignore, undecided; within each the finding order. */
export function compareByAction(decision: Decision | undefined) {
  return (a: Finding, b: Finding): number => {
    const ra = actionRank(decisionFor(decision, a));
    const rb = actionRank(decisionFor(decision, b));
    return ra - rb || compareFindings(a, b);
  };
}

function actionRank(d: FindingDecision | undefined): number {
  return d ? ACTION_RANK[d.action] : 3;
}

export function sortedPackages(report: Report): Package[] {
  return [...report.packages].sort(comparePackages);
}

export function decisionFor(decision: Decision | undefined, f: Finding): FindingDecision | undefined {
  return decision?.byFinding[findingKey(f)];
}

export function severityCounts(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

/** `incomplete`: something was not checked and no one accepted that; the scan exits 2, never a pass. */
export type Verdict = 'blocked' | 'passed' | 'undecided' | 'incomplete';

export function verdictOf(report: Report): Verdict {
  if (report.coverage && !report.coverage.complete) return 'incomplete';
  if (!report.decision) return 'undecided';
  return report.decision.blocked ? 'blocked' : 'passed';
}

/** Ecosystem entries and OS package databases that were not checked and not accepted. */
export function coverageGapCount(report: Report): number {
  const c = report.coverage;
  if (!c) return 0;
  return c.ecosystems.filter((e) => e.status !== 'covered' && !e.accepted).length + c.unread.filter((u) => u.kind === 'os-pkgdb' && !u.accepted).length;
}

/** One line per ecosystem: `Debian:12 88 packages: covered (osv:Debian, 1,234 records, data 2026-12-05)`. */
export function coverageLines(report: Report): string[] {
  const c = report.coverage;
  if (!c) return [];
  const out = c.ecosystems.map((e) => {
    const n = `${e.packages} ${plural(e.packages, 'package')}`;
    if (e.status === 'covered') {
      const facts = [e.sources.join(', '), `${e.records.toLocaleString('en-US')} records`, e.dataDate ? `data ${e.dataDate.slice(0, 10)}` : ''].filter(Boolean).join(', ');
      return `${e.ecosystem} ${n}: covered (${facts})`;
    }
    const acc = e.accepted ? ` — accepted by ${e.accepted.by === 'flag' ? '--allow-uncovered' : e.accepted.source}` : '';
    return `${e.ecosystem} ${n}: ${e.status.toUpperCase()}${e.reason ? ` (${e.reason})` : ''}${acc}`;
  });
  for (const u of c.unread) {
    const acc = u.accepted ? ` — accepted by ${u.accepted.by === 'flag' ? '--allow-uncovered' : u.accepted.source}` : '';
    out.push(`${u.kind === 'os-pkgdb' ? 'OS package database' : 'manifest'} ${u.path} NOT READ (${u.code}: ${u.reason})${acc}`);
  }
  if (c.unchecked.length) out.push(`${c.unchecked.length} ${plural(c.unchecked.length, 'package')} NOT CHECKED (${[...new Set(c.unchecked.map((u) => u.code))].join(', ')})`);
  return out;
}

/** One line: what the scan covered, for a summary (table, markdown). */
export function coverageSummary(report: Report): string | undefined {
  const c = report.coverage;
  if (!c) return undefined;
  const covered = c.ecosystems.filter((e) => e.status === 'covered');
  const pkgs = covered.reduce((n, e) => n + e.packages, 0);
  const gaps = coverageGapCount(report);
  const accepted = c.ecosystems.filter((e) => e.accepted).length + c.unread.filter((u) => u.accepted).length;
  const parts = [`${pkgs} ${plural(pkgs, 'package')} in ${covered.length} covered ${plural(covered.length, 'ecosystem')}`];
  if (gaps) parts.push(`${gaps} not checked`);
  if (accepted) parts.push(`${accepted} accepted ${plural(accepted, 'gap')}`);
  const manifests = c.unread.filter((u) => u.kind === 'manifest').length;
  if (manifests) parts.push(`${manifests} unread ${plural(manifests, 'manifest')}`);
  if (c.unchecked.length) parts.push(`${c.unchecked.length} unchecked ${plural(c.unchecked.length, 'package')}`);
  return `Coverage: ${parts.join(', ')}`;
}

/** One sentence saying what the run concluded, without emoji. */
export function verdictSentence(report: Report): string {
  const d = report.decision;
  const n = report.findings?.length ?? 0;
  if (!report.findings) return `Inventory only: ${report.packages.length} packages, no vulnerability scan.`;
  const gaps = coverageGapCount(report);
  if (gaps) return `INCOMPLETE: ${gaps} ${plural(gaps, 'part')} of the image ${gaps === 1 ? 'was' : 'were'} not checked, so this is not a pass (${n} ${plural(n, 'finding')} in what was checked).`;
  if (!d) return `No policy decision: ${n} ${plural(n, 'finding')} reported.`;
  const blockers = d.counts.block + d.imageViolations.filter((v) => v.action === 'block').length +
    d.limitViolations.filter((v) => v.action === 'block').length;
  if (d.blocked) return `BLOCKED: ${blockers} ${plural(blockers, 'item')} blocked by policy (${n} ${plural(n, 'finding')} in total).`;
  return `PASSED: nothing is blocked by policy (${n} ${plural(n, 'finding')}, ${d.counts.warn} ${plural(d.counts.warn, 'warning')}).`;
}

export function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

/** Human name of the scanned image: a tag, the repository, or what the user named. */
export function imageName(report: Report): string {
  return report.image.tags[0] ?? report.image.repository ?? report.image.source;
}

export function imageDigest(report: Report): string {
  return report.image.manifestDigest ?? report.image.configDigest;
}

/** The best CVSS score of a finding, when one is known. */
export function bestScore(f: Finding): number | undefined {
  const scores = f.cvss.map((c) => c.score).filter((s) => Number.isFinite(s));
  return scores.length ? Math.max(...scores) : undefined;
}

/** Severity for a CVSS base score (the FIRST qualitative scale). */
export function severityForScore(score: number): 'critical' | 'high' | 'medium' | 'low' | 'none' {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'none';
}

/** A web page describing the vulnerability id (CVE → NVD, GHSA → GitHub, else OSV). */
export function advisoryUrl(id: string): string {
  if (/^CVE-\d{4}-\d+$/.test(id)) return `https://nvd.nist.gov/vuln/detail/${id}`;
  if (/^GHSA-/.test(id)) return `https://github.com/advisories/${id}`;
  return `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

/** Unique by first occurrence; keeps order. */
export function unique<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

/**
 * Resolves each package's `dependsOn` entries (purls, or names of the same type when unambiguous)
 * to the ids of packages in the same report, self-references dropped, unique and sorted. Only
 * packages that declare dependencies get an entry.
 */
export function resolveDependsOn(packages: readonly Package[], idOf: Map<Package, string>): Map<Package, string[]> {
  const byPurl = new Map<string, string>();
  const byName = new Map<string, string[]>();
  for (const p of packages) {
    if (p.purl && !byPurl.has(p.purl)) byPurl.set(p.purl, idOf.get(p)!);
    const key = `${p.type}|${p.name}`;
    const list = byName.get(key);
    if (list) list.push(idOf.get(p)!);
    else byName.set(key, [idOf.get(p)!]);
  }
  const out = new Map<Package, string[]>();
  for (const p of packages) {
    if (!p.dependsOn) continue;
    const own = idOf.get(p);
    const deps = p.dependsOn.map((d) => {
      const named = byName.get(`${p.type}|${d}`);
      return byPurl.get(d) ?? (named?.length === 1 ? named[0] : undefined);
    });
    out.set(p, unique(deps.filter((r): r is string => r !== undefined && r !== own)).sort());
  }
  return out;
}

/** The history step text for a layer index, from the layer refs or the image config history. */
export function layerStep(report: Report, index: number): string | undefined {
  const layer = report.layers.find((l) => l.index === index);
  if (layer?.createdBy) return layer.createdBy;
  return report.image.config.history.find((h) => h.layerIndex === index)?.createdBy;
}

export { SEVERITIES };

/** The property name / annotation prefix that carries one unread file in an SBOM we write. */
export const UNREAD_MARK = 'portcullis:unread';

/**
 * Package files the inventory found but did not read (a scan's coverage, or an sbom's own list),
 * as the SBOM encoders carry them: one JSON object each, without any acceptance (that is the
 * deciding policy's, not the document's).
 */
export function unreadForSbom(report: Report): string[] {
  const list = report.coverage?.unread ?? report.unread ?? [];
  return list.map((u) => JSON.stringify({ path: u.path, cataloger: u.cataloger, kind: u.kind, code: u.code, reason: u.reason, ...(u.layer !== undefined ? { layer: u.layer } : {}) }));
}

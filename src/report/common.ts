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

export type Verdict = 'blocked' | 'passed' | 'undecided';

export function verdictOf(report: Report): Verdict {
  if (!report.decision) return 'undecided';
  return report.decision.blocked ? 'blocked' : 'passed';
}

/** One sentence saying what the run concluded, without emoji. */
export function verdictSentence(report: Report): string {
  const d = report.decision;
  const n = report.findings?.length ?? 0;
  if (!report.findings) return `Inventory only: ${report.packages.length} packages, no vulnerability scan.`;
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

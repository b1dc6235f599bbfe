// Turns findings + policies (+ VEX, ignore file, baseline) into a go / no-go Decision.
// Per finding, in order: VEX not_affected/fixed -> ignore file -> policy exception -> first
// matching rule -> default `warn`. Then the baseline downgrades pre-existing blocks to warn, and
// limits count what is left.
import type { Action, Decision, ExpiredException, FindingDecision, Violation } from '../model/decision.js';
import { findingKey, type Finding } from '../model/finding.js';
import type { Report } from '../model/report.js';
import { BaselineIndex } from './baseline.js';
import { coverageViolations } from './coverage.js';
import { findingContext, imageContext, type ContextOptions, type FindingContext } from './context.js';
import { isExpired } from './expiry.js';
import { truthy } from './logic/compile.js';
import { purlMatches } from './purl-match.js';
import type { IgnoreEntry, PolicyException, PolicySet, VexDocument, VexStatement } from './types.js';
import { statementCovers } from './vex.js';

export interface DecideOptions extends ContextOptions {
  vex?: VexDocument[];
  ignore?: IgnoreEntry[];
  baseline?: Report;
}

function indexBy<T>(items: T[], keys: (t: T) => string[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const item of items) {
    for (const k of new Set(keys(item))) {
      const list = m.get(k);
      if (list) list.push(item);
      else m.set(k, [item]);
    }
  }
  return m;
}

function candidates<T>(index: Map<string, T[]>, f: Finding): T[] {
  const hit = index.get(f.id);
  if (f.aliases.length === 0) return hit ?? [];
  const out = new Set<T>(hit ?? []);
  for (const a of f.aliases) for (const t of index.get(a) ?? []) out.add(t);
  return [...out];
}

/** Does an exception's optional scope (package, purl, version, path) cover this finding? */
export function exceptionScopeCovers(e: PolicyException, f: Finding): boolean {
  const p = f.package;
  if (e.package !== undefined && e.package !== p.name && e.package !== p.sourceName) return false;
  if (e.purl !== undefined && !purlMatches(e.purl, p.purl)) return false;
  if (e.version !== undefined && e.version !== p.version) return false;
  if (e.path !== undefined && e.path !== p.path) return false;
  return true;
}

function vexReason(s: VexStatement): string {
  return [`VEX ${s.status}`, s.justification, s.detail].filter(Boolean).join(': ');
}

export function decide(report: Report, policies: PolicySet, opts: DecideOptions = {}): Decision {
  const now = opts.now ?? new Date();
  const ctxOpts: ContextOptions = { now, baseLayerCount: opts.baseLayerCount };
  const findings = report.findings ?? [];

  const vexStatements = (opts.vex ?? []).flatMap((d) => d.statements.map((s) => ({ s, source: d.source })));
  const vexIndex = indexBy(vexStatements, ({ s }) => [s.vulnerability, ...s.aliases]);
  const vexOrder = new Map(vexStatements.map((v, i) => [v, i]));
  const ignoreIndex = indexBy(opts.ignore ?? [], (e) => [e.id]);
  const exceptionIndex = indexBy(policies.exceptions, (e) => [e.id]);
  const baseline = opts.baseline ? new BaselineIndex(opts.baseline) : undefined;

  const expiredExceptions: ExpiredException[] = [];
  for (const e of policies.exceptions) {
    if (isExpired(e.expires, now)) expiredExceptions.push({ id: e.id, expires: e.expires, reason: e.reason, owner: e.owner, source: `${e.source}:${e.line}` });
  }
  for (const e of opts.ignore ?? []) {
    if (e.expires && isExpired(e.expires, now)) expiredExceptions.push({ id: e.id, expires: e.expires, source: `${e.source}:${e.line}` });
  }

  const byFinding: Record<string, FindingDecision> = {};
  const contexts: (FindingContext | undefined)[] = new Array(findings.length);
  const decisions: FindingDecision[] = new Array(findings.length);
  const ctxOf = (i: number): FindingContext => (contexts[i] ??= findingContext(findings[i]!, ctxOpts));

  for (let i = 0; i < findings.length; i++) {
    const f = findings[i]!;
    const notes: string[] = [];
    let d: FindingDecision | undefined;

    // VEX: the latest statement about this finding decides whether it is suppressed.
    const covering = candidates(vexIndex, f).filter(({ s }) => statementCovers(s, f, report.image));
    if (covering.length) {
      const latest = covering.reduce((a, b) => (vexOrder.get(b)! > vexOrder.get(a)! ? b : a));
      if (latest.s.status === 'not_affected' || latest.s.status === 'fixed') {
        d = { action: 'ignore', decidedBy: 'vex', rule: latest.s.ref, source: latest.source, reason: vexReason(latest.s) };
      } else {
        notes.push(`${vexReason(latest.s)} (${latest.s.ref}; does not suppress)`);
      }
    }

    if (!d) {
      for (const e of candidates(ignoreIndex, f)) {
        if (e.expires && isExpired(e.expires, now)) {
          notes.push(`ignore entry ${e.source}:${e.line} expired on ${e.expires}`);
          continue;
        }
        d = { action: 'ignore', decidedBy: 'ignorefile', rule: e.id, source: `${e.source}:${e.line}`, reason: e.expires ? `listed in ignore file until ${e.expires}` : 'listed in ignore file' };
        break;
      }
    }

    if (!d) {
      for (const e of candidates(exceptionIndex, f)) {
        if (!exceptionScopeCovers(e, f)) continue;
        if (isExpired(e.expires, now)) {
          notes.push(`exception ${e.id} (${e.source}:${e.line}) expired on ${e.expires}`);
          continue;
        }
        const who = e.owner ? `; owner ${e.owner}` : '';
        d = { action: 'ignore', decidedBy: 'exception', rule: e.id, source: `${e.source}:${e.line}`, reason: `${e.reason} (until ${e.expires}${who})` };
        break;
      }
    }

    if (!d) {
      const ctx = ctxOf(i);
      for (const r of policies.rules) {
        if (truthy(r.test(ctx))) {
          d = { action: r.action, decidedBy: 'rule', rule: r.id, source: r.source, reason: r.description ?? `matched rule ${r.id}` };
          break;
        }
      }
    }

    d ??= { action: 'warn', decidedBy: 'default', rule: 'default', reason: 'no rule matched (default: warn)' };

    if (baseline?.has(f)) {
      d.preExisting = true;
      if (d.action === 'block') {
        d = { ...d, action: 'warn', decidedBy: 'baseline', reason: `in the baseline, so it cannot block (rule ${d.rule} would block: ${d.reason ?? ''})` };
      }
    }
    if (notes.length) d.reason = [d.reason, ...notes].filter(Boolean).join('; ');
    decisions[i] = d;
  }

  const limitViolations: Violation[] = [];
  for (const l of policies.limits) {
    const matched: number[] = [];
    for (let i = 0; i < findings.length; i++) {
      const d = decisions[i]!;
      if (d.action === 'ignore' || d.preExisting) continue;
      if (truthy(l.test(ctxOf(i)))) matched.push(i);
    }
    if (matched.length <= l.max) continue;
    const message = `${matched.length} findings match limit ${l.id} (at most ${l.max})${l.description ? `: ${l.description}` : ''}`;
    limitViolations.push({ rule: l.id, action: l.action, message, source: l.source });
    if (l.action !== 'block') continue;
    for (const i of matched) {
      const d = decisions[i]!;
      if (d.action !== 'block') decisions[i] = { ...d, action: 'block', decidedBy: 'limit', rule: l.id, source: l.source, reason: message };
    }
  }

  const imageViolations: Violation[] = [];
  if (policies.imageRules.length) {
    const ictx = imageContext(report, ctxOpts);
    for (const r of policies.imageRules) {
      if (truthy(r.test(ictx))) imageViolations.push({ rule: r.id, action: r.action, message: r.description ?? `image rule ${r.id} matched`, source: r.source });
    }
  }

  // Gaps that do not make the scan incomplete (unread manifests, unchecked packages) are the
  // policy's to decide, like image facts.
  if (report.coverage) imageViolations.push(...coverageViolations(report.coverage, policies.coverage));

  const counts: Record<Action, number> = { block: 0, warn: 0, ignore: 0 };
  for (let i = 0; i < findings.length; i++) {
    const d = decisions[i]!;
    counts[d.action]++;
    const key = findingKey(findings[i]!);
    const prev = byFinding[key];
    // The same key twice (duplicate input): keep the stricter decision.
    if (!prev || rank(d.action) > rank(prev.action)) byFinding[key] = d;
  }

  const blocked = counts.block > 0 || imageViolations.some((v) => v.action === 'block') || limitViolations.some((v) => v.action === 'block');
  return {
    blocked,
    byFinding,
    imageViolations,
    limitViolations,
    expiredExceptions,
    policies: policies.policies.map((p) => p.source),
    counts,
  };
}

function rank(a: Action): number {
  return a === 'block' ? 2 : a === 'warn' ? 1 : 0;
}

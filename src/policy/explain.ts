// `policy explain`: why a finding in a report got its action, with the values the rule saw.
import type { Decision, FindingDecision } from '../model/decision.js';
import { findingKey, type Finding } from '../model/finding.js';
import type { Report } from '../model/report.js';
import { findingContext } from './context.js';
import { truthy } from './logic/compile.js';
import type { PolicySet } from './types.js';

/** The `var` paths an expression reads (literal paths only), in order of appearance. */
export function varsUsed(logic: unknown, out: string[] = []): string[] {
  if (Array.isArray(logic)) {
    for (const l of logic) varsUsed(l, out);
  } else if (logic !== null && typeof logic === 'object') {
    for (const [op, arg] of Object.entries(logic)) {
      const args = Array.isArray(arg) ? arg : [arg];
      if (op === 'var' && typeof args[0] === 'string') {
        if (!out.includes(args[0])) out.push(args[0]);
      } else if (['some', 'all', 'none', 'map', 'filter', 'reduce'].includes(op)) {
        // Inner expressions read the array elements, not the context: show the array itself.
        varsUsed(args[0], out);
      } else varsUsed(args, out);
    }
  }
  return out;
}

function valueAt(data: unknown, path: string): unknown {
  let cur = data;
  for (const seg of path.split('.')) {
    if (cur === null || cur === undefined) return null;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur === undefined ? null : cur;
}

export function findFindings(report: Report, query: string): Finding[] {
  return (report.findings ?? []).filter((f) => f.id === query || f.aliases.includes(query) || findingKey(f) === query);
}

/** Human text for one finding. `policies` (reloaded) is optional: without it only the decision shows. */
export function explainFinding(f: Finding, report: Report & { decision: Decision }, policies: PolicySet | undefined, policyNote?: string): string {
  const d: FindingDecision | undefined = report.decision.byFinding[findingKey(f)];
  const lines = [`${f.id} in ${f.package.name} ${f.package.version} (${f.package.purl}) at ${f.package.path}`];
  if (f.aliases.length) lines.push(`  aliases:    ${f.aliases.join(', ')}`);
  if (!d) {
    lines.push('  the report\'s decision has no entry for this finding');
    return lines.join('\n');
  }
  lines.push(`  action:     ${d.action}${d.preExisting ? ' (pre-existing: in the baseline)' : ''}`);
  lines.push(`  decided by: ${d.decidedBy} ${d.rule}`);
  if (d.source) lines.push(`  source:     ${d.source}`);
  if (d.reason) lines.push(`  reason:     ${d.reason}`);

  // Rules and limits can be shown with the context values they test.
  if ((d.decidedBy === 'rule' || d.decidedBy === 'baseline' || d.decidedBy === 'limit') && d.rule !== 'default') {
    if (!policies) {
      if (policyNote) lines.push(`  (${policyNote})`);
      return lines.join('\n');
    }
    const item = [...policies.rules, ...policies.limits].find((r) => r.id === d.rule && (!d.source || r.source === d.source));
    if (!item) {
      lines.push(`  (rule ${d.rule} is not in the policies loaded now: ${policies.policies.map((p) => p.source).join(', ') || 'none'})`);
      return lines.join('\n');
    }
    const now = new Date(report.createdAt);
    const ctx = findingContext(f, { now: Number.isNaN(now.getTime()) ? new Date() : now });
    lines.push(`  rule file:  ${item.file}:${item.line}:${item.column}`);
    lines.push(`  when:       ${JSON.stringify(item.when)}`);
    if (JSON.stringify(item.when) !== JSON.stringify(item.logic)) lines.push(`  json-logic: ${JSON.stringify(item.logic)}`);
    const vars = varsUsed(item.logic);
    if (vars.length) {
      lines.push('  matched on:');
      for (const v of vars) lines.push(`    ${v} = ${JSON.stringify(valueAt(ctx, v))}`);
    }
    if (!truthy(item.test(ctx))) {
      lines.push('  note: the rule does not match this finding now (policy or context changed since the report, e.g. layer.base needs the base layer count)');
    }
  }
  return lines.join('\n');
}

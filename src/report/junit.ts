// JUnit XML for CI test-report views: a suite per deciding rule (per severity without a policy),
// a test case per finding; what blocks fails, what is ignored is skipped.
import type { Finding } from '../model/finding.js';
import type { Report } from '../model/report.js';
import { coverageSummary, decisionFor, imageName, SEVERITIES, sortedFindings, verdictOf } from './common.js';
import type { Encoder } from './encoder.js';
import { xmlAttr, xmlText } from './xml.js';

interface Case {
  name: string;
  classname: string;
  outcome: 'pass' | 'failure' | 'skipped';
  message?: string;
  details?: string;
}

interface Suite {
  name: string;
  cases: Case[];
}

/** Ant's schema wants `YYYY-MM-DDThh:mm:ss` without zone; we write UTC. */
function antTimestamp(s: string): string {
  const t = Date.parse(s);
  return (Number.isNaN(t) ? new Date(0) : new Date(t)).toISOString().slice(0, 19);
}

function findingCase(report: Report, f: Finding): Case {
  const d = decisionFor(report.decision, f);
  const fix = f.fixedVersions.length ? `fixed in ${f.fixedVersions.join(', ')}` : 'no fix available';
  const details = [
    `${f.id}${f.aliases.length ? ` (${f.aliases.join(', ')})` : ''}${f.summary ? `: ${f.summary}` : ''}`,
    `package: ${f.package.name} ${f.package.version} (${f.package.purl})`,
    `path: ${f.package.path}`,
    `severity: ${f.severity} (${f.severitySource})${f.cvss[0] ? `, CVSS ${f.cvss[0].score} ${f.cvss[0].vector}` : ''}`,
    `status: ${f.status}, ${fix}`,
    `layer ${f.layer.index}${f.layer.createdBy ? `: ${f.layer.createdBy}` : ''}`,
    ...(f.kev ? [`known exploited (CISA KEV) since ${f.kev.dateAdded}`] : []),
    ...(d ? [`policy: ${d.action} by ${d.decidedBy} ${d.rule}${d.source ? ` (${d.source})` : ''}${d.reason ? `: ${d.reason}` : ''}`] : []),
    ...f.references.map((r) => `see ${r}`),
  ].join('\n');
  const outcome = d?.action === 'block' ? 'failure' : d?.action === 'ignore' ? 'skipped' : 'pass';
  const message = outcome === 'skipped'
    ? `ignored by ${d!.decidedBy} ${d!.rule}${d!.reason ? `: ${d!.reason}` : ''}`
    : `${f.severity} ${f.id} in ${f.package.name} ${f.package.version}: ${fix}`;
  return {
    name: `${f.id} ${f.package.name}@${f.package.version}`,
    classname: `${f.package.type}.${f.package.name}`,
    outcome,
    message,
    details,
  };
}

function suites(report: Report): Suite[] {
  const findings = sortedFindings(report);
  const groups = new Map<string, Case[]>();
  const add = (name: string, c: Case): void => void groups.set(name, [...(groups.get(name) ?? []), c]);
  if (report.decision) {
    for (const f of findings) {
      const d = decisionFor(report.decision, f);
      add(d ? `${d.decidedBy}: ${d.rule}` : 'undecided', findingCase(report, f));
    }
    for (const v of [...report.decision.imageViolations, ...report.decision.limitViolations]) {
      add(`image: ${v.rule}`, {
        name: `${v.rule}: ${v.message}`,
        classname: 'image',
        outcome: v.action === 'block' ? 'failure' : v.action === 'ignore' ? 'skipped' : 'pass',
        message: v.message,
        details: `${v.action} by ${v.rule}${v.source ? ` (${v.source})` : ''}: ${v.message}`,
      });
    }
    return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, cases]) => ({ name, cases }));
  }
  for (const f of findings) add(f.severity, findingCase(report, f));
  return SEVERITIES.filter((s) => groups.has(s)).map((s) => ({ name: s, cases: groups.get(s)! }));
}

function encodeJunit(report: Report): string {
  const all = suites(report);
  const count = (cs: Case[], o: Case['outcome']): number => cs.filter((c) => c.outcome === o).length;
  const cases = all.flatMap((s) => s.cases);
  const stamp = antTimestamp(report.createdAt);
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(
    `<testsuites name="${xmlAttr(`portcullis ${imageName(report)}`)}" tests="${cases.length}" failures="${count(cases, 'failure')}" errors="0" time="0">`,
  );
  all.forEach((s, id) => {
    lines.push(
      `  <testsuite name="${xmlAttr(s.name)}" package="portcullis" id="${id}" timestamp="${stamp}" hostname="portcullis" tests="${s.cases.length}" failures="${count(s.cases, 'failure')}" errors="0" skipped="${count(s.cases, 'skipped')}" time="0">`,
      '    <properties>',
      `      <property name="image" value="${xmlAttr(imageName(report))}"/>`,
      `      <property name="verdict" value="${verdictOf(report)}"/>`,
      ...(report.coverage
        ? [
            `      <property name="coverage" value="${xmlAttr(coverageSummary(report)!)}"/>`,
            `      <property name="coverage.complete" value="${report.coverage.complete}"/>`,
          ]
        : []),
      '    </properties>',
    );
    for (const c of s.cases) {
      const open = `    <testcase name="${xmlAttr(c.name)}" classname="${xmlAttr(c.classname)}" time="0"`;
      if (c.outcome === 'pass') {
        lines.push(`${open}/>`);
      } else {
        const tag = c.outcome === 'failure' ? `failure type="${c.classname === 'image' ? 'policy' : 'vulnerability'}"` : 'skipped';
        const el = c.outcome === 'failure' ? 'failure' : 'skipped';
        lines.push(`${open}>`, `      <${tag} message="${xmlAttr(c.message ?? '')}">${xmlText(c.details ?? '')}</${el}>`, '    </testcase>');
      }
    }
    lines.push('    <system-out/>', '    <system-err/>', '  </testsuite>');
  });
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

export const junitEncoder: Encoder = {
  name: 'junit',
  extension: 'xml',
  mediaType: 'application/xml',
  encode: encodeJunit,
};

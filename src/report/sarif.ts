// SARIF 2.1.0 as GitHub code scanning reads it: one rule per vulnerability id, one result per
// finding located at the file in the image the package was read from.
import { createHash } from 'node:crypto';
import type { Action } from '../model/decision.js';
import { findingKey, type Finding, type Severity } from '../model/finding.js';
import type { Report } from '../model/report.js';
import {
  advisoryUrl, bestScore, decisionFor, imageDigest, imageName, severityCounts, findingsById, sortedFindings, unique, verdictOf,
} from './common.js';
import type { Encoder } from './encoder.js';
import { mdCell as mdEscape } from './markdown.js';

const INFORMATION_URI = 'https://github.com/portcullis-scanner/portcullis';
/** The image's root filesystem; results are relative to it. */
const URI_BASE_ID = 'IMAGE_ROOT';

/** GitHub maps security-severity to its levels: >= 9 critical, >= 7 high, >= 4 medium, else low. */
const SEVERITY_SCORE: Partial<Record<Severity, string>> = { CRITICAL: '9.5', HIGH: '8.0', MEDIUM: '5.5', LOW: '2.0' };

type Level = 'error' | 'warning' | 'note';

function levelFor(report: Report, f: Finding): Level {
  const action: Action | undefined = decisionFor(report.decision, f)?.action;
  if (report.decision) return action === 'block' ? 'error' : action === 'warn' ? 'warning' : 'note';
  // Without a policy, the severity speaks.
  return f.severity === 'CRITICAL' || f.severity === 'HIGH' ? 'error' : f.severity === 'MEDIUM' ? 'warning' : 'note';
}

function securitySeverity(f: Finding): string | undefined {
  const score = bestScore(f);
  return score !== undefined ? score.toFixed(1) : SEVERITY_SCORE[f.severity];
}

/** A relative URI reference for an absolute image path (each segment percent-encoded). */
export function imagePathUri(path: string): string {
  return path.split('/').filter((s) => s !== '' && s !== '.' && s !== '..').map(encodeURIComponent).join('/') || '.';
}


function ruleFor(id: string, findings: Finding[]) {
  const f = findings[0]!;
  const pkgs = unique(findings.map((x) => `${x.package.name} ${x.package.version}`));
  const fixed = unique(findings.flatMap((x) => x.fixedVersions));
  const refs = unique(findings.flatMap((x) => x.references));
  const summary = f.summary ?? `${id} in ${f.package.name}`;
  const worst = findings.reduce((a, b) => ((bestScore(b) ?? 0) > (bestScore(a) ?? 0) ? b : a));
  const text = [
    `Vulnerability ${id}${f.aliases.length ? ` (also ${f.aliases.join(', ')})` : ''}: ${summary}`,
    `Severity: ${f.severity}`,
    `Packages: ${pkgs.join('; ')}`,
    `Fixed versions: ${fixed.length ? fixed.join(', ') : 'none yet'}`,
    ...(refs.length ? ['References:', ...refs.map((r) => `- ${r}`)] : []),
  ].join('\n');
  const markdown = [
    `**${mdEscape(id)}**${f.aliases.length ? ` (also ${f.aliases.map(mdEscape).join(', ')})` : ''}: ${mdEscape(summary)}`,
    '',
    '| Package | Installed | Fixed in |',
    '| --- | --- | --- |',
    ...findings.map((x) => `| ${mdEscape(x.package.name)} | ${mdEscape(x.package.version)} | ${x.fixedVersions.length ? mdEscape(x.fixedVersions.join(', ')) : 'no fix yet'} |`),
    '',
    ...(refs.length ? ['References:', '', ...refs.map((r) => `- <${r.replace(/[<>\s]/g, encodeURIComponent)}>`)] : []),
  ].join('\n');
  const severity = securitySeverity(worst);
  return {
    id,
    name: id.replace(/[^A-Za-z0-9]/g, ''),
    shortDescription: { text: `${id}: ${summary}`.slice(0, 1000) },
    fullDescription: { text: f.summary ?? summary },
    helpUri: advisoryUrl(id),
    help: { text, markdown },
    defaultConfiguration: { level: 'warning' as Level },
    properties: {
      ...(severity ? { 'security-severity': severity } : {}),
      tags: unique(['security', 'vulnerability', f.severity.toLowerCase(), ...findings.map((x) => x.package.type)]),
      precision: 'very-high',
    },
  };
}

function encodeSarif(report: Report): string {
  const findings = sortedFindings(report);
  const groups = findingsById(report);
  const ruleIds = groups.map(([id]) => id);
  const rules = groups.map(([id, fs]) => ruleFor(id, fs));
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]));

  const results = findings.map((f) => {
    const d = decisionFor(report.decision, f);
    const fix = f.fixedVersions.length ? `fixed in ${f.fixedVersions.join(', ')}` : 'no fix available';
    const message = `${f.id} (${f.severity}) in ${f.package.name} ${f.package.version}: ${fix}` +
      `${d ? `; policy: ${d.action} (${d.decidedBy} ${d.rule})` : ''}. Introduced by layer ${f.layer.index}` +
      `${f.layer.createdBy ? `: ${f.layer.createdBy}` : ''}.`;
    const result: Record<string, unknown> = {
      ruleId: f.id,
      ruleIndex: ruleIndex.get(f.id),
      level: levelFor(report, f),
      kind: 'fail',
      message: { text: message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: imagePathUri(f.package.path), uriBaseId: URI_BASE_ID },
            region: { startLine: 1 },
          },
          logicalLocations: [{ name: f.package.name, fullyQualifiedName: f.package.purl, kind: 'package' }],
        },
      ],
      partialFingerprints: {
        'portcullisFinding/v1': createHash('sha256').update(findingKey(f)).digest('hex'),
      },
      properties: {
        package: { name: f.package.name, version: f.package.version, purl: f.package.purl, type: f.package.type, path: f.package.path },
        severity: f.severity,
        status: f.status,
        fixedVersions: f.fixedVersions,
        layer: { index: f.layer.index, digest: f.layer.digest, ...(f.layer.createdBy ? { createdBy: f.layer.createdBy } : {}) },
        ...(f.kev ? { kev: f.kev } : {}),
        ...(f.epss ? { epss: f.epss } : {}),
        ...(d ? { decision: d } : {}),
      },
    };
    if (d?.action === 'ignore') {
      result.suppressions = [{ kind: 'external', status: 'accepted', justification: `${d.decidedBy} ${d.rule}${d.reason ? `: ${d.reason}` : ''}` }];
    }
    return result;
  });

  const decision = report.decision;
  const run = {
    tool: {
      driver: {
        name: 'portcullis',
        version: report.tool.version,
        semanticVersion: report.tool.version,
        informationUri: INFORMATION_URI,
        rules,
      },
    },
    originalUriBaseIds: { [URI_BASE_ID]: { uri: 'file:///', description: { text: `Root filesystem of ${imageName(report)}` } } },
    results,
    columnKind: 'unicodeCodePoints',
    properties: {
      verdict: verdictOf(report),
      image: { name: imageName(report), digest: imageDigest(report), source: report.image.source },
      counts: severityCounts(findings),
      ...(report.coverage ? { coverage: report.coverage } : {}),
      ...(decision
        ? {
            decision: {
              blocked: decision.blocked,
              counts: decision.counts,
              imageViolations: decision.imageViolations,
              limitViolations: decision.limitViolations,
              expiredExceptions: decision.expiredExceptions,
              policies: decision.policies,
            },
          }
        : {}),
    },
  };
  const doc = { $schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '2.1.0', runs: [run] };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export const sarifEncoder: Encoder = {
  name: 'sarif',
  extension: 'sarif',
  mediaType: 'application/sarif+json',
  encode: encodeSarif,
};

// SARIF 2.1.0 as GitHub code scanning reads it: one rule per vulnerability id, one result per
// finding located at the file in the image the package was read from.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Action } from '../model/decision.js';
import { findingKey, type Finding, type Severity } from '../model/finding.js';
import type { Report } from '../model/report.js';
import {
  advisoryUrl, bestScore, compareByAction, compareFindings, decisionFor, imageDigest, imageName, severityCounts, findingsById, sortedFindings, unique, verdictOf,
} from './common.js';
import type { EncodeOptions, Encoder } from './encoder.js';
import { mdCell as mdEscape } from './markdown.js';
import type { SarifLevel, SarifLog, SarifReportingDescriptor, SarifResult, SarifRun } from './types/sarif.js';

const INFORMATION_URI = 'https://github.com/portcullis-scanner/portcullis';

/**
 * What GitHub code scanning accepts in one SARIF upload (docs: "SARIF results exceed limits"; the
 * upload API): files over a limit are rejected, and of the results only the first 5,000 are kept.
 * We write one run, one location per result, and fewer rules than results; so what can bind is the
 * result count (we keep the 5,000 that matter most: blocking first, then by severity), the tags per
 * rule (20 accepted, 10 shown) and the compressed size.
 */
export const GITHUB_SARIF_LIMITS = {
  runsPerFile: 20,
  resultsPerRun: 25_000,
  /** Results GitHub keeps and shows of one run. */
  shownResultsPerRun: 5_000,
  rulesPerRun: 25_000,
  locationsPerResult: 1_000,
  tagsPerRule: 20,
  shownTagsPerRule: 10,
  /** Upload size, gzip-compressed. */
  gzipBytes: 10 * 1024 * 1024,
} as const;
/** The image's root filesystem; results are relative to it. */
const URI_BASE_ID = 'IMAGE_ROOT';

/** GitHub maps security-severity to its levels: >= 9 critical, >= 7 high, >= 4 medium, else low. */
const SEVERITY_SCORE: Partial<Record<Severity, string>> = { CRITICAL: '9.5', HIGH: '8.0', MEDIUM: '5.5', LOW: '2.0' };

type Level = Extract<SarifLevel, 'error' | 'warning' | 'note'>;

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


function ruleFor(id: string, findings: Finding[]): SarifReportingDescriptor {
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
    defaultConfiguration: { level: 'warning' },
    properties: {
      ...(severity ? { 'security-severity': severity } : {}),
      tags: unique(['security', 'vulnerability', f.severity.toLowerCase(), ...findings.map((x) => x.package.type)]).slice(0, GITHUB_SARIF_LIMITS.shownTagsPerRule),
      precision: 'very-high',
    },
  };
}

/** What the GitHub limits left out, for the run properties. */
interface Truncation {
  limits: 'github';
  results: number;
  kept: number;
  reasons: string[];
}

function encodeSarif(report: Report, options: EncodeOptions = {}): string {
  const all = sortedFindings(report);
  if (options.sarifLimits === 'none') return encodeRun(report, all);
  // The findings that matter most first: blocking, warn, ignore, undecided; each by severity.
  const priority = [...all].sort(compareByAction(report.decision));
  const reasons: string[] = [];
  let keep = all.length;
  if (keep > GITHUB_SARIF_LIMITS.shownResultsPerRun) {
    keep = GITHUB_SARIF_LIMITS.shownResultsPerRun;
    reasons.push(`GitHub keeps ${GITHUB_SARIF_LIMITS.shownResultsPerRun} results of a run`);
  }
  const encodeKept = (n: number, why: string[]): string => {
    if (n === all.length) return encodeRun(report, all);
    const kept = priority.slice(0, n).sort(compareFindings);
    return encodeRun(report, kept, { limits: 'github', results: all.length, kept: n, reasons: why });
  };
  let text = encodeKept(keep, reasons);
  // Over the upload size: halve what is kept until it fits (a few encodes at most).
  while (keep > 0 && gzipSync(text).length > GITHUB_SARIF_LIMITS.gzipBytes) {
    keep = Math.floor(keep / 2);
    text = encodeKept(keep, [...reasons, `GitHub accepts ${GITHUB_SARIF_LIMITS.gzipBytes / 1024 / 1024} MiB of gzip-compressed SARIF`]);
  }
  return text;
}

function encodeRun(report: Report, findings: Finding[], truncation?: Truncation): string {
  const groups = truncation ? groupById(findings) : findingsById(report);
  const ruleIds = groups.map(([id]) => id);
  const rules = groups.map(([id, fs]) => ruleFor(id, fs));
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]));

  const results = findings.map((f): SarifResult => {
    const d = decisionFor(report.decision, f);
    const fix = f.fixedVersions.length ? `fixed in ${f.fixedVersions.join(', ')}` : 'no fix available';
    const message = `${f.id} (${f.severity}) in ${f.package.name} ${f.package.version}: ${fix}` +
      `${d ? `; policy: ${d.action} (${d.decidedBy} ${d.rule})` : ''}. Introduced by layer ${f.layer.index}` +
      `${f.layer.createdBy ? `: ${f.layer.createdBy}` : ''}.`;
    const result: SarifResult = {
      ruleId: f.id,
      ruleIndex: ruleIndex.get(f.id)!,
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
  const run: SarifRun = {
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
      counts: severityCounts(report.findings ?? []),
      ...(report.coverage ? { coverage: report.coverage } : {}),
      ...(truncation ? { truncation } : {}),
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
  const doc: SarifLog = { $schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '2.1.0', runs: [run] };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The findings (already in finding order) grouped by id, ids sorted. */
function groupById(findings: Finding[]): [string, Finding[]][] {
  const byId = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byId.get(f.id);
    if (list) list.push(f);
    else byId.set(f.id, [f]);
  }
  return [...byId].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export const sarifEncoder: Encoder = {
  name: 'sarif',
  extension: 'sarif',
  mediaType: 'application/sarif+json',
  encode: (report, options) => encodeSarif(report, options),
};

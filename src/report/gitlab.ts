// GitLab's container-scanning report (security-report-schemas, model 15), which GitLab reads from a
// job's `artifacts: reports: container_scanning` into its security widgets and vulnerability report.
// Facts from the schema (15.2.1): `scan`, `version`, `vulnerabilities` required; scan needs analyzer,
// scanner, type, status (success|failure), start/end time as `YYYY-MM-DDThh:mm:ss`; a vulnerability
// needs id, identifiers (>= 1) and location {dependency{package{name},version}, operating_system,
// image}. Top-level `remediations` need a patch diff, which an image scan cannot give, so a fix
// version goes into `solution`.
import type { Cvss, Finding, Severity } from '../model/finding.js';
import type { Report } from '../model/report.js';
import { advisoryUrl, coverageLines, decisionFor, imageName, sortedFindings, unique, verdictOf, verdictSentence } from './common.js';
import type { Encoder } from './encoder.js';
import { URL_NAMESPACE, uuidV5 } from './uuid.js';

/** The schema version the report declares (GitLab validates against the version a report names). */
export const GITLAB_SCHEMA_VERSION = '15.2.1';
export const GITLAB_SCHEMA_URL = `https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v${GITLAB_SCHEMA_VERSION}/dist/container-scanning-report-format.json`;

const INFORMATION_URI = 'https://github.com/portcullis-scanner/portcullis';
/** Namespace of the finding ids: the same image repository, package and advisory give the same id. */
const FINDING_NAMESPACE = uuidV5(`${INFORMATION_URI}#gitlab-finding`, URL_NAMESPACE);

// Schema bounds.
const NAME_MAX = 255;
const DESCRIPTION_MAX = 1_048_576;
const SOLUTION_MAX = 7000;
const CVSS_VECTORS_MAX = 10;
const URL_PATTERN = /^(https?|ftp):\/\/.+/;
/** Our own bounds, so a hostile record cannot make the report huge. */
const LINKS_MAX = 50;
const MESSAGES_MAX = 200;

const SEVERITY: Record<Severity, string> = { CRITICAL: 'Critical', HIGH: 'High', MEDIUM: 'Medium', LOW: 'Low', UNKNOWN: 'Unknown' };

// The metric values the schema's CVSS v2 and v3.x vector patterns accept (v4.0 is not accepted).
const CVSS2_METRICS: Record<string, string[]> = {
  AV: ['N', 'A', 'L'], AC: ['L', 'M', 'H'], Au: ['M', 'S', 'N'], C: ['N', 'P', 'C'], I: ['N', 'P', 'C'], A: ['N', 'P', 'C'],
  E: ['U', 'POC', 'F', 'H', 'ND'], RL: ['OF', 'TF', 'W', 'U', 'ND'], RC: ['UC', 'UR', 'C', 'ND'],
  CDP: ['N', 'L', 'LM', 'MH', 'H', 'ND'], TD: ['N', 'L', 'M', 'H', 'ND'], CR: ['L', 'M', 'H', 'ND'], IR: ['L', 'M', 'H', 'ND'], AR: ['L', 'M', 'H', 'ND'],
};
const CIA3 = ['N', 'L', 'H'];
const CVSS3_METRICS: Record<string, string[]> = {
  AV: ['N', 'A', 'L', 'P'], AC: ['L', 'H'], PR: ['N', 'L', 'H'], UI: ['N', 'R'], S: ['U', 'C'], C: CIA3, I: CIA3, A: CIA3,
  E: ['X', 'U', 'P', 'F', 'H'], RL: ['X', 'O', 'T', 'W', 'U'], RC: ['X', 'U', 'R', 'C'],
  CR: ['X', 'L', 'M', 'H'], IR: ['X', 'L', 'M', 'H'], AR: ['X', 'L', 'M', 'H'],
  MAV: ['X', 'N', 'A', 'L', 'P'], MAC: ['X', 'L', 'H'], MPR: ['X', 'N', 'L', 'H'], MUI: ['X', 'N', 'R'], MS: ['X', 'U', 'C'],
  MC: ['X', ...CIA3], MI: ['X', ...CIA3], MA: ['X', ...CIA3],
};

function metricsValid(parts: string[], table: Record<string, string[]>): boolean {
  return parts.length > 0 && parts.every((p) => {
    const [k, v, extra] = p.split(':');
    return extra === undefined && k !== undefined && v !== undefined && (table[k]?.includes(v) ?? false);
  });
}

/** The vector as GitLab's schema accepts it, or undefined (CVSS 4.0, malformed). */
export function gitlabCvssVector(c: Cvss): string | undefined {
  if (c.version === '2.0') {
    const v = c.vector.replace(/^\(|\)$/g, '').replace(/^CVSS:2\.0\//, '');
    return v.length >= 16 && v.length <= 128 && metricsValid(v.split('/'), CVSS2_METRICS) ? v : undefined;
  }
  if (c.version === '3.0' || c.version === '3.1') {
    const m = /^CVSS:3\.[01]\/(.*)$/.exec(c.vector);
    return m && c.vector.length >= 32 && c.vector.length <= 128 && metricsValid(m[1]!.split('/'), CVSS3_METRICS) ? c.vector : undefined;
  }
  return undefined;
}

/** `YYYY-MM-DDThh:mm:ss` in UTC, the only time form the schema accepts. */
function schemaTime(iso: string): string {
  const t = Date.parse(iso);
  return (Number.isNaN(t) ? new Date(0) : new Date(t)).toISOString().slice(0, 19);
}

function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const marker = ' […]';
  return `${s.slice(0, max - marker.length)}${marker}`;
}

/** The image name without tag or digest: what stays the same across a project's pipelines. */
export function imageRepository(name: string): string {
  const noDigest = name.replace(/@[A-Za-z0-9_+.-]+:[A-Fa-f0-9]+$/, '');
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function identifierType(id: string): string {
  if (/^CVE-\d{4}-\d+$/.test(id)) return 'cve';
  if (/^GHSA-/.test(id)) return 'ghsa';
  return 'osv';
}

function identifiers(f: Finding): object[] {
  return unique([f.id, ...f.aliases].map((s) => s.trim()).filter((s) => s !== '')).map((id) => {
    const url = advisoryUrl(id);
    return { type: identifierType(id), name: id, value: id, ...(URL_PATTERN.test(url) ? { url } : {}) };
  });
}

function operatingSystem(report: Report): string {
  const os = report.os;
  if (!os) return 'Unknown';
  return os.prettyName?.trim() || [os.id, os.versionId].filter(Boolean).join(' ') || 'Unknown';
}

function solution(f: Finding): string | undefined {
  if (!f.fixedVersions.length) return undefined;
  return clip(`Upgrade ${f.package.name} from ${f.package.version} to ${f.fixedVersions.join(' or ')} or later.`, SOLUTION_MAX);
}

const STATUS_TEXT: Record<Finding['status'], string> = {
  fixed: 'a fixed version exists',
  affected: 'no fixed version yet',
  will_not_fix: 'the distribution will not fix it',
  fix_deferred: 'the distribution deferred the fix',
  end_of_life: 'the release is end of life',
};

function text(name: string, value: string): object {
  return { name, type: 'text', value };
}

function vulnerability(report: Report, f: Finding, id: string, image: string, os: string): object {
  const d = decisionFor(report.decision, f);
  const pkg = f.package;
  const layer = `${f.layer.index}${f.layer.createdBy ? `: ${f.layer.createdBy}` : ''}`;
  const policy = d ? `${d.action} (${d.decidedBy} ${d.rule}${d.reason ? `: ${d.reason}` : ''})` : undefined;
  const description = [
    f.summary ?? `${f.id} in ${pkg.name}`,
    '',
    `Package ${pkg.name} ${pkg.version} (${pkg.type}, ${pkg.path}); ${STATUS_TEXT[f.status]}.`,
    `Introduced by layer ${layer}.`,
    ...(policy ? [`Policy: ${policy}.`] : []),
  ].join('\n');
  const vectors = f.cvss
    .map((c) => ({ vendor: c.source.trim() || 'unknown', vector: gitlabCvssVector(c) }))
    .filter((c): c is { vendor: string; vector: string } => c.vector !== undefined)
    .slice(0, CVSS_VECTORS_MAX);
  const links = unique(f.references.filter((u) => URL_PATTERN.test(u))).slice(0, LINKS_MAX).map((url) => ({ url }));
  const fix = solution(f);
  const details: Record<string, object> = {
    purl: text('Package URL', pkg.purl),
    status: text('Status', STATUS_TEXT[f.status]),
    ...(f.fixedVersions.length ? { fixed_versions: text('Fixed versions', f.fixedVersions.join(', ')) } : {}),
    layer: text('Layer', `${layer} (${f.layer.digest})`),
    ...(policy ? { policy: text('Policy decision', policy) } : {}),
    ...(f.kev ? { kev: text('Known exploited (CISA KEV)', `added ${f.kev.dateAdded}`) } : {}),
    ...(f.epss ? { epss: text('EPSS', `${f.epss.score} (percentile ${f.epss.percentile})`) } : {}),
  };
  return {
    id,
    name: clip(f.id, NAME_MAX),
    description: clip(description, DESCRIPTION_MAX),
    severity: SEVERITY[f.severity],
    ...(fix ? { solution: fix } : {}),
    identifiers: identifiers(f),
    ...(vectors.length ? { cvss_vectors: vectors } : {}),
    ...(links.length ? { links } : {}),
    details,
    ...(d?.action === 'ignore'
      ? { flags: [{ type: 'flagged-as-likely-false-positive', origin: 'portcullis', description: clip(`ignored by policy: ${policy}`, NAME_MAX * 4) }] }
      : {}),
    location: {
      dependency: { package: { name: pkg.name }, version: pkg.version },
      operating_system: os,
      image,
    },
  };
}

/** Stable ids; packages that differ only by version (two kernels) get the version in their key. */
function findingIds(findings: Finding[], repo: string): string[] {
  const key = (f: Finding, withVersion: boolean) =>
    [repo, f.package.type, f.package.name, f.package.arch ?? '', f.package.path, f.id, ...(withVersion ? [f.package.version] : [])].join('\n');
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(key(f, false), (counts.get(key(f, false)) ?? 0) + 1);
  // Findings alike in all of that (purls differing only in qualifiers) still get distinct ids.
  const seen = new Map<string, number>();
  return findings.map((f) => {
    const k = key(f, counts.get(key(f, false))! > 1);
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    return uuidV5(n ? `${k}\n#${n}` : k, FINDING_NAMESPACE);
  });
}

type Level = 'info' | 'warn' | 'fatal';

/** What the scan did not check is `fatal` unless accepted (then `warn`); covered data is `info`. */
function messages(report: Report): { level: Level; value: string }[] {
  const out: { level: Level; value: string }[] = [{ level: 'info', value: `portcullis ${report.tool.version}: ${verdictSentence(report)}` }];
  if (!report.findings) out.push({ level: 'fatal', value: 'inventory only: no package was matched against vulnerability data' });
  const c = report.coverage;
  if (c) {
    const lines = coverageLines(report);
    c.ecosystems.forEach((e, i) => out.push({ level: e.status === 'covered' ? 'info' : e.accepted ? 'warn' : 'fatal', value: lines[i]! }));
    c.unread.forEach((u, i) => out.push({ level: u.kind === 'os-pkgdb' && !u.accepted ? 'fatal' : 'warn', value: lines[c.ecosystems.length + i]! }));
    if (c.unchecked.length) out.push({ level: 'warn', value: lines[c.ecosystems.length + c.unread.length]! });
  }
  const d = report.decision;
  if (d) {
    out.push({ level: 'info', value: `policy ${d.blocked ? 'BLOCKED' : 'passed'}: ${d.counts.block} block, ${d.counts.warn} warn, ${d.counts.ignore} ignore (${d.policies.join(', ')})` });
    for (const v of [...d.imageViolations, ...d.limitViolations]) out.push({ level: 'warn', value: `policy ${v.action} ${v.rule}: ${v.message}` });
    for (const e of d.expiredExceptions) out.push({ level: 'warn', value: `exception ${e.id} expired ${e.expires}: it no longer applies` });
  }
  if (report.db?.dataDate) out.push({ level: 'info', value: `vulnerability data as of ${report.db.dataDate}` });
  if (report.warnings.length) {
    const codes = unique(report.warnings.map((w) => w.code)).slice(0, 10);
    out.push({ level: 'warn', value: `${report.warnings.length} scan warnings (${codes.join(', ')}); see the full report` });
  }
  const oneLine = out.map((m) => ({ level: m.level, value: clip(m.value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim() || '-', 2000) }));
  if (oneLine.length <= MESSAGES_MAX) return oneLine;
  // Keep every fatal message; fill up with the rest in order.
  const fatal = oneLine.filter((m) => m.level === 'fatal');
  const rest = oneLine.filter((m) => m.level !== 'fatal').slice(0, Math.max(0, MESSAGES_MAX - 1 - fatal.length));
  const kept = [...rest, ...fatal].slice(0, MESSAGES_MAX - 1);
  return [...kept, { level: 'warn', value: `${oneLine.length - kept.length} more messages are in the full report` }];
}

/**
 * The image as GitLab shows and groups it: a full reference when the source recorded one; a bare
 * ref name (an OCI layout's `v1`) only with its repository; else what the user named.
 */
export function gitlabImageName(report: Report): string {
  const tag = report.image.tags[0]?.trim();
  if (tag && /[/:@]/.test(tag)) return tag;
  const repo = report.image.repository?.trim();
  if (repo) return tag ? `${repo}:${tag}` : repo;
  return report.image.source.trim() || imageName(report).trim() || 'unknown';
}

export function encodeGitlab(report: Report): string {
  const findings = sortedFindings(report);
  const image = gitlabImageName(report);
  const os = operatingSystem(report);
  const ids = findingIds(findings, imageRepository(image));
  const tool = { id: 'portcullis', name: 'portcullis', version: report.tool.version || 'unknown', vendor: { name: 'portcullis' }, url: INFORMATION_URI };
  const time = schemaTime(report.createdAt);
  const complete = report.findings !== undefined && verdictOf(report) !== 'incomplete';
  const doc = {
    version: GITLAB_SCHEMA_VERSION,
    schema: GITLAB_SCHEMA_URL,
    scan: {
      analyzer: tool,
      scanner: tool,
      type: 'container_scanning',
      // The Report records one time, when it was made; the schema wants both.
      start_time: time,
      end_time: time,
      status: complete ? 'success' : 'failure',
      messages: messages(report),
    },
    vulnerabilities: findings.map((f, i) => vulnerability(report, f, ids[i]!, image, os)),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export const gitlabEncoder: Encoder = {
  name: 'gitlab',
  extension: 'gitlab.json',
  mediaType: 'application/json',
  encode: (report) => encodeGitlab(report),
};

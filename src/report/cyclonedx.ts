// CycloneDX 1.6 JSON: the image as the metadata component, one component per package, the
// dependency graph where the package databases state it, and (for scans) the vulnerabilities
// with VEX-style analysis taken from the policy decision.
import { createHash } from 'node:crypto';
import { newPackageURL, rethrowIfLibraryMissing } from '../util/packageurl.js';
import type { FindingDecision, VexStatus } from '../model/decision.js';
import type { Cvss, Finding, Severity } from '../model/finding.js';
import type { Package } from '../model/package.js';
import type { Report } from '../model/report.js';
import {
  advisoryUrl, decisionFor, imageDigest, imageName, severityForScore, findingsById, resolveDependsOn, sortedPackages, unique, unreadForSbom, UNREAD_MARK, verdictOf,
} from './common.js';
import type { Encoder } from './encoder.js';
import type {
  CdxAnalysis, CdxBom, CdxComponent, CdxDependency, CdxImpactAnalysisJustification as CdxJustification, CdxImpactAnalysisState,
  CdxLicenseChoice, CdxProperty, CdxRating, CdxScoreMethod, CdxSeverity, CdxVulnerability,
} from './types/cyclonedx.js';
import { isSpdxExpression, isSpdxId } from './licenses.js';

const CVSS_METHOD: Record<Cvss['version'], CdxScoreMethod> = { '2.0': 'CVSSv2', '3.0': 'CVSSv3', '3.1': 'CVSSv31', '4.0': 'CVSSv4' };

/** A stable uuid-shaped value from a hash (version nibble 5-like, RFC 4122 variant). */
export function hashUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function cyclonedxLicenses(licenses: readonly string[] | undefined): CdxLicenseChoice[] | undefined {
  const list = unique((licenses ?? []).map((l) => l.trim()).filter(Boolean));
  if (!list.length) return undefined;
  if (list.every(isSpdxId)) return list.map((id) => ({ license: { id } }));
  if (list.every(isSpdxExpression)) {
    return [{ expression: list.length === 1 ? list[0]! : list.map((e) => `(${e})`).join(' AND ') }];
  }
  return list.map((l) => (isSpdxId(l) ? { license: { id: l } } : { license: { name: l } }));
}

/** `pkg:oci/NAME@DIGEST?repository_url=…` for the image. */
export function imagePurl(report: Report): string | undefined {
  const repo = report.image.repository;
  const name = (repo ?? imageName(report)).split('/').pop()!.split(/[:@]/)[0]!.toLowerCase();
  if (!name) return undefined;
  try {
    return newPackageURL('oci', undefined, name, imageDigest(report), repo ? { repository_url: repo } : undefined, undefined).toString();
  } catch (err) {
    rethrowIfLibraryMissing(err);
    return undefined;
  }
}

/** bom-refs: the purl, made unique by the path when one purl occurs at several paths. */
export function bomRefs(packages: readonly Package[]): Map<Package, string> {
  const refs = new Map<Package, string>();
  const used = new Set<string>();
  for (const p of packages) {
    let ref = p.purl || `pkg-${p.type}-${p.name}-${p.version}`;
    if (used.has(ref)) ref = `${ref}#${p.path}`;
    for (let n = 2; used.has(ref); n++) ref = `${p.purl}#${p.path}#${n}`;
    used.add(ref);
    refs.set(p, ref);
  }
  return refs;
}

function packageKey(p: Pick<Package, 'purl' | 'path'>): string {
  return `${p.purl}|${p.path}`;
}

function component(p: Package, ref: string): CdxComponent {
  const props: CdxProperty[] = [
    { name: 'portcullis:package:type', value: p.type },
    { name: 'portcullis:package:path', value: p.path },
    { name: 'portcullis:package:foundBy', value: p.foundBy },
    { name: 'portcullis:layer:index', value: String(p.layer.index) },
    { name: 'portcullis:layer:digest', value: p.layer.digest },
    { name: 'portcullis:layer:diffID', value: p.layer.diffId },
  ];
  if (p.ecosystem) props.push({ name: 'portcullis:package:ecosystem', value: p.ecosystem });
  if (p.sourceName && p.sourceName !== p.name) props.push({ name: 'portcullis:package:sourceName', value: p.sourceName });
  if (p.sourceVersion && p.sourceVersion !== p.version) props.push({ name: 'portcullis:package:sourceVersion', value: p.sourceVersion });
  if (p.arch) props.push({ name: 'portcullis:package:arch', value: p.arch });
  if (p.epoch !== undefined) props.push({ name: 'portcullis:package:epoch', value: String(p.epoch) });
  if (p.modularityLabel) props.push({ name: 'portcullis:package:modularityLabel', value: p.modularityLabel });
  if (p.dev) props.push({ name: 'portcullis:package:dev', value: 'true' });
  const licenses = cyclonedxLicenses(p.licenses);
  return {
    type: 'library',
    'bom-ref': ref,
    name: p.name,
    version: p.version,
    ...(licenses ? { licenses } : {}),
    ...(p.purl ? { purl: p.purl } : {}),
    ...(p.dev ? { scope: 'optional' } : {}),
    properties: props,
  };
}

/** CycloneDX `dependencies`: one entry per package that declares any, as bom-refs. */
function dependencies(packages: readonly Package[], refs: Map<Package, string>): CdxDependency[] {
  return [...resolveDependsOn(packages, refs)].map(([p, dependsOn]) => ({ ref: refs.get(p)!, dependsOn }));
}

// OpenVEX justification -> CycloneDX analysis.justification (CycloneDX 1.6 impactAnalysisJustification).
const VEX_JUSTIFICATION: Record<string, CdxJustification> = {
  component_not_present: 'code_not_present',
  vulnerable_code_not_present: 'code_not_present',
  vulnerable_code_not_in_execute_path: 'code_not_reachable',
  vulnerable_code_cannot_be_controlled_by_adversary: 'requires_environment',
  inline_mitigations_already_exist: 'protected_by_mitigating_control',
};
const CDX_JUSTIFICATIONS: ReadonlySet<string> = new Set<CdxJustification>([
  'code_not_present', 'code_not_reachable', 'requires_configuration', 'requires_dependency', 'requires_environment',
  'protected_by_compiler', 'protected_at_runtime', 'protected_at_perimeter', 'protected_by_mitigating_control',
]);

const VEX_STATE: Record<VexStatus, CdxImpactAnalysisState> = {
  not_affected: 'not_affected',
  fixed: 'resolved',
  under_investigation: 'in_triage',
  affected: 'exploitable',
};

function cdxJustification(j: string | undefined): CdxJustification | undefined {
  if (!j) return undefined;
  return VEX_JUSTIFICATION[j] ?? (CDX_JUSTIFICATIONS.has(j) ? (j as CdxJustification) : undefined);
}

/**
 * The CycloneDX analysis a decision implies, from its structured VEX part: not_affected (with the
 * justification), fixed -> resolved, under_investigation -> in_triage, affected -> exploitable.
 * Without VEX, an exception (or ignore-file entry) accepts a risk that is still there:
 * exploitable + will_not_fix.
 */
export function analysisFor(d: FindingDecision | undefined): CdxAnalysis | undefined {
  if (!d) return undefined;
  const detail = [`${d.decidedBy} ${d.rule}${d.source ? ` (${d.source})` : ''}`, d.reason].filter(Boolean).join(': ');
  if (d.vex) {
    const justification = d.vex.status === 'not_affected' ? cdxJustification(d.vex.justification) : undefined;
    return { state: VEX_STATE[d.vex.status], ...(justification ? { justification } : {}), detail };
  }
  if ((d.decidedBy === 'exception' || d.decidedBy === 'ignorefile') && d.action === 'ignore') {
    return { state: 'exploitable', response: ['will_not_fix'], detail };
  }
  return undefined;
}

function ratings(f: Finding): CdxRating[] {
  const out: CdxRating[] = f.cvss.map((c): CdxRating => ({
    source: { name: c.source },
    ...(Number.isFinite(c.score) ? { score: c.score, severity: severityForScore(c.score) } : {}),
    method: CVSS_METHOD[c.version],
    vector: c.vector,
  }));
  if (f.severitySource === 'vendor' || !out.length) {
    out.unshift({ source: { name: f.package.ecosystem || 'portcullis' }, severity: cdxSeverity(f.severity), method: 'other' });
  }
  return out;
}

function cdxSeverity(s: Severity): CdxSeverity {
  return s === 'UNKNOWN' ? 'unknown' : (s.toLowerCase() as Lowercase<Exclude<Severity, 'UNKNOWN'>>);
}

function isoTime(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

function vulnerabilities(report: Report, refs: Map<string, string>): CdxVulnerability[] {
  // One vulnerability per id; affects lists every package it was found in.
  return findingsById(report).map(([id, fs]) => {
    const f = fs[0]!;
    const decisions = fs.map((x) => decisionFor(report.decision, x));
    // The analysis is per vulnerability in CycloneDX: only when every affected package agrees.
    const analyses = decisions.map((d) => analysisFor(d));
    const same = analyses.every((a) => JSON.stringify(a) === JSON.stringify(analyses[0]));
    const analysis = same ? analyses[0] : undefined;
    const fixed = unique(fs.flatMap((x) => x.fixedVersions));
    const props: CdxProperty[] = [];
    if (f.kev) {
      props.push({ name: 'portcullis:kev:dateAdded', value: f.kev.dateAdded });
      if (f.kev.dueDate) props.push({ name: 'portcullis:kev:dueDate', value: f.kev.dueDate });
      if (f.kev.knownRansomwareCampaignUse) props.push({ name: 'portcullis:kev:knownRansomwareCampaignUse', value: f.kev.knownRansomwareCampaignUse });
    }
    if (f.epss) {
      props.push({ name: 'portcullis:epss:score', value: String(f.epss.score) }, { name: 'portcullis:epss:percentile', value: String(f.epss.percentile) });
    }
    fs.forEach((x, i) => {
      const d = decisions[i];
      if (d) props.push({ name: `portcullis:decision:${refs.get(packageKey(x.package))}`, value: `${d.action} (${d.decidedBy} ${d.rule})` });
    });
    const published = isoTime(f.published);
    const updated = isoTime(f.modified);
    const vuln: CdxVulnerability = {
      'bom-ref': `vuln:${id}`,
      id,
      source: { name: id.startsWith('CVE-') ? 'NVD' : id.startsWith('GHSA-') ? 'GitHub' : 'OSV', url: advisoryUrl(id) },
      ...(f.aliases.length ? { references: f.aliases.map((a) => ({ id: a, source: { url: advisoryUrl(a) } })) } : {}),
      ratings: ratings(f),
      ...(f.summary ? { description: f.summary } : {}),
      ...(fixed.length ? { recommendation: `Upgrade to ${fixed.join(' or ')}` } : {}),
      ...(f.references.length ? { advisories: unique(f.references).map((url) => ({ url })) } : {}),
      ...(published ? { published } : {}),
      ...(updated ? { updated } : {}),
      ...(analysis ? { analysis } : {}),
      affects: fs.map((x) => ({
        ref: refs.get(packageKey(x.package))!,
        versions: [{ version: x.package.version, status: 'affected' }],
      })),
      ...(props.length ? { properties: props } : {}),
    };
    return vuln;
  });
}

function encodeCycloneDx(report: Report): string {
  const packages = sortedPackages(report);
  const refs = bomRefs(packages);
  const refByKey = new Map<string, string>();
  for (const p of packages) if (!refByKey.has(packageKey(p))) refByKey.set(packageKey(p), refs.get(p)!);
  const digest = imageDigest(report);
  const purl = imagePurl(report);
  const imageRef = `image:${digest}`;
  const components: CdxComponent[] = [];
  if (report.os) {
    components.push({
      type: 'operating-system',
      'bom-ref': `os:${report.os.id}@${report.os.versionId ?? 'unknown'}`,
      name: report.os.id,
      ...(report.os.versionId ? { version: report.os.versionId } : {}),
      ...(report.os.prettyName ? { description: report.os.prettyName } : {}),
      properties: [{ name: 'portcullis:os:detectedFrom', value: report.os.detectedFrom }],
    });
  }
  components.push(...packages.map((p) => component(p, refs.get(p)!)));

  const unread = unreadForSbom(report);
  const bom: CdxBom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${hashUuid('cyclonedx', digest, report.createdAt, String(report.findings !== undefined))}`,
    version: 1,
    metadata: {
      timestamp: isoTime(report.createdAt) ?? report.createdAt,
      tools: {
        components: [{ type: 'application', author: 'portcullis', name: 'portcullis', version: report.tool.version }],
      },
      component: {
        type: 'container',
        'bom-ref': imageRef,
        name: report.image.repository ?? imageName(report),
        version: digest,
        ...(purl ? { purl } : {}),
        ...(digest.startsWith('sha256:') ? { hashes: [{ alg: 'SHA-256' as const, content: digest.slice(7) }] } : {}),
        properties: [
          { name: 'portcullis:image:source', value: report.image.source },
          { name: 'portcullis:image:configDigest', value: report.image.configDigest },
          ...(report.image.manifestDigest ? [{ name: 'portcullis:image:manifestDigest', value: report.image.manifestDigest }] : []),
          ...report.image.tags.map((t) => ({ name: 'portcullis:image:tag', value: t })),
          { name: 'portcullis:image:platform', value: `${report.image.config.os}/${report.image.config.architecture}${report.image.config.variant ? `/${report.image.config.variant}` : ''}` },
        ],
      },
      ...(report.decision || unread.length ? {
        properties: [
          ...(report.decision ? [{ name: 'portcullis:verdict', value: verdictOf(report) }] : []),
          ...unread.map((value) => ({ name: UNREAD_MARK, value })),
        ],
      } : {}),
    },
    components,
    dependencies: [
      { ref: imageRef, dependsOn: components.map((c) => c['bom-ref']!) },
      ...dependencies(packages, refs),
    ],
  };
  if (report.findings) bom.vulnerabilities = vulnerabilities(report, refByKey);
  // Package files that were not read: their packages are missing, and the BOM says it is incomplete.
  if (unread.length) bom.compositions = [{ aggregate: 'incomplete', assemblies: [imageRef] }];
  return `${JSON.stringify(bom, null, 2)}\n`;
}

export const cyclonedxEncoder: Encoder = {
  name: 'cyclonedx',
  extension: 'cdx.json',
  mediaType: 'application/vnd.cyclonedx+json; version=1.6',
  encode: encodeCycloneDx,
};

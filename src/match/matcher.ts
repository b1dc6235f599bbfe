import type { Cvss, EpssScore, Finding, FindingStatus, KevEntry, Severity } from '../model/finding.js';
import type { OsvAffected, OsvRecord } from '../model/osv.js';
import type { UncheckedPackage } from '../model/coverage.js';
import type { Package } from '../model/package.js';
import type { ScanWarning } from '../model/warning.js';
import { compareStrings } from '../version/digits.js';
import { affects } from '../version/index.js';
import { namesPackage } from '../vulndb/ecosystem.js';
import { lookupKey, normalisePackageName, type Enrichment, type PackageQuery, type VulnSource } from '../vulndb/source.js';
import { sortCvss } from './cvss.js';
import { cvssVectorsOf, type CvssScore, type CvssScores } from '../cvss/vectors.js';
import { groupByVulnerability, type RecordGroup } from './group.js';
import { lookupsFor, type PackageLookup } from './queries.js';
import { chooseSeverity, type SeverityPreference } from './severity.js';
import { affectedFacts, recordFacts } from './record-facts.js';

export interface MatchOptions {
  severitySource?: SeverityPreference;
}

export interface MatchResult {
  findings: Finding[];
  warnings: ScanWarning[];
  /**
   * Packages whose version their ecosystem rejects (`plone 4.3b1.0` is not PEP 440), so no range
   * could be evaluated: only exact `versions` listings were checked. One entry per package.
   */
  unchecked: UncheckedPackage[];
}

/** One record's affected entry that contains the package's version. */
interface Hit {
  record: OsvRecord;
  affected: OsvAffected;
  fixed: string[];
}

/** rpm modularity: a record for a module stream applies only to packages of that stream. */
function modularityMatches(pkg: Package, affected: OsvAffected): boolean {
  const stream = affected.ecosystem_specific?.rpm_modularity;
  if (typeof stream !== 'string' || !stream) return true;
  if (!pkg.modularityLabel) return false;
  const [name, streamName] = pkg.modularityLabel.split(':');
  return `${name}:${streamName}` === stream;
}

/** Whether a platform list (an import's goos or goarch) includes ours; empty lists and '' match all. */
function onPlatform(ours: string, listed: unknown): boolean {
  if (!ours || !Array.isArray(listed) || listed.length === 0) return true;
  return listed.includes(ours);
}

/**
 * Go: an affected entry whose `ecosystem_specific.imports` all name other GOOS/GOARCH concerns
 * code that is not in this binary (govulncheck's module-level filter). No imports, or an import
 * that lists no platform, applies everywhere.
 */
function platformMatches(pkg: Package, affected: OsvAffected): boolean {
  const imports = affected.ecosystem_specific?.imports;
  if (!pkg.platform || !Array.isArray(imports) || imports.length === 0) return true;
  const { os, arch } = pkg.platform;
  return imports.some((i: unknown) => {
    const imp = (i ?? {}) as { goos?: unknown; goarch?: unknown };
    return onPlatform(os, imp.goos) && onPlatform(arch, imp.goarch);
  });
}

function uniq<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

function preferredId(ids: Iterable<string>, fallback: string): string {
  const cves = [...ids].filter((id) => /^CVE-\d+-\d+$/.test(id)).sort();
  return cves[0] ?? fallback;
}

function hitsFor(
  pkg: Package,
  lookups: readonly PackageLookup[],
  records: Map<string, OsvRecord[]>,
  warn: (w: ScanWarning) => void,
  uncheck: (u: UncheckedPackage) => void,
): Hit[] {
  const hits: Hit[] = [];
  // Two lookups (an rpm's own and source names) can reach the same entry; records come shared
  // (and frozen) from the source, so identity tells a repeated entry apart.
  const seen = lookups.length > 1 ? new Set<OsvAffected>() : undefined;
  let invalidVersion: { version: string; ecosystem: string; reason: string; records: number } | undefined;
  for (const { query, version } of lookups) {
    const wanted = normalisePackageName(query.ecosystem, query.name);
    const rpm = pkg.type === 'rpm';
    const golang = pkg.type === 'golang';
    for (const record of records.get(lookupKey(query)) ?? []) {
      if (record.withdrawn) continue;
      for (const affected of record.affected ?? []) {
        if (!namesPackage(affected, query, wanted)) continue;
        if (rpm && !modularityMatches(pkg, affected)) continue;
        if (golang && !platformMatches(pkg, affected)) continue;
        if (seen !== undefined) {
          if (seen.has(affected)) continue;
          seen.add(affected);
        }
        const result = affects(affected, version);
        if (result.invalid) {
          if (result.invalidVersion) {
            // The package's own version: one warning for the package, not one per record.
            if (invalidVersion) invalidVersion.records++;
            else invalidVersion = { version, ecosystem: query.ecosystem, reason: result.invalid, records: 1 };
          } else {
            warn({
              code: 'version.invalid',
              message: `${pkg.name} ${version} not comparable with ${record.id}: ${result.invalid}`,
              path: pkg.path,
              layer: pkg.layer.index,
            });
          }
        }
        // An exact `versions` listing is a hit even when the ranges could not be evaluated.
        if (result.affected) hits.push({ record, affected, fixed: result.fixed });
      }
    }
  }
  if (invalidVersion) {
    const { version, ecosystem, reason, records: n } = invalidVersion;
    warn({
      code: 'version.invalid',
      message: `${pkg.name} ${version} not checked against ${n} advisory range${n === 1 ? '' : 's'}: ${reason}`,
      path: pkg.path,
      layer: pkg.layer.index,
    });
    uncheck({ purl: pkg.purl, ecosystem, code: 'version.invalid', reason: `version ${JSON.stringify(version)} is not valid in ${ecosystem}: ${n} advisory range${n === 1 ? '' : 's'} not evaluated` });
  }
  return hits;
}

/** A finding before enrichment: severity is decided once KEV/EPSS/NVD data is joined. */
interface Draft {
  finding: Finding;
  vendor?: Severity;
}

function buildFinding(pkg: Package, group: RecordGroup<Hit>, scores: CvssScores): Draft {
  const members = group.members;
  const all = group.folded.length > 0 ? [...members, ...group.folded] : members;
  const id = preferredId(group.ids, members[0]!.record.id);
  const aliasSet = new Set(group.ids);
  for (const h of group.folded) aliasSet.add(h.record.id);
  aliasSet.delete(id);
  const fixedVersions = all.length === 1 ? [...all[0]!.fixed] : uniq(all.flatMap((h) => h.fixed));
  let status: FindingStatus = fixedVersions.length > 0 ? 'fixed' : 'affected';
  if (status === 'affected') {
    for (const h of members) {
      const s = affectedFacts(h.record, h.affected, scores).unfixed;
      if (s !== 'affected') {
        status = s;
        break;
      }
    }
  }
  let cvss: Cvss[];
  let vendor: Severity | undefined;
  let published: string | undefined;
  let modified: string | undefined;
  const references = new Set<string>();
  const recordIds = new Set<string>();
  if (all.length === 1) cvss = [...affectedFacts(all[0]!.record, all[0]!.affected, scores).cvss];
  else cvss = sortCvss(uniq(all.flatMap((h) => affectedFacts(h.record, h.affected, scores).cvss)));
  for (const h of all) {
    vendor ??= affectedFacts(h.record, h.affected, scores).vendor;
    const p = h.record.published;
    if (p && (published === undefined || p < published)) published = p;
    const m = h.record.modified;
    if (m && (modified === undefined || m > modified)) modified = m;
    for (const url of recordFacts(h.record).references) references.add(url);
    recordIds.add(h.record.id);
  }
  let summary: string | undefined;
  for (const h of members) if ((summary = recordFacts(h.record).summary)) break;
  if (!summary) for (const h of members) if ((summary = recordFacts(h.record).headline)) break;
  const related = members.length === 1 ? recordFacts(members[0]!.record).covered : uniq(members.flatMap((h) => recordFacts(h.record).covered));
  // Built key by key in the report's order (no spread of optional parts: this runs per finding).
  const f: Partial<Finding> = { id, aliases: [...aliasSet].sort() };
  if (summary) f.summary = summary;
  f.package = pkg;
  f.status = status;
  f.fixedVersions = fixedVersions;
  f.cvss = cvss;
  if (published) f.published = published;
  if (modified) f.modified = modified;
  f.references = [...references].slice(0, 25);
  f.layer = pkg.layer;
  f.records = [...recordIds].sort();
  if (related.length > 0) f.related = [...related];
  // Decided in enrichFinding, once NVD data is known.
  f.severity = 'UNKNOWN';
  f.severitySource = 'none';
  const finding = f as Finding;
  return vendor ? { finding, vendor } : { finding };
}

/** Every id the finding is known by or covers: what KEV, EPSS and NVD are keyed on. */
function idsOf(f: Finding): string[] {
  return f.related ? [f.id, ...f.aliases, ...f.related] : [f.id, ...f.aliases];
}

/** Joins KEV / EPSS / NVD data and decides the severity (in place: the draft is ours alone). */
function enrichFinding({ finding, vendor }: Draft, intel: Map<string, Enrichment>, pref: SeverityPreference): Finding {
  let kev: KevEntry | undefined;
  let epss: EpssScore | undefined;
  let nvd: Cvss[] = [];
  for (const x of idsOf(finding)) {
    const e = intel.get(x);
    if (!e) continue;
    kev ??= e.kev;
    if (e.epss && (epss === undefined || e.epss.score > epss.score)) epss = e.epss;
    if (e.nvd) nvd.push(...e.nvd);
  }
  const own = finding.cvss;
  if (nvd.length > 0) {
    nvd = sortCvss(nvd);
    finding.cvss = sortCvss(uniq([...own, ...nvd.filter((n) => !own.some((c) => c.vector === n.vector))]));
  }
  const { severity, source } = chooseSeverity({ vendor, cvss: own, nvd }, pref);
  finding.severity = severity;
  finding.severitySource = source;
  if (kev) finding.kev = kev;
  if (epss) finding.epss = epss;
  return finding;
}

/**
 * Joins the inventory with the vulnerability data: every package is looked up under the names its
 * ecosystem's advisories use, every record's ranges are evaluated with that ecosystem's comparator,
 * and records about the same vulnerability become one finding.
 */
export async function matchPackages(
  packages: Package[],
  source: VulnSource,
  opts: MatchOptions = {},
): Promise<MatchResult> {
  const warnings: ScanWarning[] = [];
  const warn = (w: ScanWarning) => warnings.push(w);
  const unchecked: UncheckedPackage[] = [];
  const uncheck = (u: UncheckedPackage) => unchecked.push(u);
  const lookups = packages.map(lookupsFor);
  const queries = new Map<string, PackageQuery>();
  for (const ls of lookups) for (const l of ls) queries.set(lookupKey(l.query), l.query);
  const records = await source.lookup([...queries.values()]);

  const hits = packages.map((pkg, i) => hitsFor(pkg, lookups[i]!, records, warn, uncheck));
  const scores = await scoresOf(hits, source);
  const drafts: Draft[] = [];
  packages.forEach((pkg, i) => {
    for (const g of groupByVulnerability(hits[i]!)) drafts.push(buildFinding(pkg, g, scores));
  });

  const cveIds = new Set<string>();
  for (const d of drafts) for (const x of idsOf(d.finding)) if (x.startsWith('CVE-')) cveIds.add(x);
  const intel = cveIds.size > 0 ? await source.enrich([...cveIds]) : new Map<string, Enrichment>();
  const pref = opts.severitySource ?? 'vendor';
  const findings = drafts.map((d) => enrichFinding(d, intel, pref));

  // Code-unit order: the same on every machine (localeCompare follows the host's locale).
  findings.sort((a, b) => compareStrings(a.package.name, b.package.name) || compareStrings(a.package.path, b.package.path) || compareStrings(a.id, b.id));
  return { findings, warnings, unchecked };
}

/**
 * The base score of every CVSS vector the hits carry: the DB's, computed at import by this very
 * calculator (`VulnSource.cvssScores`), else computed here; the calculator loads only for the
 * vectors left.
 */
async function scoresOf(hits: Hit[][], source: VulnSource): Promise<CvssScores> {
  const vectors = new Set<string>();
  for (const list of hits) for (const h of list) for (const v of cvssVectorsOf(h.record, h.affected)) vectors.add(v);
  if (vectors.size === 0) return new Map();
  const scores = new Map<string, CvssScore | null>(source.cvssScores ? await source.cvssScores([...vectors]) : []);
  const left = [...vectors].filter((v) => !scores.has(v));
  if (left.length > 0) {
    const { scoreVector } = await import('../cvss/calculator.js');
    for (const v of left) scores.set(v, scoreVector(v));
  }
  return scores;
}

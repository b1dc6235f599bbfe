import type { Cvss, Finding, FindingStatus } from '../model/finding.js';
import type { OsvAffected, OsvRecord } from '../model/osv.js';
import type { Package } from '../model/package.js';
import type { ScanWarning } from '../model/warning.js';
import { affects } from '../version/index.js';
import { ecosystemMatches } from '../vulndb/ecosystem.js';
import { lookupKey, normalisePackageName, type PackageQuery, type VulnSource } from '../vulndb/source.js';
import { parseCvss, sortCvss } from './cvss.js';
import { coveredVulns, groupByVulnerability, type RecordGroup } from './group.js';
import { lookupsFor, type PackageLookup } from './queries.js';
import { chooseSeverity, type SeverityPreference } from './severity.js';
import { unfixedStatus, vendorSeverity } from './vendor.js';

export interface MatchOptions {
  severitySource?: SeverityPreference;
}

export interface MatchResult {
  findings: Finding[];
  warnings: ScanWarning[];
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

function recordCvss(record: OsvRecord, affected: OsvAffected): Cvss[] {
  const out: Cvss[] = [];
  for (const s of [...(affected.severity ?? []), ...(record.severity ?? [])]) {
    if (!/^CVSS_V[234]$/.test(s.type)) continue;
    const c = parseCvss(s.score, record.id);
    if (c && !out.some((o) => o.vector === c.vector)) out.push(c);
  }
  return out;
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
): Hit[] {
  const hits: Hit[] = [];
  // Records come shared (and frozen) from the source, so identity tells a repeated entry apart.
  const seen = new Set<OsvAffected>();
  for (const { query, version } of lookups) {
    const wanted = normalisePackageName(query.ecosystem, query.name);
    for (const record of records.get(lookupKey(query)) ?? []) {
      if (record.withdrawn) continue;
      for (const affected of record.affected ?? []) {
        const p = affected.package;
        if (!p || !ecosystemMatches(p.ecosystem, query.ecosystem)) continue;
        if (normalisePackageName(query.ecosystem, p.name) !== wanted) continue;
        if (pkg.type === 'rpm' && !modularityMatches(pkg, affected)) continue;
        if (seen.has(affected)) continue;
        seen.add(affected);
        const result = affects(affected, version);
        if (result.invalid) {
          warn({
            code: 'version.invalid',
            message: `${pkg.name} ${version} not comparable with ${record.id}: ${result.invalid}`,
            path: pkg.path,
            layer: pkg.layer.index,
          });
          continue;
        }
        if (result.affected) hits.push({ record, affected, fixed: result.fixed });
      }
    }
  }
  return hits;
}

function buildFinding(pkg: Package, group: RecordGroup<Hit>): Omit<Finding, 'severity' | 'severitySource'> & {
  vendor?: Finding['severity'];
} {
  const members = group.members;
  const primary = members[0];
  const all = [...members, ...group.folded];
  const id = preferredId(group.ids, primary.record.id);
  const aliases = uniq([...group.ids, ...group.folded.map((h) => h.record.id)])
    .filter((x) => x !== id)
    .sort();
  const fixedVersions = uniq(all.flatMap((h) => h.fixed));
  let status: FindingStatus = fixedVersions.length > 0 ? 'fixed' : 'affected';
  if (status === 'affected') {
    for (const h of members) {
      const s = unfixedStatus(h.record, h.affected);
      if (s !== 'affected') {
        status = s;
        break;
      }
    }
  }
  const cvss = sortCvss(uniq(all.flatMap((h) => recordCvss(h.record, h.affected))));
  const vendor = all.map((h) => vendorSeverity(h.record, h.affected)).find((s) => s !== undefined);
  const published = all.map((h) => h.record.published).filter((d): d is string => !!d).sort()[0];
  const modified = all.map((h) => h.record.modified).filter((d): d is string => !!d).sort().at(-1);
  const summary =
    members.map((h) => h.record.summary).find((s) => !!s) ??
    members.map((h) => h.record.details?.split('\n')[0]?.slice(0, 240)).find((s) => !!s);
  const related = uniq(members.flatMap((h) => coveredVulns(h.record)));
  return {
    id,
    aliases,
    ...(summary ? { summary } : {}),
    package: pkg,
    status,
    fixedVersions,
    cvss,
    ...(published ? { published } : {}),
    ...(modified ? { modified } : {}),
    references: uniq(all.flatMap((h) => (h.record.references ?? []).map((r) => r.url))).slice(0, 25),
    layer: pkg.layer,
    records: uniq(all.map((h) => h.record.id)).sort(),
    ...(related.length > 0 ? { related } : {}),
    vendor,
  };
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
  const lookups = packages.map(lookupsFor);
  const queries = new Map<string, PackageQuery>();
  for (const ls of lookups) for (const l of ls) queries.set(lookupKey(l.query), l.query);
  const records = await source.lookup([...queries.values()]);

  const drafts = packages.flatMap((pkg, i) =>
    groupByVulnerability(hitsFor(pkg, lookups[i]!, records, warn)).map((g) => buildFinding(pkg, g)),
  );

  const cveIds = uniq(
    drafts.flatMap((d) => [d.id, ...d.aliases, ...(d.related ?? [])]).filter((id) => id.startsWith('CVE-')),
  );
  const intel = cveIds.length > 0 ? await source.enrich(cveIds) : new Map();

  const findings: Finding[] = drafts.map(({ vendor, ...d }) => {
    const ids = [d.id, ...d.aliases, ...(d.related ?? [])];
    const enrichments = ids.map((x) => intel.get(x)).filter((e) => e !== undefined);
    const kev = enrichments.find((e) => e.kev)?.kev;
    const epss = enrichments
      .map((e) => e.epss)
      .filter((e) => e !== undefined)
      .sort((a, b) => b.score - a.score)[0];
    const nvd = sortCvss(enrichments.flatMap((e) => e.nvd ?? []));
    const { severity, source: severitySource } = chooseSeverity(
      { vendor, cvss: d.cvss, nvd },
      opts.severitySource ?? 'vendor',
    );
    const cvss = sortCvss(uniq([...d.cvss, ...nvd.filter((n) => !d.cvss.some((c) => c.vector === n.vector))]));
    return { ...d, cvss, severity, severitySource, ...(kev ? { kev } : {}), ...(epss ? { epss } : {}) };
  });

  findings.sort(
    (a, b) =>
      a.package.name.localeCompare(b.package.name) ||
      a.package.path.localeCompare(b.package.path) ||
      a.id.localeCompare(b.id),
  );
  return { findings, warnings };
}

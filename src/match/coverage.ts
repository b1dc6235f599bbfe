// What the scan actually checked: per ecosystem of the image's packages, whether the vulnerability
// data covers it. A package whose ecosystem the data does not cover was not checked, whatever the
// finding count says, so every such ecosystem is listed with its reason and the fix.
import type { Coverage, CoverageStatus, EcosystemCoverage, EcosystemData, UncheckedPackage, UnreadFile } from '../model/coverage.js';
import type { OsInfo } from '../model/os.js';
import type { Package } from '../model/package.js';
import { ecosystemSupport } from '../ecosystems/index.js';
import { compareStrings } from '../version/digits.js';

/** How one package stands before the data is asked: matchable in `ecosystem`, or not at all. */
type Support =
  | { status: 'supported'; ecosystem: string }
  | { status: 'unsupported' | 'os-unknown'; label: string; reason: string };

/** Whether a package can be matched at all, and under which ecosystem (the ecosystem registry decides). */
export function packageSupport(pkg: Package, os: OsInfo | undefined): Support {
  const s = ecosystemSupport(pkg, os);
  if (s.status === 'supported') return { status: 'supported', ecosystem: pkg.ecosystem };
  return { status: s.status, label: s.name, reason: s.reason };
}

/**
 * Whether the data covers an ecosystem: it holds records for it, or (a source that cannot count,
 * the public OSV API) a source answers for it.
 */
function holdsData(d: EcosystemData | undefined): boolean {
  if (!d) return false;
  return d.records > 0 || (d.counted === false && d.sources.length > 0);
}

export interface CoverageInput {
  packages: readonly Package[];
  os?: OsInfo;
  /** Package files found but not read (Inventory.unread). */
  unread?: readonly UnreadFile[];
  /** Packages found but not checked (invalid versions, SBOM purl types no ecosystem takes). */
  unchecked?: readonly UncheckedPackage[];
  /** What the data holds per ecosystem (VulnSource.coverage). */
  data: ReadonlyMap<string, EcosystemData>;
  intel?: Coverage['intel'];
  /** Where the data lives, for fix hints: a local file can be updated, a remote DB cannot from here. */
  remote?: string;
}

/** The ecosystems whose data a scan of these packages needs (what VulnSource.coverage is asked). */
export function ecosystemsNeeded(packages: readonly Package[], os: OsInfo | undefined): string[] {
  const out = new Set<string>();
  for (const p of packages) {
    const s = packageSupport(p, os);
    if (s.status === 'supported') out.add(s.ecosystem);
  }
  return [...out].sort(compareStrings);
}

function fixFor(status: CoverageStatus, ecosystem: string, remote: string | undefined): string | undefined {
  if (status === 'no-data') {
    return remote
      ? `update the database served at ${remote} with ${ecosystem} data`
      : `portcullis db update --ecosystem ${ecosystem} (or portcullis db import FILE)`;
  }
  return undefined;
}

/**
 * Coverage of a scan, before any acceptance: one entry per ecosystem (or unsupported OS / type) the
 * packages are in. `complete` is true only when every ecosystem is covered and no OS package
 * database went unread; the gate (src/policy/coverage.ts) applies what policies accept.
 */
export function computeCoverage(input: CoverageInput): Coverage {
  const groups = new Map<string, { status: CoverageStatus; packages: number; types: Set<string>; reason?: string }>();
  for (const p of input.packages) {
    const s = packageSupport(p, input.os);
    let key: string;
    let status: CoverageStatus;
    let reason: string | undefined;
    if (s.status === 'supported') {
      key = s.ecosystem;
      status = holdsData(input.data.get(s.ecosystem)) ? 'covered' : 'no-data';
      if (status === 'no-data') reason = `the vulnerability data holds no ${s.ecosystem} records`;
    } else {
      key = s.label;
      status = s.status;
      reason = s.reason;
    }
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { status, packages: 0, types: new Set(), ...(reason ? { reason } : {}) }));
    g.packages++;
    g.types.add(p.type);
  }

  const ecosystems: EcosystemCoverage[] = [];
  for (const [ecosystem, g] of [...groups].sort(([a], [b]) => compareStrings(a, b))) {
    const data = g.status === 'covered' || g.status === 'no-data' ? input.data.get(ecosystem) : undefined;
    const e: EcosystemCoverage = {
      ecosystem,
      status: g.status,
      packages: g.packages,
      types: [...g.types].sort(compareStrings),
      sources: data ? [...data.sources].sort(compareStrings) : [],
      records: data?.records ?? 0,
    };
    if (data?.dataDate) e.dataDate = data.dataDate;
    if (g.reason) e.reason = g.reason;
    const fix = fixFor(g.status, ecosystem, input.remote);
    if (fix) e.fix = fix;
    ecosystems.push(e);
  }

  const unread = [...(input.unread ?? [])].sort((a, b) => compareStrings(a.path, b.path) || compareStrings(a.cataloger, b.cataloger));
  const unchecked = [...(input.unchecked ?? [])].sort((a, b) => compareStrings(a.purl, b.purl) || compareStrings(a.code, b.code));
  const coverage: Coverage = { ecosystems, unread, unchecked, complete: false };
  if (input.intel) coverage.intel = input.intel;
  coverage.complete = coverageComplete(coverage);
  return coverage;
}

/**
 * No silent gap left: every ecosystem covered (or accepted) and every OS package database read (or
 * accepted). Unread language manifests and unchecked packages are decided by policy (warn by
 * default), not here.
 */
export function coverageComplete(c: Coverage): boolean {
  return c.ecosystems.every((e) => e.status === 'covered' || e.accepted) && c.unread.every((u) => u.kind !== 'os-pkgdb' || u.accepted);
}

/** The gaps that make a scan incomplete, one line each (for stderr and the table's verdict). */
export function coverageGaps(c: Coverage): string[] {
  const out: string[] = [];
  for (const e of c.ecosystems) {
    if (e.status === 'covered' || e.accepted) continue;
    const n = `${e.packages} ${e.packages === 1 ? 'package' : 'packages'}`;
    out.push(`${n} in ${e.ecosystem} not checked (${e.status}: ${e.reason ?? 'no data'})${e.fix ? `; fix: ${e.fix}` : ''}`);
  }
  for (const u of c.unread) {
    if (u.kind !== 'os-pkgdb' || u.accepted) continue;
    out.push(`OS package database ${u.path} (${u.cataloger}) was not read (${u.code}: ${u.reason}); its packages are unknown`);
  }
  return out;
}

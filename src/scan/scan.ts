// One scan, end to end: inventory (image or SBOM) -> match -> filter -> policy decision -> Report.
// The CLI, the Dagger module and the Tekton Task all call this; none has logic of its own.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PortcullisError } from '../errors.js';
import { filterFindings, type FindingFilter } from '../match/filter.js';
import { matchPackages } from '../match/matcher.js';
import type { SeverityPreference } from '../match/severity.js';
import type { Report } from '../model/report.js';
import type { Decision } from '../model/decision.js';
import { findingKey } from '../model/finding.js';
import type { PolicySet } from '../policy/types.js';
import { inventoryWithGaps, type InventoryOptions } from './inventory-report.js';
import { computeCoverage, ecosystemsNeeded } from '../match/coverage.js';
import { inPkgTypes } from '../match/filter.js';
import { mainEcosystem } from '../vulndb/ecosystem.js';
import { checkFreshness } from '../vulndb/freshness.js';
import { openVulnSource } from '../vulndb/open.js';
import { resolveDbPath } from '../vulndb/paths.js';
import type { VulnSource } from '../vulndb/source.js';

export { inventoryReport, type InventoryOptions, type LayerCacheSettings, type RunContext, type ScanInput } from './inventory-report.js';

/** The vulnerability DB a scan matches against (`--db`, `--db-url`, `--offline`, age checks). */
export interface DbSettings {
  /** `--db FILE` (default: $PORTCULLIS_DB or the per-user cache). */
  path?: string;
  /** `--db-url URL`: a `portcullis db serve` (default $PORTCULLIS_DB_URL). */
  url?: string;
  token?: string;
  /** `--insecure-db-url`: allow the token over plain http:// to a non-loopback host. */
  insecureUrl?: boolean;
  /** Never download: a missing DB is an error, a missing ecosystem a coverage gap. */
  offline?: boolean;
  maxAgeMs?: number;
  skipAgeCheck?: boolean;
}

/** How packages are matched and which findings are kept. */
export interface MatchSettings {
  severitySource?: SeverityPreference;
  filter?: FindingFilter;
}

/** What decides: policies, exceptions, VEX, baseline, accepted coverage gaps. */
export interface GateSettings {
  /** Policy files, `'default'` (the shipped gate, the default) or `'none'` (report only). */
  policies?: string[] | 'default' | 'none';
  vex?: string[];
  ignoreFile?: string;
  baseline?: string;
  baseLayerCount?: number;
  /** Accept every coverage gap (reported as accepted): `--allow-uncovered`. */
  allowUncovered?: boolean;
}

export interface ScanOptions extends InventoryOptions {
  db?: DbSettings;
  match?: MatchSettings;
  gate?: GateSettings;
}

/** The gate, ready to decide: every input loaded and checked. */
export interface Gate {
  policies: PolicySet;
  decide(report: Report): Decision;
}

/**
 * Loads every gate input before the slow work, so a broken policy fails in a second (exit 2).
 * Undefined when there is no gate (`--policy none`): the policy engine is then never loaded.
 */
export async function loadGate(opts: GateSettings, cwd: string, now?: Date): Promise<Gate | undefined> {
  const which = opts.policies ?? 'default';
  // Gate inputs given with `--policy none` are still checked: a broken file is an error either way.
  if (which === 'none' && !opts.vex?.length && !opts.ignoreFile && !opts.baseline) return undefined;
  // One import for the gate (src/policy/gate.ts); the shipped policies come precompiled and the
  // YAML parser loads only for a policy file or an ignore file.
  const { decide, loadBaseline, loadPolicies, loadVex } = await import('../policy/gate.js');
  const abs = (p: string) => resolve(cwd, p);
  // `builtin:NAME` names a shipped policy, not a file in the working directory.
  const policyPath = (p: string) => (p.startsWith('builtin:') ? p : abs(p));
  const policies = which === 'none' ? undefined : await loadPolicies(which === 'default' ? 'default' : which.map(policyPath));
  const vex = await Promise.all((opts.vex ?? []).map((p) => loadVex(abs(p))));
  const ignore = opts.ignoreFile ? await (await import('../policy/ignore-file.js')).loadIgnoreFile(abs(opts.ignoreFile)) : [];
  const baseline = opts.baseline ? await loadBaseline(abs(opts.baseline)) : undefined;
  if (!policies) return undefined;
  return { policies, decide: (report) => decide(report, policies, { vex, ignore, baseline, now, baseLayerCount: opts.baseLayerCount }) };
}

/** Puts each finding's action, and what decided it, on the finding itself. */
export function annotateFindings(report: Report, decision: Decision): void {
  for (const f of report.findings ?? []) {
    const d = decision.byFinding[findingKey(f)];
    if (!d) continue;
    const { action, ...why } = d;
    f.action = action;
    f.decision = why;
  }
}

/** The ecosystems a DB may be missing and can fetch: those the packages need (OSV names). */
function neededEcosystems(report: Report): string[] {
  return ecosystemsNeeded(report.packages, report.os);
}

/**
 * Opens the DB. A first run (no local DB yet) downloads what the image needs; a local DB that
 * lacks an ecosystem the image needs gets it first. Unless offline: then a missing DB is an error
 * and a missing ecosystem is a coverage gap.
 */
async function openDb(opts: DbSettings, report: Report, env: NodeJS.ProcessEnv, cwd: string, onNotice?: (m: string) => void): Promise<VulnSource> {
  const dbUrl = opts.url ?? env.PORTCULLIS_DB_URL;
  const open = () => openVulnSource({ db: opts.path, dbUrl, token: opts.token, env, cwd, ...(opts.insecureUrl ? { insecureDbUrl: true } : {}) });
  if (dbUrl) return open();
  const dbPath = resolveDbPath({ db: opts.path, env, cwd });
  const needed = neededEcosystems(report);
  const download = async (ecosystems: string[], enrichment: boolean) => {
    const { updateDb, updateSourcesFromEnv } = await import('../vulndb/update.js');
    await updateDb({ dbPath, ecosystems, enrichment, ...updateSourcesFromEnv(env), warn: (m) => onNotice?.(`warning: ${m}`) });
  };
  if (!existsSync(dbPath)) {
    if (opts.offline) {
      throw new PortcullisError(
        'no vulnerability database (offline); run `portcullis db update` (or `portcullis db import FILE…`) first',
        { subject: dbPath },
      );
    }
    onNotice?.(
      `no vulnerability database at ${dbPath} yet: downloading ${needed.map(mainEcosystem).filter((e, i, a) => a.indexOf(e) === i).join(', ') || 'enrichment only'} (use --offline to refuse)`,
    );
    // KEV and EPSS come too: the default gate blocks KEV entries, so a DB without them would
    // pass what it should block.
    await download(needed, true);
    return open();
  }
  const db = await open();
  if (opts.offline || needed.length === 0) return db;
  const have = await db.coverage(needed);
  const missing = needed.filter((e) => (have.get(e)?.records ?? 0) === 0);
  if (missing.length === 0) return db;
  await db.close();
  onNotice?.(`the vulnerability database at ${dbPath} holds no ${missing.join(', ')} data: downloading it first (use --offline to refuse)`);
  await download(missing, false);
  return open();
}

/** Runs a whole scan and returns the Report (with findings, and a decision unless policies = none). */
export async function scan(opts: ScanOptions): Promise<Report> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const dbOpts = opts.db ?? {};
  const { severitySource, filter = {} } = opts.match ?? {};
  const gate = await loadGate(opts.gate ?? {}, cwd, opts.now);
  const { report, unread, unchecked } = await inventoryWithGaps({ ...opts, cwd });

  const db = await openDb(dbOpts, report, env, cwd, opts.onNotice);
  try {
    if (!dbOpts.skipAgeCheck) checkFreshness(db, dbOpts.maxAgeMs, (opts.now ?? new Date()).getTime());
    report.db = db.summary();
    // A rule reading KEV or EPSS with no such data could never fire: fail before matching.
    if (gate) {
      const { checkIntelAvailable } = await import('../policy/coverage.js');
      checkIntelAvailable([...gate.policies.rules, ...gate.policies.limits], report.db.intel, gate.policies.coverage.missingIntel);
    }
    opts.onProgress?.(`matching ${report.packages.length} packages`);
    const matched = await matchPackages(report.packages, db, { severitySource });
    report.findings = filterFindings(matched.findings, filter);
    report.warnings.push(...matched.warnings);
    // Coverage is judged on the packages in scope of --pkg-types (the others were excluded on purpose).
    const inScope = report.packages.filter((p) => inPkgTypes(p, filter.pkgTypes));
    const data = await db.coverage(ecosystemsNeeded(inScope, report.os));
    const coverage = computeCoverage({
      packages: inScope,
      ...(report.os ? { os: report.os } : {}),
      unread,
      unchecked: [...unchecked, ...matched.unchecked],
      data,
      ...(report.db.intel ? { intel: report.db.intel } : {}),
      ...((dbOpts.url ?? env.PORTCULLIS_DB_URL) ? { remote: report.db.location } : {}),
    });
    const { acceptCoverage } = await import('../policy/coverage.js');
    report.coverage = acceptCoverage(coverage, gate?.policies.coverage, { allowUncovered: opts.gate?.allowUncovered === true, ...(opts.now ? { now: opts.now } : {}) });
  } finally {
    await db.close();
  }

  if (gate) {
    report.decision = gate.decide(report);
    annotateFindings(report, report.decision);
  }
  return report;
}

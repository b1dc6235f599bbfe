// One scan, end to end: inventory (image or SBOM) -> match -> filter -> policy decision -> Report.
// The CLI, the Dagger module and the Tekton Task all call this; none has logic of its own.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PortcullisError } from '../errors.js';
import type { ResolveOptions } from '../image/resolve.js';
import { filterFindings, type FindingFilter } from '../match/filter.js';
import { matchPackages } from '../match/matcher.js';
import type { SeverityPreference } from '../match/severity.js';
import type { Report } from '../model/report.js';
import type { Decision } from '../model/decision.js';
import { inventoryReport } from './inventory-report.js';
import { mainEcosystem } from '../vulndb/ecosystem.js';
import { checkFreshness } from '../vulndb/freshness.js';
import { openVulnSource } from '../vulndb/open.js';
import { resolveDbPath } from '../vulndb/paths.js';
import type { VulnSource } from '../vulndb/source.js';

export { inventoryReport, type InventoryOptions } from './inventory-report.js';

export interface ScanOptions {
  /** Image argument (path, prefixed source, registry reference); or `sbom`. */
  image?: string;
  /** Scan a CycloneDX / SPDX JSON SBOM instead of an image. */
  sbom?: string;
  imageOptions?: ResolveOptions;
  /** Layer cache directory (default: per-user cache); `noCache` reads every layer. */
  cacheDir?: string;
  noCache?: boolean;
  /** Layer cache backend: `fs` (default), `redis://…`, `rediss://…` (default $PORTCULLIS_CACHE_BACKEND). */
  cacheBackend?: string;
  cacheTtlMs?: number;
  cacheTimeoutMs?: number;
  cacheMaxEntryBytes?: number;
  cacheTls?: { ca?: string; cert?: string; key?: string };
  /** `--db FILE` */
  db?: string;
  /** `--db-url URL` */
  dbUrl?: string;
  dbToken?: string;
  /** Never download: a missing DB is an error. */
  offline?: boolean;
  maxDbAgeMs?: number;
  skipDbAgeCheck?: boolean;
  severitySource?: SeverityPreference;
  filter?: FindingFilter;
  /** Policy files, `'default'` (shipped default gate) or `'none'` (report only). */
  policies?: string[] | 'default' | 'none';
  vex?: string[];
  ignoreFile?: string;
  baseline?: string;
  baseLayerCount?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  now?: Date;
  /** Human progress lines (the shell decides whether to show them). */
  onProgress?(message: string): void;
  /** Things the user must know even in CI (first-run download). */
  onNotice?(message: string): void;
}

/** The gate, ready to decide: every input loaded and checked. */
type Gate = (report: Report) => Decision;

/**
 * Loads every gate input before the slow work, so a broken policy fails in a second (exit 2).
 * Undefined when there is no gate (`--policy none`): the policy engine is then never loaded.
 */
async function loadGate(opts: ScanOptions, cwd: string): Promise<Gate | undefined> {
  const which = opts.policies ?? 'default';
  // Gate inputs given with `--policy none` are still checked: a broken file is an error either way.
  if (which === 'none' && !opts.vex?.length && !opts.ignoreFile && !opts.baseline) return undefined;
  const { decide, loadBaseline, loadIgnoreFile, loadPolicies, loadVex } = await import('../policy/index.js');
  const abs = (p: string) => resolve(cwd, p);
  const policies = which === 'none' ? undefined : await loadPolicies(which === 'default' ? 'default' : which.map(abs));
  const vex = await Promise.all((opts.vex ?? []).map((p) => loadVex(abs(p))));
  const ignore = opts.ignoreFile ? await loadIgnoreFile(abs(opts.ignoreFile)) : [];
  const baseline = opts.baseline ? await loadBaseline(abs(opts.baseline)) : undefined;
  if (!policies) return undefined;
  return (report) => decide(report, policies, { vex, ignore, baseline, now: opts.now, baseLayerCount: opts.baseLayerCount });
}

/** Opens the DB; on a first run (no local DB yet) downloads what the image needs, unless offline. */
async function openDb(opts: ScanOptions, report: Report, env: NodeJS.ProcessEnv, cwd: string): Promise<VulnSource> {
  const dbUrl = opts.dbUrl ?? env.PORTCULLIS_DB_URL;
  if (!dbUrl) {
    const dbPath = resolveDbPath({ db: opts.db, env, cwd });
    if (!existsSync(dbPath)) {
      if (opts.offline) {
        throw new PortcullisError(
          'no vulnerability database (offline); run `portcullis db update` (or `portcullis db import FILE…`) first',
          { subject: dbPath },
        );
      }
      const ecosystems = [...new Set(report.packages.map((p) => p.ecosystem).filter(Boolean))].sort();
      opts.onNotice?.(
        `no vulnerability database at ${dbPath} yet: downloading ${ecosystems.map(mainEcosystem).filter((e, i, a) => a.indexOf(e) === i).join(', ') || 'enrichment only'} (use --offline to refuse)`,
      );
      // KEV and EPSS come too: the default gate blocks KEV entries, so a DB without them would
      // pass what it should block.
      const { updateDb, updateSourcesFromEnv } = await import('../vulndb/update.js');
      await updateDb({ dbPath, ecosystems, enrichment: true, ...updateSourcesFromEnv(env), warn: (m) => opts.onNotice?.(`warning: ${m}`) });
    }
  }
  return openVulnSource({ db: opts.db, dbUrl, token: opts.dbToken, env, cwd });
}

/** Runs a whole scan and returns the Report (with findings, and a decision unless policies = none). */
export async function scan(opts: ScanOptions): Promise<Report> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const gate = await loadGate(opts, cwd);
  const report = await inventoryReport(opts, cwd);

  const db = await openDb(opts, report, env, cwd);
  try {
    if (!opts.skipDbAgeCheck) checkFreshness(db, opts.maxDbAgeMs, (opts.now ?? new Date()).getTime());
    report.db = db.summary();
    opts.onProgress?.(`matching ${report.packages.length} packages`);
    const matched = await matchPackages(report.packages, db, { severitySource: opts.severitySource });
    report.findings = filterFindings(matched.findings, opts.filter ?? {});
    report.warnings.push(...matched.warnings);
  } finally {
    await db.close();
  }

  if (gate) report.decision = gate(report);
  return report;
}

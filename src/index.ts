// The library entry point (package.json "exports" "."): what a Node program that embeds portcullis
// calls — scan, sbom, decide, render — over the same core as the CLI. docs/api.md documents it.
// Nothing here prints, exits or reads process.argv; failures are thrown as PortcullisError.
import { resolve } from 'node:path';
import { PortcullisError } from './errors.js';
import type { Coverage } from './model/coverage.js';
import type { Report } from './model/report.js';
import { encoderFor } from './report/index.js';
import { inventoryReport, type InventoryOptions } from './scan/inventory-report.js';
import { annotateFindings, loadGate, scan as runScan, type GateSettings, type ScanOptions } from './scan/scan.js';
import { verdictOf, type Verdict } from './scan/verdict.js';

export { PortcullisError, ImageError } from './errors.js';
export { formatNames } from './report/index.js';
export { verdictOf, type Verdict, type VerdictStatus } from './scan/verdict.js';
export type { ScanOptions, InventoryOptions };
export type { DbSettings, GateSettings, MatchSettings } from './scan/scan.js';
export type { LayerCacheSettings, RunContext, ScanInput } from './scan/inventory-report.js';
export type { FindingFilter } from './match/filter.js';
export type { Report, ReportLayer, DbSummary } from './model/report.js';
export type { Finding, Severity } from './model/finding.js';
export type { Package } from './model/package.js';
export type { Decision, FindingDecision, Action } from './model/decision.js';
export type { Coverage, EcosystemCoverage, UnreadFile, UncheckedPackage } from './model/coverage.js';
export type { EncodeOptions } from './report/encoder.js';

/** A decided scan: the whole report and its verdict (pass, blocked or incomplete). */
export interface ScanResult {
  report: Report;
  verdict: Verdict;
}

/**
 * Scans one image (or an SBOM): inventory, match against the vulnerability DB, policy decision.
 * Resolves to the report and its verdict; an incomplete scan resolves too, with verdict
 * `incomplete` (exit code 2), never as a pass. Bad input, an unreadable image or a missing DB
 * (offline) rejects with a PortcullisError.
 */
export async function scan(options: ScanOptions): Promise<ScanResult> {
  const report = await runScan(options);
  return { report, verdict: verdictOf(report) };
}

/** The image's packages, not matched (what `portcullis sbom` writes): a Report without findings. */
export function sbom(options: InventoryOptions): Promise<Report> {
  return inventoryReport(options);
}

/** The gate's settings, as scan's `gate` option; relative paths resolve against `cwd`. */
export interface DecideOptions extends GateSettings {
  /** Default: process.cwd(). */
  cwd?: string;
  now?: Date;
}

/**
 * Decides a scanned report again under other policies (e.g. a stored `scan --format json` report):
 * coverage acceptance and the policy decision are recomputed; the input is not changed. A report
 * that was never matched (an `sbom` inventory) is refused: deciding it would pass unchecked data.
 */
export async function decide(report: Report, options: DecideOptions = {}): Promise<ScanResult> {
  if (!report.coverage || !report.findings) {
    throw new PortcullisError('decide: the report was not matched against vulnerability data (no coverage); scan it first');
  }
  const cwd = resolve(options.cwd ?? process.cwd());
  const { cwd: _cwd, now, ...gateSettings } = options;
  const gate = await loadGate({ policies: 'default', ...gateSettings }, cwd, now);
  const out = structuredClone(report);
  const { acceptCoverage } = await import('./policy/coverage.js');
  out.coverage = acceptCoverage(withoutAcceptance(report.coverage), gate?.policies.coverage, {
    allowUncovered: options.allowUncovered === true,
    ...(options.now ? { now: options.now } : {}),
  });
  for (const f of out.findings ?? []) {
    delete f.action;
    delete f.decision;
  }
  delete out.decision;
  if (gate) {
    out.decision = gate.decide(out);
    annotateFindings(out, out.decision);
  }
  return { report: out, verdict: verdictOf(out) };
}

/** The gaps as scanned, before any policy accepted them (acceptance is the deciding policy's). */
function withoutAcceptance(c: Coverage): Coverage {
  const strip = <T extends { accepted?: unknown }>(x: T): T => {
    const { accepted: _accepted, ...rest } = x;
    return rest as T;
  };
  return { ...c, ecosystems: c.ecosystems.map(strip), unread: c.unread.map(strip) };
}

/** The report in one format (json, table, sarif, cyclonedx, spdx, junit, markdown, html). */
export function render(report: Report, format: string, options: { color?: boolean; width?: number } = {}): string {
  return encoderFor(format).encode(report, { color: false, ...options });
}

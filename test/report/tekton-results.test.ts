// Tekton result files from the typed Report: the decision as the CLI's exit code means it, counts
// per severity, coverage, the main report, and the termination-message bound with big inputs.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeCoverage } from '../../src/match/coverage.js';
import type { UnreadFile } from '../../src/model/coverage.js';
import type { Report } from '../../src/model/report.js';
import {
  TEKTON_RESULT_NAMES, TEKTON_RESULTS_BUDGET, fitEncoded, tektonResults, terminationMessage, writeTektonResults,
} from '../../src/report/tekton-results.js';
import { hugeReport, sampleReport } from './sample-report.js';

const MAIN = { path: '/workspace/reports/report.json', digest: `sha256:${'a'.repeat(64)}` };

/** The report's coverage as the scan computes it, with the data holding `covered` ecosystems only. */
function withCoverage(report: Report, covered: string[], unread: UnreadFile[] = []): Report {
  const data = new Map(covered.map((e) => [e, { records: 10, sources: [`osv:${e}`] }]));
  return { ...report, coverage: computeCoverage({ packages: report.packages, os: report.os, data, unread }) };
}
const bytes = (r: ReturnType<typeof tektonResults>) => Buffer.byteLength(terminationMessage(r));

describe('tektonResults', () => {
  it('a blocked scan: DECISION blocked, BLOCKED true, a count per severity, the report and its digest', () => {
    const report = withCoverage(sampleReport(), ['Debian:12', 'npm']);
    expect(report.coverage!.complete).toBe(true);
    expect(report.decision!.blocked).toBe(true);
    const r = tektonResults({ report, mainReport: MAIN });
    const sev = (s: string) => String(report.findings!.filter((f) => f.severity === s).length);
    expect(r).toEqual({
      DECISION: 'blocked', BLOCKED: 'true',
      CRITICAL: sev('CRITICAL'), HIGH: sev('HIGH'), MEDIUM: sev('MEDIUM'), LOW: sev('LOW'), UNKNOWN: sev('UNKNOWN'),
      COVERAGE: 'complete: covered Debian:12, npm', REPORT: MAIN.path, REPORT_DIGEST: MAIN.digest, ERROR: '',
    });
    expect(Number(r.CRITICAL) + Number(r.HIGH)).toBeGreaterThan(0);
  });

  it('a pass, and an undecided scan (--policy none), do not block', () => {
    const report = withCoverage(sampleReport(), ['Debian:12', 'npm']);
    report.decision = { ...report.decision!, blocked: false };
    expect(tektonResults({ report, mainReport: MAIN })).toMatchObject({ DECISION: 'pass', BLOCKED: 'false' });
    const none = withCoverage(sampleReport({ noDecision: true }), ['Debian:12', 'npm']);
    expect(tektonResults({ report: none })).toMatchObject({ DECISION: 'no-policy', BLOCKED: 'false', REPORT: '', REPORT_DIGEST: '' });
  });

  it('an incomplete scan is never a pass, whatever the policy said, and names its gaps', () => {
    const report = withCoverage(sampleReport(), ['npm']);
    report.decision = { ...report.decision!, blocked: false };
    const r = tektonResults({ report, mainReport: MAIN });
    expect(r).toMatchObject({ DECISION: 'incomplete', BLOCKED: 'true', REPORT: MAIN.path });
    expect(r.COVERAGE).toMatch(/^incomplete: \d+ packages? in Debian:12 not checked \(no-data/);
  });

  it('an error: DECISION error, BLOCKED true, no counts, no report, the one-line message', () => {
    const r = tektonResults({ error: '/w/corrupt.tar: not a tar archive\nsecond line' });
    expect(r).toEqual({
      DECISION: 'error', BLOCKED: 'true', CRITICAL: 'n/a', HIGH: 'n/a', MEDIUM: 'n/a', LOW: 'n/a', UNKNOWN: 'n/a',
      COVERAGE: 'n/a', REPORT: '', REPORT_DIGEST: '', ERROR: '/w/corrupt.tar: not a tar archive',
    });
    // An error after the report was written (e.g. attaching the attestation failed) wins over it.
    const after = tektonResults({ report: withCoverage(sampleReport(), ['Debian:12', 'npm']), mainReport: MAIN, error: 'push refused' });
    expect(after).toMatchObject({ DECISION: 'error', BLOCKED: 'true', REPORT: '', ERROR: 'push refused' });
  });

  it('stays inside the termination-message budget with 20,000 findings, 300 gaps and a huge error', () => {
    const huge = hugeReport(20_000);
    const unread: UnreadFile[] = Array.from({ length: 300 }, (_, i) => ({
      path: `/opt/layer${i}/var/lib/dpkg/status`, cataloger: 'dpkg', kind: 'os-pkgdb', code: 'too-large', reason: 'over the 64 MiB limit', layer: 1,
    }));
    const report = withCoverage(huge, [], unread);
    const r = tektonResults({ report, mainReport: MAIN });
    expect(r.DECISION).toBe('incomplete');
    expect(Number(r.CRITICAL) + Number(r.HIGH) + Number(r.MEDIUM) + Number(r.LOW) + Number(r.UNKNOWN)).toBe(20_000);
    expect(r.COVERAGE.endsWith('…')).toBe(true);
    expect(bytes(r)).toBeLessThanOrEqual(TEKTON_RESULTS_BUDGET);
    const err = tektonResults({ error: `x: ${'"\\\u0001é'.repeat(5000)}` });
    expect(err.ERROR.endsWith('…')).toBe(true);
    expect(bytes(err)).toBeLessThanOrEqual(TEKTON_RESULTS_BUDGET);
    // The cap is real: without it the same coverage line would not fit.
    expect(Buffer.byteLength(JSON.stringify(r.COVERAGE))).toBeLessThan(1024);
    expect(() => tektonResults({ report, mainReport: { ...MAIN, path: `/${'p'.repeat(2000)}` } })).toThrow(/report path is over/);
  });

  it('fitEncoded cuts at a code point and measures the JSON-escaped form', () => {
    expect(fitEncoded('short', 10)).toBe('short');
    const cut = fitEncoded('ab😀😀😀😀', 12);
    expect(cut).toBe('ab😀…');
    expect(Buffer.byteLength(JSON.stringify(fitEncoded('"'.repeat(100), 21))) - 2).toBeLessThanOrEqual(21);
  });

  it('writeTektonResults writes every name, verbatim, and refuses a missing directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tekton-results-'));
    const r = tektonResults({ report: withCoverage(sampleReport(), ['Debian:12', 'npm']), mainReport: MAIN });
    await writeTektonResults(dir, r);
    expect(readdirSync(dir).sort()).toEqual([...TEKTON_RESULT_NAMES].sort());
    for (const n of TEKTON_RESULT_NAMES) expect(readFileSync(join(dir, n), 'utf8')).toBe(r[n]);
    await expect(writeTektonResults(join(dir, 'nope'), r)).rejects.toThrow(/--results-dir: not a directory/);
  });
});

// test-tier: full (tens of MiB of SARIF encoded and compressed)
// SARIF within GitHub code scanning's upload limits (GITHUB_SARIF_LIMITS): the results GitHub would
// keep are chosen by us (blocking first, then severity), the file fits the compressed-size limit,
// and the run properties say what was left out. `sarifLimits: 'none'` writes everything.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { findingKey } from '../../src/model/finding.js';
import { encoderFor } from '../../src/report/index.js';
import { GITHUB_SARIF_LIMITS } from '../../src/report/sarif.js';
import { formatErrors, validateSarif } from '../helpers/schemas.js';
import { HAVE_SHARED } from '../helpers/shared.js';
import { hugeReport, sampleReport } from './sample-report.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const sarif = encoderFor('sarif');

/** Text that gzip cannot shrink much (a fixed LCG, so the test is the same every run). */
function noise(len: number, seed: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let x = seed >>> 0;
  let out = '';
  for (let i = 0; i < len; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out += alphabet[x >>> 26];
  }
  return out;
}

describe('GitHub SARIF limits', () => {
  it('a normal report is untouched: no truncation property, every result', () => {
    const r = sampleReport();
    const doc = JSON.parse(sarif.encode(r)) as Json;
    expect(doc.runs).toHaveLength(1);
    expect(doc.runs[0].results).toHaveLength(r.findings!.length);
    expect(doc.runs[0].properties.truncation).toBeUndefined();
    expect(sarif.encode(r, { sarifLimits: 'none' })).toBe(sarif.encode(r));
  });

  it('over 5,000 results: the 5,000 that matter most are kept, and the run says so', () => {
    const r = hugeReport(6200);
    const doc = JSON.parse(sarif.encode(r)) as Json;
    const run = doc.runs[0];
    expect(run.results).toHaveLength(GITHUB_SARIF_LIMITS.shownResultsPerRun);
    expect(run.properties.truncation).toEqual({ limits: 'github', results: 6200, kept: 5000, reasons: ['GitHub keeps 5000 results of a run'] });
    // Every blocking finding is kept, and nothing kept ranks below something dropped.
    const rank = { block: 0, warn: 1, ignore: 2 } as const;
    const actionOf = (id: string, purl: string) => r.decision!.byFinding[findingKey({ id, package: { purl, path: '/var/lib/dpkg/status' } as never })]!.action;
    const keptKeys = new Set(run.results.map((x: Json) => `${x.ruleId}|${x.properties.package.purl}`));
    const blocking = r.findings!.filter((f) => r.decision!.byFinding[findingKey(f)]!.action === 'block');
    for (const f of blocking) expect(keptKeys.has(`${f.id}|${f.package.purl}`)).toBe(true);
    const worstKept = Math.max(...run.results.map((x: Json) => rank[actionOf(x.ruleId, x.properties.package.purl)]));
    const dropped = r.findings!.filter((f) => !keptKeys.has(`${f.id}|${f.package.purl}`));
    expect(dropped).toHaveLength(1200);
    for (const f of dropped) expect(rank[r.decision!.byFinding[findingKey(f)]!.action]).toBeGreaterThanOrEqual(worstKept);
    // Only the rules the kept results use; counts still describe every finding.
    expect(run.tool.driver.rules).toHaveLength(new Set(run.results.map((x: Json) => x.ruleId)).size);
    expect(Object.values(run.properties.counts as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(6200);
    for (const x of run.results) expect(run.tool.driver.rules[x.ruleIndex].id).toBe(x.ruleId);
    for (const rule of run.tool.driver.rules) expect(rule.properties.tags.length).toBeLessThanOrEqual(GITHUB_SARIF_LIMITS.shownTagsPerRule);
    expect(JSON.parse(sarif.encode(r, { sarifLimits: 'none' })).runs[0].results).toHaveLength(6200);
  });

  /** 300 findings with 40 KB summaries no window of gzip can share: ~25 MiB compressed. */
  let bulky: string | undefined;
  const bulkyText = () => {
    const r = hugeReport(300);
    r.findings = r.findings!.map((f, i) => ({ ...f, summary: noise(40_000, i + 1) }));
    bulky ??= sarif.encode(r);
    return { r, text: bulky };
  };

  it('over 10 MiB compressed: results are dropped until the file fits, and the run says why', () => {
    const { r, text } = bulkyText();
    const unlimited = sarif.encode(r, { sarifLimits: 'none' });
    expect(gzipSync(unlimited).length).toBeGreaterThan(GITHUB_SARIF_LIMITS.gzipBytes);
    expect(gzipSync(text).length).toBeLessThanOrEqual(GITHUB_SARIF_LIMITS.gzipBytes);
    const run = (JSON.parse(text) as Json).runs[0];
    expect(run.properties.truncation.reasons).toContain('GitHub accepts 10 MiB of gzip-compressed SARIF');
    expect(run.properties.truncation.kept).toBe(run.results.length);
    expect(run.results.length).toBeGreaterThan(0);
    expect(run.results.length).toBeLessThan(300);
  });

  it.skipIf(!HAVE_SHARED)('a truncated file is still valid SARIF 2.1.0', () => {
    const doc = JSON.parse(bulkyText().text) as Json;
    expect(doc.runs[0].properties.truncation).toBeDefined();
    const errors = validateSarif(doc);
    expect(errors, formatErrors(errors)).toEqual([]);
  });
});

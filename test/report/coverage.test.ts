// Coverage at a glance in every report: a scan whose data misses an ecosystem says INCOMPLETE
// everywhere (never PASSED), and an accepted gap is shown with who accepted it.
import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { computeCoverage } from '../../src/match/coverage.js';
import type { EcosystemData } from '../../src/model/coverage.js';
import type { Report } from '../../src/model/report.js';
import { acceptCoverage } from '../../src/policy/coverage.js';
import { encoderFor } from '../../src/report/index.js';
import { verdictOf } from '../../src/report/common.js';
import { formatErrors, validateSarif } from '../helpers/schemas.js';
import { HAVE_SHARED } from '../helpers/shared.js';
import { sampleReport } from './sample-report.js';

const npmPkg = (r: Report) => ({ ...r.packages[0]!, name: 'lodash', version: '4.17.20', type: 'npm' as const, ecosystem: 'npm', purl: 'pkg:npm/lodash@4.17.20', path: '/app/node_modules/lodash/package.json' });

/** The sample Debian 12 report plus one npm package, against data holding only Debian:12. */
function withCoverage(accept = false): Report {
  const r = sampleReport();
  r.packages = [...r.packages, npmPkg(r)];
  const data = new Map<string, EcosystemData>([['Debian:12', { records: 1234, sources: ['osv:Debian'], dataDate: '2026-12-05T10:00:00Z' }]]);
  const raw = computeCoverage({ packages: r.packages, os: r.os, data, unread: [{ path: '/srv/app/package-lock.json', cataloger: 'npm', kind: 'manifest', code: 'too-large', reason: 'over the 64 MiB limit' }] });
  r.coverage = accept ? acceptCoverage(raw, undefined, { allowUncovered: true }) : raw;
  return r;
}

describe('coverage in the reports', () => {
  it('the verdict is incomplete, not passed, while a gap stands; accepted gaps restore the policy verdict', () => {
    expect(verdictOf(withCoverage())).toBe('incomplete');
    expect(verdictOf(withCoverage(true))).toBe(verdictOf(sampleReport()));
  });

  it('table: a coverage summary, the gap named with its fix, and an INCOMPLETE verdict', () => {
    const text = encoderFor('table').encode(withCoverage(), { width: 200 });
    expect(text).toMatch(/^Coverage: \d+ packages in 1 covered ecosystem, 1 not checked, 1 unread manifest$/m);
    expect(text).toMatch(/npm 2 packages: NO-DATA \(the vulnerability data holds no npm records\)/);
    expect(text).toMatch(/manifest \/srv\/app\/package-lock.json NOT READ \(too-large/);
    expect(text).toMatch(/^INCOMPLETE: 1 part of the image was not checked, so this is not a pass/m);
    expect(text).not.toMatch(/PASSED|BLOCKED/);
    const accepted = encoderFor('table').encode(withCoverage(true), { width: 200 });
    expect(accepted).toMatch(/npm 2 packages: NO-DATA .* accepted by --allow-uncovered/);
    expect(accepted).not.toMatch(/INCOMPLETE/);
  });

  it('markdown and HTML show the coverage lines', () => {
    const md = encoderFor('markdown').encode(withCoverage());
    expect(md).toContain('**INCOMPLETE: 1 part of the image was not checked');
    expect(md).toMatch(/^- Debian:12 \d+ packages: covered \(osv:Debian, 1,234 records, data 2026-12-05\)$/m);
    const html = encoderFor('html').encode(withCoverage());
    const data = JSON.parse(/<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html)![1]!.replace(/\\u003c/g, '<')) as { verdict: string; coverage: string[] };
    expect(data.verdict).toBe('incomplete');
    expect(data.coverage[0]).toMatch(/^Coverage: /);
    expect(html).toContain('<section id="coverage">');
  });

  it('JSON carries the coverage section as is; JUnit has coverage properties', () => {
    const json = JSON.parse(encoderFor('json').encode(withCoverage())) as Report;
    expect(json.coverage?.complete).toBe(false);
    expect(json.coverage?.ecosystems.map((e) => [e.ecosystem, e.status])).toEqual([['Debian:12', 'covered'], ['npm', 'no-data']]);
    const xml = new XMLParser({ ignoreAttributes: false }).parse(encoderFor('junit').encode(withCoverage())) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const suites = [xml.testsuites.testsuite].flat();
    const props = [suites[0].properties.property].flat() as { '@_name': string; '@_value': string }[];
    expect(props.find((p) => p['@_name'] === 'verdict')?.['@_value']).toBe('incomplete');
    expect(props.find((p) => p['@_name'] === 'coverage.complete')?.['@_value']).toBe('false');
  });

  it.skipIf(!HAVE_SHARED)('SARIF: coverage in the run properties, still valid SARIF 2.1.0', () => {
    const doc = JSON.parse(encoderFor('sarif').encode(withCoverage())) as { runs: { properties: { verdict: string; coverage: { complete: boolean } } }[] };
    expect(doc.runs[0]!.properties.verdict).toBe('incomplete');
    expect(doc.runs[0]!.properties.coverage.complete).toBe(false);
    const errors = validateSarif(doc);
    expect(errors, formatErrors(errors)).toEqual([]);
  });
});

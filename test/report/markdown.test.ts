import { describe, expect, it } from 'vitest';
import { encoderFor } from '../../src/report/index.js';
import { encodeMarkdown, MARKDOWN_MAX_CHARS, mdCell } from '../../src/report/markdown.js';
import { hostileReport, hugeReport, sampleReport } from './sample-report.js';

const md = encoderFor('markdown');

describe('markdown', () => {
  it('says the verdict, counts by severity and the top blocking findings with fixes', () => {
    const out = md.encode(sampleReport());
    expect(out).toContain('**BLOCKED: 4 items blocked by policy (8 findings in total).**');
    expect(out).toContain('| Findings | 2 | 3 | 1 | 1 | 1 | 8 |');
    expect(out).toContain('| Blocking | 1 | 2 | 0 | 0 | 0 | 3 |');
    const top = out.slice(out.indexOf('### Top blocking findings'), out.indexOf('<details>'));
    expect(top).toContain('| CVE-2023-38545 | CRITICAL | libcurl4 7.88.1-10+deb12u5 | 7.88.1-10+deb12u4 | 1 |');
    expect(top).not.toContain('CVE-2024-5535');
    expect(out).toMatch(/<details><summary>All 8 findings<\/summary>\n\n\| Vulnerability/);
    expect(out).toContain('</details>');
    expect(out).toContain('CVE-2024-5535 expired 2024-12-31');
    expect(out).not.toMatch(/Truncated/);
    expect(out).not.toMatch(/[\u{1F300}-\u{1FAFF}\u2705\u274C]/u);
  });

  it('passes and inventories read clearly', () => {
    const r = sampleReport();
    r.decision!.blocked = false;
    expect(md.encode(r)).toContain('**PASSED: nothing is blocked by policy');
    const sbom = md.encode(sampleReport({ sbom: true }));
    expect(sbom).toContain('Inventory only: 8 packages');
    expect(sbom).toContain('| lodash | 4.17.20 | npm | 2 |');
  });

  it('stays under the bound with 5,000 findings and says it truncated', () => {
    const out = md.encode(hugeReport(5000));
    expect(out.length).toBeLessThanOrEqual(MARKDOWN_MAX_CHARS);
    expect(out.length).toBeGreaterThan(MARKDOWN_MAX_CHARS - 2000);
    expect(out).toMatch(/_Truncated to fit: \d+ of 5000 findings are not shown; see the full report._/);
    expect(out).toContain('</details>');
    // Tables stay well-formed: every table row has the same number of cells as its header.
    for (const line of out.split('\n').filter((l) => l.startsWith('| CVE-'))) {
      expect(line.split(/(?<!\\)\|/).length - 2).toBeGreaterThanOrEqual(5);
    }
    expect(encodeMarkdown(hugeReport(5000), 10_000).length).toBeLessThanOrEqual(10_000);
  });

  it('escapes pipes and markup in cells', () => {
    expect(mdCell('a|b')).toBe('a\\|b');
    expect(mdCell('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(mdCell('x\ny\u0000z')).toBe('x y z');
    expect(mdCell('[x](javascript:alert(1))')).toBe('\\[x\\](javascript:alert(1))');
    expect(mdCell('@babel/core')).toBe('@\u200bbabel/core');
    const out = md.encode(hostileReport());
    expect(out).not.toContain('<script>');
    const rows = out.split('\n').filter((l) => l.startsWith('| CVE-2024-2961'));
    expect(rows).toHaveLength(2); // top blocking (5 cells) and all findings (6 cells)
    expect(rows.map((l) => l.split(/(?<!\\)\|/).length - 2)).toEqual([5, 6]);
    for (const line of rows) expect(line).not.toMatch(/[\u0000-\u001f]/);
  });
});

import { describe, expect, it } from 'vitest';
import { encoderFor } from '../../src/report/index.js';
import { layoutColumns, wrapCell, wrapProse } from '../../src/report/table.js';
import { hostileReport, sampleReport } from './sample-report.js';

const table = encoderFor('table');
const ANSI = /\u001b\[/;

function rows(text: string): string[] {
  return text.split('\n').filter((l) => /^(\S+)\s+\S+\s+(CVE|TEMP)-\S+\s+(CRITICAL|HIGH|MEDIUM|LOW|UNKNOWN)/.test(l));
}

describe('table', () => {
  it('is plain (no escapes) when not a TTY, coloured on one', () => {
    const plain = table.encode(sampleReport(), { color: false });
    expect(plain).not.toMatch(ANSI);
    const tty = table.encode(sampleReport(), { color: true, width: 200 });
    expect(tty).toMatch(ANSI);
    // Same content once the colours are removed.
    expect(tty.replace(/\u001b\[[0-9;]*m/g, '')).toBe(table.encode(sampleReport(), { color: false, width: 200 }));
  });

  it('groups by severity, CRITICAL first, with the asked columns and a totals line', () => {
    const out = table.encode(sampleReport());
    const header = out.split('\n').find((l) => l.startsWith('PACKAGE'))!;
    expect(header.split(/\s{2,}/)).toEqual(['PACKAGE', 'INSTALLED', 'VULNERABILITY', 'SEVERITY', 'STATUS', 'FIXED IN', 'ACTION', 'LAYER']);
    const sev = rows(out).map((l) => l.match(/(CRITICAL|HIGH|MEDIUM|LOW|UNKNOWN)/)![1]);
    expect(sev).toEqual(['CRITICAL', 'CRITICAL', 'HIGH', 'HIGH', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN']);
    const curl = rows(out).find((l) => l.startsWith('libcurl4'))!;
    expect(curl.split(/\s{2,}/)).toEqual(['libcurl4', '7.88.1-10+deb12u5', 'CVE-2023-38545', 'CRITICAL (cvss)', 'fixed', '7.88.1-10+deb12u4', 'block', '1']);
    expect(out).toContain('Total: 8 vulnerabilities (CRITICAL 2, HIGH 3, MEDIUM 1, LOW 1, UNKNOWN 1); block 3, warn 2, ignore 3');
    expect(out).toContain('BLOCK no-root-user');
    expect(out).toContain('Expired exception CVE-2024-5535');
    expect(out).toMatch(/BLOCKED: 4 items blocked by policy/);
  });

  it('has no action column without a decision', () => {
    const out = table.encode(sampleReport({ noDecision: true }));
    expect(out).not.toContain('ACTION');
    expect(out).toContain('No policy decision');
  });

  it('is stable: the input order of findings does not matter', () => {
    const a = sampleReport();
    const b = sampleReport();
    b.findings!.reverse();
    b.packages.reverse();
    expect(table.encode(b)).toBe(table.encode(a));
    const s = sampleReport({ sbom: true });
    const t = sampleReport({ sbom: true });
    t.packages.reverse();
    expect(table.encode(t)).toBe(table.encode(s));
  });

  const strip = (t: string) => t.replace(/\u001b\[[0-9;]*m/g, '');

  for (const width of [80, 120]) {
    it(`at ${width} columns no line is wider, and no package name, id, title or total is cut`, () => {
      const report = sampleReport();
      const out = strip(table.encode(report, { color: true, width }));
      const lines = out.split('\n');
      for (const l of lines) expect([...l].length, `${width}: ${l}`).toBeLessThanOrEqual(width);
      expect(out).not.toContain('…');
      // Every package name and every advisory id stands whole on the line of its finding.
      for (const f of report.findings!) {
        expect(lines.some((l) => l.startsWith(`${f.package.name} `) && l.includes(` ${f.id} `)), `${f.package.name} ${f.id}`).toBe(true);
      }
      // The title keeps the image name and the whole digest; the totals keep every count.
      expect(lines[0]).toMatch(/^registry\.example\.com\/team\/app:1\.4\.2\b/);
      expect(lines.some((l) => l.includes(`(${report.image.manifestDigest})`))).toBe(true);
      expect(out).toContain('Total: 8 vulnerabilities (CRITICAL 2, HIGH 3, MEDIUM 1, LOW 1, UNKNOWN 1)');
      expect(out).toMatch(/block 3, warn 2, ignore 3/);
      expect(out).toMatch(/^BLOCKED: 4 items blocked by policy/m);
    });
  }

  it('at 120 columns every column is there; at 80 the lowest ones give way, and the table says so', () => {
    const wide = strip(table.encode(sampleReport(), { width: 120 }));
    expect(wide.split('\n').find((l) => l.startsWith('PACKAGE'))!.split(/\s{2,}/)).toEqual(['PACKAGE', 'INSTALLED', 'VULNERABILITY', 'SEVERITY', 'STATUS', 'FIXED IN', 'ACTION', 'LAYER']);
    expect(wide).toMatch(/^libcurl4\s+7\.88\.1-10\+deb12u5\s+CVE-2023-38545\s+CRITICAL \(cvss\)\s+fixed\s+7\.88\.1-10\+deb12u4\s+block\s+1$/m);
    expect(wide).not.toContain('left out');
    const narrow = strip(table.encode(sampleReport(), { width: 80 }));
    expect(narrow.split('\n').find((l) => l.startsWith('PACKAGE'))!.split(/\s{2,}/)).toEqual(['PACKAGE', 'INSTALLED', 'VULNERABILITY', 'SEVERITY', 'FIXED IN', 'ACTION']);
    expect(narrow).toMatch(/\(LAYER, STATUS left out to fit 80 columns/);
    // A narrow severity column drops the source rather than cutting the severity; long versions
    // wrap onto a continuation line, whole.
    expect(narrow).toMatch(/^libcurl4\s+7\.88\.1-10\+\s+CVE-2023-38545\s+CRITICAL\s+7\.88\.1-10\+\s+block$/m);
    expect(narrow).toMatch(/^\s{17}deb12u5\s+deb12u4$/m);
  });

  it('without a width (a file) nothing is fitted: one line a finding, every column', () => {
    const out = table.encode(sampleReport());
    expect(rows(out)).toHaveLength(8);
    expect(out).toContain('Total: 8 vulnerabilities (CRITICAL 2, HIGH 3, MEDIUM 1, LOW 1, UNKNOWN 1); block 3, warn 2, ignore 3');
  });

  it('layoutColumns shortens, then wraps the widest wrapping column, then drops by priority, never cutting the rest', () => {
    const cols = [
      { title: 'A', min: 3 },
      { title: 'B', wrap: true, min: 4, drop: 1 },
      { title: 'C', min: 5, drop: 0 },
    ];
    const row = (a: string, b: string, c: string) => [{ text: a }, { text: b }, { text: c }];
    const rowsOf = [row('a'.repeat(20), 'b'.repeat(10), 'c'.repeat(5))];
    expect(layoutColumns(cols, rowsOf, undefined)).toEqual({ shown: [0, 1, 2], widths: [20, 10, 5], dropped: [] });
    expect(layoutColumns(cols, rowsOf, 35)).toEqual({ shown: [0, 1, 2], widths: [20, 6, 5], dropped: [] });
    expect(layoutColumns(cols, rowsOf, 30)).toEqual({ shown: [0, 1], widths: [20, 8], dropped: ['C'] });
    // Nothing left to give way: wider than asked, the name whole.
    expect(layoutColumns(cols, rowsOf, 10)).toEqual({ shown: [0], widths: [20], dropped: ['C', 'B'] });
  });

  it('wraps cells at punctuation and prose at spaces, never cutting a long word', () => {
    expect(wrapCell('7.88.1-10+deb12u5', 10)).toEqual(['7.88.1-10+', 'deb12u5']);
    expect(wrapCell('will not fix', 6)).toEqual(['will', 'not', 'fix']);
    expect(wrapCell('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapProse('one two three four', 9)).toEqual(['one two', '  three', '  four']);
    expect(wrapProse('  x sha256:0123456789abcdef', 12)).toEqual(['  x', '    sha256:0123456789abcdef']);
    expect(wrapProse('short', 80)).toEqual(['short']);
  });

  it('lists packages for an sbom report', () => {
    const out = table.encode(sampleReport({ sbom: true }));
    expect(out).toMatch(/^NAME\s+VERSION\s+TYPE\s+PATH\s+LAYER$/m);
    expect(out).toMatch(/^lodash\s+4\.17\.20\s+npm\s+\/srv\/app\/node_modules\/lodash\/package\.json\s+2$/m);
    expect(out).toContain('Total: 8 packages');
    expect(out).not.toContain('vulnerabilit');
  });

  it('shows control characters from the image as text, even with colour on', () => {
    const out = table.encode(hostileReport(), { color: true, width: 300 });
    // Our own SGR sequences only: every ESC starts `ESC[<digits;>m`.
    expect(out.replace(/\u001b\[[0-9;]*m/g, '')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u2028]/);
    expect(out).toContain('\\x1b[31m');
    expect(out).toContain('\\x00\\x07');
  });
});

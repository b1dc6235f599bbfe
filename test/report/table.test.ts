import { describe, expect, it } from 'vitest';
import { encoderFor } from '../../src/report/index.js';
import { fitWidths } from '../../src/report/table.js';
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

  it('fits table rows into the terminal width', () => {
    for (const width of [70, 80, 100, 120]) {
      const out = table.encode(sampleReport(), { color: true, width });
      const lines = out.replace(/\u001b\[[0-9;]*m/g, '').split('\n');
      const start = lines.findIndex((l) => l.startsWith('PACK'));
      const tableLines = lines.slice(start, lines.indexOf('', start));
      expect(tableLines.length).toBe(2 + 8 + 4); // header, rule, 8 findings, 4 group separators
      for (const l of tableLines) expect([...l].length, `${width}: ${l}`).toBeLessThanOrEqual(width);
    }
    const narrow = table.encode(sampleReport(), { width: 70 });
    expect(narrow).toContain('…');
    // A narrow severity column drops the source rather than cutting the severity.
    expect(narrow).toMatch(/CVE-2023-38545\s+CRITICAL\s/);
  });

  it('fitWidths shrinks the widest shrinkable column and respects minimums', () => {
    const cols = [
      { title: 'A', shrinkable: true, min: 3 },
      { title: 'B', shrinkable: true, min: 3 },
      { title: 'C', shrinkable: false, min: 5 },
    ];
    expect(fitWidths([30, 10, 5], cols, 30)).toEqual([11, 10, 5]);
    expect(fitWidths([30, 10, 5], cols, 5)).toEqual([3, 3, 5]);
    expect(fitWidths([30, 10, 5], cols, undefined)).toEqual([30, 10, 5]);
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

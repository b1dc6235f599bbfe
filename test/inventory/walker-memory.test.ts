// Memory stays flat however many large binaries an image holds: the Go and Rust catalogers want
// every executable-looking file by path and size, but only their distilled buildinfo is kept.
// Measured as peak RSS of a child process (memory-child.ts), against a control run that keeps the
// same binaries whole, so a measurement that cannot see retained files fails the control.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./memory-child.ts', import.meta.url));
const COUNT = 300;

interface Result {
  baselineKb: number;
  peakKb: number;
  totalBytes: number;
  packages: number;
  warnings: number;
  distillCalls: number;
}

async function child(mode: 'real' | 'keep-raw'): Promise<Result & { growthBytes: number }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, String(COUNT), mode], { timeout: 120_000, maxBuffer: 1024 * 1024 });
  const r = JSON.parse(stdout) as Result;
  return { ...r, growthBytes: (r.peakKb - r.baselineKb) * 1024 };
}

describe('walker memory', () => {
  it(`${COUNT} non-Go 2 MiB ELF binaries: peak RSS grows by far less than their total`, { timeout: 240_000 }, async () => {
    const real = await child('real');
    // Every binary passed the ELF sniff and was distilled by both the Go and the Rust cataloger.
    expect(real.distillCalls).toBe(2 * COUNT);
    expect(real.packages).toBe(0);
    expect(real.warnings).toBe(0);
    expect(real.totalBytes).toBe(COUNT * 2 * 1024 * 1024);
    expect(real.growthBytes).toBeLessThan(real.totalBytes * 0.2);

    // Control: the same image with one cataloger that keeps the binaries whole.
    const control = await child('keep-raw');
    expect(control.growthBytes).toBeGreaterThan(control.totalBytes * 0.8);
  });
});

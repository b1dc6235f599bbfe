// Shared inputs of the hardening suites: a small real DB made by `db import` of OSV records, and
// a runner for one hostile image through `portcullis scan` in a fresh sandbox.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { rmSync } from 'node:fs';
import { figures, judge, runCli, sandbox, TALLY, type Expected, type RunResult, type Sandbox } from './harness.js';

export const DEBIAN_OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n';

export function dpkgStanza(name: string, version: string, extra = ''): string {
  return `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n${extra}Description: test package\n\n`;
}

export function osvRecord(id: string, ecosystem: string, name: string, events: object[]): Record<string, unknown> {
  return {
    schema_version: '1.6.0',
    id,
    modified: '2025-06-01T00:00:00Z',
    published: '2024-01-01T00:00:00Z',
    summary: `${id} in ${name}`,
    affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events }] }],
  };
}

/** A DB holding a few Debian:12 records, built once per test file through the real CLI. */
export async function makeDb(records: Record<string, unknown>[] = DEFAULT_RECORDS): Promise<{ dir: string; db: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-hard-db-'));
  mkdirSync(join(dir, 'records'));
  records.forEach((r, i) => writeFileSync(join(dir, 'records', `${i}.json`), JSON.stringify(r)));
  const db = join(dir, 'db.sqlite');
  const r = await runCli(['db', 'import', '--db', db, '--quiet', join(dir, 'records')], { cwd: dir, env: { HOME: dir, XDG_CACHE_HOME: join(dir, 'cache') } });
  expect(r.code, r.stderr).toBe(0);
  expect(existsSync(db)).toBe(true);
  return { dir, db };
}

export const DEFAULT_RECORDS = [
  osvRecord('DEBIAN-CVE-2099-0001', 'Debian:12', 'hello', [{ introduced: '0' }, { fixed: '2.0-1' }]),
  osvRecord('DEBIAN-CVE-2099-0002', 'Debian:12', 'bigver', [{ introduced: '0' }, { fixed: `1.${'9'.repeat(10_000)}` }]),
];

export interface ScanCase {
  name: string;
  /** Writes the image under `sb.input`; returns the image argument. */
  build(sb: Sandbox): string | Promise<string>;
  expected: Expected;
  /** Extra checks on the parsed report (exit 0/1). */
  check?(report: ScanReport, r: RunResult): void;
  timeoutMs?: number;
  /** `sbom` instead of `scan`. */
  command?: 'scan' | 'sbom';
  /** More `scan` arguments (e.g. `--allow-uncovered` where the case is not about coverage). */
  extraArgs?: string[];
}

export interface ScanReport {
  warnings?: { code: string; message: string; path?: string }[];
  packages?: { name: string; version: string; path?: string }[];
  os?: { id: string };
  findings?: { id: string; package: { name: string } }[];
}

/**
 * Runs one case: `scan IMAGE --offline --db DB --policy none --format json=out/sub/report.json`
 * with cwd, HOME, XDG_CACHE_HOME and TMPDIR in a fresh sandbox; checks the outcome and that the
 * only new path anywhere in the sandbox is the report (none on exit 2).
 */
export async function runScanCase(c: ScanCase, db: string): Promise<RunResult> {
  const sb = sandbox();
  try {
    const image = await c.build(sb);
    const before = sb.snapshot();
    const report = join(sb.out, 'report.json');
    const args =
      c.command === 'sbom'
        ? ['sbom', image, '--quiet', '--output', report]
        : ['scan', image, '--offline', '--db', db, '--skip-db-age-check', '--policy', 'none', '--quiet', '--format', `json=${report}`, ...(c.extraArgs ?? [])];
    const r = await runCli(args, { cwd: sb.cwd, env: sb.env, timeoutMs: c.timeoutMs ?? 60_000 });
    // An incomplete scan (exit 2) still writes its report, which says what was not checked.
    const reported = r.code !== 2 || c.expected.kind === 'incomplete';
    const parsed = judge(c.name, r, c.expected, reported ? report : undefined);
    const after = sb.snapshot();
    const created = after.filter((p) => !before.includes(p));
    expect(created, `${c.name}: new paths in the sandbox`).toEqual(reported ? ['out/sub/report.json'] : []);
    if (parsed && c.check) c.check(parsed as ScanReport, r);
    return r;
  } finally {
    sb.cleanup();
  }
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/**
 * The DB a suite's scans use, made before its cases and removed after them, when the suite's
 * figures (the tally, plus `extra()`) are printed. Call inside describe(); read `.db` in a case.
 */
export function suiteDb(label: string, extra: () => Record<string, unknown> = () => ({})): { readonly db: string } {
  let made: { dir: string; db: string } | undefined;
  beforeAll(async () => {
    made = await makeDb();
  }, 120_000);
  afterAll(() => {
    if (made) rmSync(made.dir, { recursive: true, force: true });
    figures(label, { ...TALLY, ...extra() });
  });
  return {
    get db(): string {
      if (!made) throw new Error('suiteDb read before beforeAll');
      return made.db;
    },
  };
}

// One `--format NAME[=FILE]` / `--output FILE` syntax for scan and sbom, the documented default
// is what lands in a file, and every finished scan says its verdict on stderr (issue 18, section 5).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { runCli } from '../helpers/cli.js';
import { kevCatalog } from '../helpers/kev.js';

function record(cve: string, source: string) {
  return {
    schema_version: '1.6.0', id: `DEBIAN-${cve}`, upstream: [cve], modified: new Date().toISOString(), published: '2022-01-01T00:00:00Z',
    affected: [{ package: { ecosystem: 'Debian:12', name: source }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'unimportant' } }],
  };
}

describe('report formats and the verdict line', () => {
  let img: DebianImageFixture;
  let dir: string;
  let db: string;
  const env = () => ({ PORTCULLIS_DB: db, XDG_CACHE_HOME: join(dir, 'cache') });
  const lines = (stderr: string) => stderr.split('\n').filter(Boolean);

  beforeAll(async () => {
    img = await debianImage();
    dir = mkdtempSync(join(tmpdir(), 'portcullis-formats-'));
    mkdirSync(join(dir, 'records'));
    writeFileSync(join(dir, 'records', 'glibc.json'), JSON.stringify(record('CVE-2019-1010022', 'glibc')));
    db = join(dir, 'db.sqlite');
    writeFileSync(join(dir, 'kev.json'), kevCatalog());
    const imported = await runCli(['db', 'import', '--db', db, '--quiet', join(dir, 'records'), join(dir, 'kev.json')]);
    expect(imported.code, imported.stderr).toBe(0);
    writeFileSync(join(dir, 'block-all.yaml'), 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: block-all}\nspec:\n  rules:\n    - {id: all, description: block all, action: block, when: {severity: [CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN]}}\n');
  }, 1_800_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sbom takes --format NAME=FILE (repeatable) like scan, and --output with the default json', async () => {
    const cdx = join(dir, 'bom.cdx.json');
    const spdx = join(dir, 'bom.spdx.json');
    const r = await runCli(['sbom', img.dockerArchive, '--format', `cyclonedx=${cdx}`, '--format', `spdx=${spdx}`, '--format', 'json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(cdx, 'utf8'))).toMatchObject({ bomFormat: 'CycloneDX' });
    expect(JSON.parse(readFileSync(spdx, 'utf8'))).toMatchObject({ spdxVersion: 'SPDX-2.3' });
    const native = JSON.parse(r.stdout) as Report;
    expect(native.packages.length).toBeGreaterThan(50);

    const out = join(dir, 'inventory.json');
    const o = await runCli(['sbom', img.dockerArchive, '--output', out], { env: env() });
    expect(o.code, o.stderr).toBe(0);
    expect(o.stdout).toBe('');
    expect((JSON.parse(readFileSync(out, 'utf8')) as Report).packages).toHaveLength(native.packages.length);

    const table = await runCli(['sbom', img.dockerArchive, '--format', 'table'], { env: env() });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+VERSION\s+TYPE/m);
    expect(table.stdout).toContain(`Total: ${native.packages.length} packages`);
  });

  it('sbom refuses a format that is not an inventory format, in one line', async () => {
    const r = await runCli(['sbom', img.dockerArchive, '--format', 'sarif'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('portcullis: --format: unknown format "sarif" (known: json, cyclonedx, spdx, table)\n');
  });

  it('scan --output FILE without --format writes the documented default, the table', async () => {
    const out = join(dir, 'report.txt');
    const r = await runCli(['scan', img.dockerArchive, '--policy', 'none', '--output', out], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const text = readFileSync(out, 'utf8');
    expect(text).not.toMatch(/^\{/);
    expect(text).toMatch(/^PACKAGE\s+INSTALLED\s+VULNERABILITY/m);
    expect(text).toMatch(/^Total: 2 vulnerabilities/m);
    // The help says so, in the same words for both commands.
    const help = (await runCli(['scan', '--help'])).stdout;
    expect(help).toContain('--output FILE           write the one format (--format NAME, else table) to FILE');
    expect((await runCli(['sbom', '--help'])).stdout).toContain('--output FILE           write the one format (--format NAME, else json) to FILE');
  });

  it('the table on a non-terminal stdout fits 80 columns by default, $COLUMNS when set', async () => {
    for (const [columns, width] of [[undefined, 80], ['120', 120]] as const) {
      const r = await runCli(['scan', img.dockerArchive, '--policy', 'none', '--quiet'], { env: { ...env(), COLUMNS: columns } });
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      const start = lines.findIndex((l) => l.startsWith('PACKAGE'));
      const table = lines.slice(start, lines.indexOf('', start));
      expect(table.length).toBeGreaterThan(3);
      for (const l of table) expect([...l].length, `${width}: ${l}`).toBeLessThanOrEqual(width);
      for (const name of ['libc6', 'libc-bin']) expect(table.some((l) => l.startsWith(`${name} `) && l.includes(' CVE-2019-1010022 '))).toBe(true);
      expect(r.stdout).toMatch(/^Total: 2 vulnerabilities \(CRITICAL \d+, HIGH \d+, MEDIUM \d+, LOW \d+, UNKNOWN \d+\)$/m);
    }
  });

  it('a pass, a block and a run without policy each end with one verdict line on stderr; --quiet silences it', async () => {
    const json = join(dir, 'r.json');
    const pass = await runCli(['scan', img.dockerArchive, '--format', `json=${json}`], { env: env() });
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stdout).toBe('');
    expect(lines(pass.stderr)).toEqual([expect.stringMatching(/^portcullis: PASSED \S+ \(2 findings, 0 blocking, 2 warnings\)$/)]);

    const block = await runCli(['scan', img.dockerArchive, '--policy', join(dir, 'block-all.yaml'), '--format', `sarif=${join(dir, 'r.sarif')}`], { env: env() });
    expect(block.code, block.stderr).toBe(1);
    expect(lines(block.stderr)).toEqual([expect.stringMatching(/^portcullis: BLOCKED \S+ \(2 findings, 2 blocking\)$/)]);

    const none = await runCli(['scan', img.dockerArchive, '--policy', 'none', '--format', `json=${json}`], { env: env() });
    expect(none.code).toBe(0);
    expect(lines(none.stderr)).toEqual([expect.stringMatching(/^portcullis: NO POLICY \S+ \(2 findings, none judged: --policy none\)$/)]);

    const quiet = await runCli(['scan', img.dockerArchive, '--quiet', '--format', `json=${json}`], { env: env() });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('an error or an incomplete scan is still exactly one line (no verdict line after it)', async () => {
    const missing = await runCli(['scan', img.dockerArchive, '--policy', join(dir, 'absent.yaml'), '--format', `json=${join(dir, 'e.json')}`], { env: env() });
    expect(missing.code).toBe(2);
    expect(lines(missing.stderr)).toHaveLength(1);
    expect(missing.stderr).not.toMatch(/PASSED|BLOCKED/);

    // A DB without Debian:12 data: the OS packages are not covered, so the scan is incomplete.
    const npmOnly = join(dir, 'npm-only.sqlite');
    writeFileSync(join(dir, 'npm.json'), JSON.stringify({ schema_version: '1.6.0', id: 'GHSA-test-0000-0000', modified: new Date().toISOString(), affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }] }));
    expect((await runCli(['db', 'import', '--db', npmOnly, '--quiet', join(dir, 'npm.json'), join(dir, 'kev.json')])).code).toBe(0);
    const inc = await runCli(['scan', img.dockerArchive, '--offline', '--format', `json=${join(dir, 'i.json')}`], { env: { ...env(), PORTCULLIS_DB: npmOnly } });
    expect(inc.code).toBe(2);
    expect(lines(inc.stderr)).toEqual([expect.stringMatching(/^portcullis: incomplete scan, not a pass: /)]);
  });
});

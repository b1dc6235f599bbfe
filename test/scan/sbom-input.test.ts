// `scan --sbom FILE`: our own CycloneDX and SPDX, and Trivy's CycloneDX of the same image, give the
// same findings as scanning the image itself.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { trivyBinary } from '../../bench/lib/trivy.js';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { runCli } from '../helpers/cli.js';
import { execFileSync } from 'node:child_process';

const record = (cve: string, source: string) => ({
  id: `DEBIAN-${cve}`, upstream: [cve], modified: new Date().toISOString(),
  affected: [{ package: { ecosystem: 'Debian:12', name: source }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'unimportant' } }],
});

describe('scan --sbom', () => {
  let img: DebianImageFixture;
  let dir: string;
  let db: string;
  let expected: string[];
  const env = () => ({ PORTCULLIS_DB: db, XDG_CACHE_HOME: join(dir, 'cache') });
  const ids = (r: Report) => r.findings!.map((f) => `${f.id} ${f.package.name} ${f.package.version}`).sort();

  beforeAll(async () => {
    img = await debianImage();
    dir = mkdtempSync(join(tmpdir(), 'portcullis-sbom-input-'));
    mkdirSync(join(dir, 'records'));
    // glibc (no epoch) and util-linux (bsdutils carries epoch 1 in its binary version).
    writeFileSync(join(dir, 'records', 'a.json'), JSON.stringify(record('CVE-2019-1010022', 'glibc')));
    writeFileSync(join(dir, 'records', 'b.json'), JSON.stringify(record('CVE-2022-0563', 'util-linux')));
    db = join(dir, 'db.sqlite');
    expect((await runCli(['db', 'import', '--db', db, join(dir, 'records')])).code).toBe(0);
    const direct = await runCli(['scan', img.dockerArchive, '--policy', 'none', '--format', 'json'], { env: env() });
    expect(direct.code, direct.stderr).toBe(0);
    expected = ids(JSON.parse(direct.stdout) as Report);
    expect(expected).toHaveLength(10);
  }, 1_800_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('our CycloneDX and SPDX round-trip to the same findings, with source packages and layers kept', async () => {
    const cdx = join(dir, 'bom.cdx.json');
    const spdx = join(dir, 'bom.spdx.json');
    expect((await runCli(['sbom', img.dockerArchive, '--format', 'cyclonedx', '--output', cdx])).code).toBe(0);
    expect((await runCli(['scan', img.dockerArchive, '--policy', 'none', '--format', `spdx=${spdx}`], { env: env() })).code).toBe(0);
    for (const file of [cdx, spdx]) {
      const r = await runCli(['scan', '--sbom', file, '--policy', 'none', '--format', 'json'], { env: env() });
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as Report;
      expect(ids(report)).toEqual(expected);
      expect(report.findings!.every((f) => f.layer.index === 0)).toBe(true);
    }
  });

  it("Trivy's CycloneDX of the same image gives the same findings", async () => {
    const trivy = await trivyBinary();
    const out = join(dir, 'trivy.cdx.json');
    execFileSync(trivy, ['image', '--input', img.dockerArchive, '--format', 'cyclonedx', '--scanners', 'license', '--cache-dir', join(dir, 'trivy-cache'), '--skip-db-update', '--offline-scan', '-q', '-o', out], { timeout: 300_000 });
    const r = await runCli(['scan', '--sbom', out, '--policy', 'none', '--format', 'json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(ids(JSON.parse(r.stdout) as Report)).toEqual(expected);
  }, 600_000);

  it('an SBOM that lacks packages because a package db was not read says so, and scanning it is incomplete (exit 2), not a pass', async () => {
    // A real image (umoci) that names Debian but holds no dpkg database: its OS packages are unknown.
    const layout = join(dir, 'nodpkg');
    const bundle = join(dir, 'nodpkg-bundle');
    execFileSync('umoci', ['init', '--layout', layout]);
    execFileSync('umoci', ['new', '--image', `${layout}:t`]);
    execFileSync('umoci', ['unpack', '--image', `${layout}:t`, bundle]);
    mkdirSync(join(bundle, 'rootfs', 'etc'), { recursive: true });
    writeFileSync(join(bundle, 'rootfs', 'etc', 'os-release'), 'ID=debian\nVERSION_ID="12"\n');
    execFileSync('umoci', ['repack', '--image', `${layout}:t`, bundle]);
    const image = `oci:${layout}:t`;
    const direct = await runCli(['scan', image, '--policy', 'none', '--format', 'json', '--quiet'], { env: env() });
    expect(direct.code).toBe(2);
    expect(direct.stderr).toMatch(/incomplete scan, not a pass: .*\/var\/lib\/dpkg\/status/);

    for (const format of ['cyclonedx', 'spdx']) {
      const file = join(dir, `nodpkg.${format}.json`);
      const made = await runCli(['sbom', image, '--format', `${format}=${file}`], { env: env() });
      expect(made.code).toBe(0);
      expect(made.stderr).toContain('the SBOM is incomplete (and says so), package files not read: /var/lib/dpkg/status (dpkg: missing)');
      const r = await runCli(['scan', '--sbom', file, '--policy', 'none', '--format', 'json'], { env: env() });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/incomplete scan, not a pass: .*\/var\/lib\/dpkg\/status/);
      const report = JSON.parse(r.stdout) as Report;
      expect(report.coverage!.complete).toBe(false);
      expect(report.coverage!.unread).toEqual([
        expect.objectContaining({ path: '/var/lib/dpkg/status', cataloger: 'dpkg', kind: 'os-pkgdb', code: 'missing', layer: 0 }),
      ]);
      // Accepting it is the policy's decision, as for the image itself.
      const accepted = await runCli(['scan', '--sbom', file, '--policy', 'none', '--allow-uncovered', '--quiet'], { env: env() });
      expect(accepted.code).toBe(0);
    }
  });

  it('a file that is not an SBOM is exit 2 with one line naming it', async () => {
    const bad = join(dir, 'not-sbom.json');
    writeFileSync(bad, '{"hello": "world"}');
    const r = await runCli(['scan', '--sbom', bad], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`portcullis: ${bad}: not a CycloneDX or SPDX JSON document (no bomFormat / spdxVersion)\n`);
  });
});

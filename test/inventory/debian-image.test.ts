// The real debootstrap image (test/fixtures/debian-image.ts): the inventory equals what dpkg itself
// says about the final root, the purged package is gone, attribution follows the layers, and the
// three on-disk forms of the same image give the identical inventory.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveImageSource } from '../../src/image/resolve.js';
import { inventoryImage, type Inventory } from '../../src/inventory/inventory.js';
import type { Report } from '../../src/model/report.js';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { spawnCli } from '../helpers/cli.js';

const run = promisify(execFile);
// dpkg's one-letter current states whose packages we report (see src/inventory/dpkg.ts).
const PRESENT = new Set(['i', 'F', 'W', 't']);

async function inventoryOf(arg: string): Promise<Inventory> {
  const image = await resolveImageSource(arg).open();
  try {
    return await inventoryImage(image);
  } finally {
    await image.close();
  }
}

let fx: DebianImageFixture;
let inv: Inventory;

beforeAll(async () => {
  fx = await debianImage();
  inv = await inventoryOf(`docker-archive:${fx.dockerArchive}`);
}, 30 * 60_000);

describe('real Debian bookworm image', () => {
  it('detects Debian 12', () => {
    expect(inv.os).toMatchObject({ id: 'debian', versionId: '12', versionCodename: 'bookworm' });
    expect(inv.osEcosystem).toBe('Debian:12');
    expect(inv.warnings).toEqual([]);
    // every package db of the image was read: nothing is listed as unread
    expect(inv.unread).toEqual([]);
  });

  it('lists exactly the packages dpkg-query reports for the final root', async () => {
    const { stdout } = await run('dpkg-query', ['--admindir', fx.finalAdmindir, '-W', '-f', '${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n']);
    const want = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
      .filter(([, , , abbrev]) => PRESENT.has(abbrev[1]))
      .map(([n, v, a]) => `${n} ${v} ${a}`)
      .sort();
    expect(want.length).toBeGreaterThan(80);
    expect(inv.packages.map((p) => `${p.name} ${p.version} ${p.arch}`).sort()).toEqual(want);
  });

  it('the purged package is absent; layer attribution follows the history', () => {
    expect(inv.packages.find((p) => p.name === fx.facts.purged)).toBeUndefined();
    const added = inv.packages.filter((p) => p.name === fx.facts.added);
    expect(added.map((p) => p.layer.index)).toEqual([2]);
    expect(added[0].layer.createdBy).toContain(fx.facts.added);
    const others = inv.packages.filter((p) => p.name !== fx.facts.added);
    expect(new Set(others.map((p) => p.layer.index))).toEqual(new Set([0]));
    expect(others[0].layer.createdBy).toContain('debootstrap');
  });

  it('purls carry the distro', () => {
    const bash = inv.packages.find((p) => p.name === 'bash');
    expect(bash?.purl).toMatch(/^pkg:deb\/debian\/bash@5\.2[^?]*\?arch=amd64&distro=debian-12$/);
    expect(bash?.ecosystem).toBe('Debian:12');
  });

  it('docker-archive, oci and oci-archive give the identical inventory', async () => {
    const strip = (i: Inventory) => ({ ...i, packages: i.packages.map((p) => ({ ...p, layer: { index: p.layer.index, diffId: p.layer.diffId } })) });
    const oci = await inventoryOf(`oci:${fx.ociRef}`);
    const ociArchive = await inventoryOf(`oci-archive:${fx.ociArchive}`);
    // Layer digests differ by form (docker-archive stores uncompressed blobs); diffIds do not.
    expect(strip(oci)).toEqual(strip(inv));
    expect(strip(ociArchive)).toEqual(strip(inv));
    expect(oci.packages).toEqual(ociArchive.packages);
  });
});

describe('portcullis sbom (real process)', () => {
  it('exits 0 with the native JSON report', async () => {
    const r = await spawnCli(['sbom', fx.dockerArchive]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.schemaVersion).toBe('1.0');
    expect(report.findings).toBeUndefined();
    expect(report.layers.map((l) => l.createdBy)).toEqual([
      'debootstrap --variant=minbase bookworm',
      `dpkg --purge ${fx.facts.purged} && rm ${fx.facts.deletedFile}`,
      `dpkg -i ${fx.facts.added}`,
    ]);
    expect(report.packages.length).toBe(inv.packages.length);
    expect(report.image.config.user).toBe('1000:1000');
  });

  it('--output writes the file and nothing to stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-sbom-'));
    const r = await spawnCli(['sbom', `oci:${fx.ociRef}`, '--output', join(dir, 'out.json'), '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const { readFileSync } = await import('node:fs');
    expect((JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Report).packages.length).toBe(inv.packages.length);
  });

  it.each([
    ['a missing file', () => ['sbom', '/nonexistent/image.tar']],
    ['a corrupt archive', () => {
      const p = join(mkdtempSync(join(tmpdir(), 'pc-bad-')), 'bad.tar');
      writeFileSync(p, Buffer.alloc(4096, 0x5a));
      return ['sbom', p];
    }],
    ['an unknown format', () => ['sbom', fx.dockerArchive, '--format', 'nope']],
  ])('exits 2 with one line for %s', async (_what, args) => {
    const r = await spawnCli(args());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^portcullis: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

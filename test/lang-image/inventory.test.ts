// inventoryImage on the real multi-language image (test/fixtures/lang-image.ts) against ground truth
// from the tools that made it (npm ls, go version -m, wheel names, pom.properties), in all three
// image forms, and against Trivy run offline on the same docker-archive.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { trivyBinary } from '../../bench/lib/trivy.js';
import { resolveImageSource } from '../../src/image/resolve.js';
import { inventoryImage, type Inventory } from '../../src/inventory/inventory.js';
import { OS_PACKAGE_TYPES, type Package } from '../../src/model/package.js';
import { LAYER, langImage, type LangImageFixture, type TruthPackage } from '../fixtures/lang-image.js';
import { trivyLanguagePackages, type TrivyPackage } from './trivy.js';

async function inventoryOf(ref: string): Promise<{ inv: Inventory; diffIds: string[] }> {
  const image = await resolveImageSource(ref).open();
  try {
    return { inv: await inventoryImage(image), diffIds: image.layers.map((l) => l.diffId) };
  } finally {
    await image.close();
  }
}

const lang = (ps: Package[]) => ps.filter((p) => !OS_PACKAGE_TYPES.has(p.type));
const view = (p: Package | TruthPackage) => ({
  type: p.type, name: p.name, version: p.version, purl: p.purl, path: p.path,
  layer: typeof p.layer === 'number' ? p.layer : p.layer.index,
});
const byKey = <T extends { type: string; name: string; version: string; path?: string }>(a: T, b: T) => {
  const k = (x: T) => `${x.type} ${x.name} ${x.version} ${x.path ?? ''}`;
  return k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0;
};

/**
 * Where our inventory and Trivy's deliberately differ on this image (see docs/catalogers.md,
 * "Differences from Trivy"). Each entry must actually occur, so the list cannot go stale.
 */
const TRIVY_DIFFERENCES: { side: 'ours' | 'trivy'; type: string; name: string; version: string; reason: string }[] = [
  {
    side: 'ours', type: 'golang', name: 'example.com/greet', version: 'v1.4.0',
    reason: 'a `=> ./dir` replacement keeps the required module path and version, which OSV can match',
  },
  {
    side: 'trivy', type: 'golang', name: './lib', version: '(devel)',
    reason: 'Trivy reports the local replacement directory itself as a module named ./lib, version (devel)',
  },
  {
    side: 'ours', type: 'golang', name: 'stdlib', version: 'v1.19.8',
    reason: 'we report the Go toolchain as stdlib (Go vulndb has stdlib records); this Trivy build does not',
  },
  {
    side: 'ours', type: 'golang', name: 'example.com/app', version: '',
    reason: 'we report the main module even when built as (devel) (version ""); Trivy drops it',
  },
  ...['guzzlehttp/psr7@1.8.2', 'psr/http-message@1.0.1', 'ralouphie/getallheaders@3.0.3'].map((nv) => ({
    side: 'ours' as const, type: 'composer', name: nv.split('@')[0]!, version: nv.split('@')[1]!,
    reason: 'this Trivy build has no analyzer for vendor/composer/installed.json in images (only composer.lock in repos)',
  })),
];

describe('the real multi-language image', () => {
  let fx: LangImageFixture;
  let docker: { inv: Inventory; diffIds: string[] };

  beforeAll(async () => {
    fx = await langImage();
    docker = await inventoryOf(`docker-archive:${fx.dockerArchive}`);
  }, 1_200_000);

  it('the ground truth is what the fixture promises (nested ms, the Go dep line, every ecosystem)', () => {
    const nv = fx.truth.map((t) => `${t.type}:${t.name}@${t.version}`);
    expect(nv).toEqual(expect.arrayContaining(['npm:ms@2.0.0', 'npm:ms@2.1.3', 'npm:minimist@1.2.5', 'npm:lodash@4.17.20', 'pypi:pip@23.0.1', 'pypi:setuptools@66.1.1', 'golang:example.com/greet@v1.4.0']));
    expect(new Set(fx.truth.map((t) => t.type))).toEqual(new Set(['npm', 'pypi', 'golang', 'maven', 'gem', 'cargo', 'composer', 'nuget']));
  });

  it('language packages equal the ground truth: name, version, purl, path, layer', () => {
    expect(lang(docker.inv.packages).map(view).sort(byKey)).toEqual(fx.truth.map(view).sort(byKey));
    expect(docker.inv.warnings).toEqual([]);
  });

  it('layer refs carry the diff_id of the layer that wrote the file; ecosystems are the OSV ones', () => {
    const eco: Record<string, string> = { npm: 'npm', pypi: 'PyPI', golang: 'Go', maven: 'Maven', gem: 'RubyGems', cargo: 'crates.io', composer: 'Packagist', nuget: 'NuGet' };
    for (const p of lang(docker.inv.packages)) {
      expect(p.layer.diffId).toBe(docker.diffIds[p.layer.index]);
      expect(p.ecosystem).toBe(eco[p.type]);
    }
    expect(docker.diffIds).toHaveLength(Object.keys(LAYER).length);
  });

  it('the Debian base is detected and its dpkg packages sit in layer 0', () => {
    expect(docker.inv.os?.id).toBe('debian');
    expect(docker.inv.osEcosystem).toBe('Debian:12');
    const debs = docker.inv.packages.filter((p) => p.type === 'deb');
    expect(debs.map((p) => `${p.name} ${p.version} ${p.arch}`).sort()).toEqual(fx.debs.map((d) => `${d.name} ${d.version} ${d.arch}`).sort());
    expect(new Set(debs.map((p) => p.layer.index))).toEqual(new Set([LAYER.base]));
  });

  it('dependency edges come from the manifests (debug -> nested ms 2.0.0, Go main -> build list)', () => {
    const find = (type: string, name: string) => docker.inv.packages.find((p) => p.type === type && p.name === name)!;
    expect(find('npm', 'debug').dependsOn).toEqual(['pkg:npm/ms@2.0.0']);
    expect(find('golang', 'example.com/app').dependsOn).toEqual(['pkg:golang/example.com/greet@v1.4.0', 'pkg:golang/stdlib@v1.19.8']);
    expect(find('composer', 'guzzlehttp/psr7').dependsOn).toEqual(['pkg:composer/psr/http-message@1.0.1', 'pkg:composer/ralouphie/getallheaders@3.0.3']);
    expect(find('cargo', 'getrandom').dependsOn).toEqual(['pkg:cargo/cfg-if@1.0.0', 'pkg:cargo/libc@0.2.139']);
    expect(find('nuget', 'Newtonsoft.Json').dependsOn).toBeUndefined();
  });

  it('the three image forms give the identical inventory (only the stored blob digests differ)', async () => {
    // docker-archive stores layers uncompressed (skopeo), so the blob digest differs by design.
    const strip = (inv: Inventory) => ({ ...inv, packages: inv.packages.map((p) => ({ ...p, layer: { ...p.layer, digest: '' } })) });
    const oci = await inventoryOf(`oci:${fx.ociRef}`);
    const ociArchive = await inventoryOf(`oci-archive:${fx.ociArchive}`);
    expect(strip(oci.inv)).toEqual(strip(docker.inv));
    expect(strip(ociArchive.inv)).toEqual(strip(docker.inv));
    expect(oci.diffIds).toEqual(docker.diffIds);
    expect(oci.inv.packages).toHaveLength(docker.inv.packages.length);
  });

  it('equals Trivy per package type on the same docker-archive, up to the documented differences', async () => {
    const trivy = await trivyBinary();
    const cache = mkdtempSync(join(tmpdir(), 'pc-trivy-lang-'));
    let theirs: TrivyPackage[];
    try {
      theirs = await trivyLanguagePackages(trivy, fx.dockerArchive, cache);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
    const key = (p: { type: string; name: string; version: string }) => `${p.type} ${p.name}@${p.version}`;
    const listed = (side: 'ours' | 'trivy') => new Set(TRIVY_DIFFERENCES.filter((d) => d.side === side).map(key));
    const ours = lang(docker.inv.packages);
    const oursKeys = ours.map(key);
    const theirKeys = theirs.map(key);
    // Every documented difference really happens.
    for (const d of TRIVY_DIFFERENCES) {
      expect(d.side === 'ours' ? oursKeys : theirKeys, `${d.side}-only ${key(d)}: ${d.reason}`).toContain(key(d));
      expect(d.side === 'ours' ? theirKeys : oursKeys, `${key(d)} is on both sides`).not.toContain(key(d));
    }
    // Per type, the rest is identical (as multisets: nested npm duplicates count twice).
    const types = new Set([...ours.map((p) => p.type), ...theirs.map((p) => p.type)]);
    for (const t of types) {
      const a = oursKeys.filter((k) => k.startsWith(`${t} `) && !listed('ours').has(k)).sort();
      const b = theirKeys.filter((k) => k.startsWith(`${t} `) && !listed('trivy').has(k)).sort();
      expect(a, `type ${t}`).toEqual(b);
    }
    expect(theirKeys).toHaveLength(fx.truth.length - listed('ours').size + listed('trivy').size);
    // Where Trivy states a file and a layer, they are ours too.
    for (const tp of theirs) {
      const mine = ours.filter((p) => key(p) === key(tp));
      if (mine.length === 0) continue;
      if (tp.path) expect(mine.map((p) => p.path), key(tp)).toContain(`/${tp.path}`);
      if (tp.diffId) expect(new Set(mine.map((p) => p.layer.diffId)), key(tp)).toContain(tp.diffId);
    }
  }, 600_000);
});

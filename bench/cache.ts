// The layer cache: a warm re-scan against a cold one. Run: node --import tsx bench/cache.ts
// Prints ratios measured in this one run (goal: warm <= 10% of cold): the inventory step in this
// process, then whole `portcullis sbom` runs of the Debian test image from a docker-archive and from
// a real local registry, and of its ~10x larger variant both ways. A warm run still starts node,
// loads its modules, reads the manifest and config and parses the cached package dbs (~130 ms
// here), so on the small image that fixed cost dominates; the big image shows the cache's effect.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { debianImage } from '../test/fixtures/debian-image.js';
import { bigDebianImage } from './lib/big-image.js';
import { skopeoPush, startRegistry } from '../test/registry/harness.js';
import { measure } from './lib/measure.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT });
const CLI = join(ROOT, 'bin/portcullis.js');
const fx = await debianImage();
const registry = await startRegistry();
const ref = `${registry.host}/bench/debian:test`;
await skopeoPush(`oci:${fx.ociRef}`, ref);
const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-cache-'));

async function coldWarm(label: string, image: string): Promise<void> {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = join(work, `${label}-${i}`);
    cold.push((await measure(process.execPath, [CLI, 'sbom', image, '--quiet', '--cache-dir', dir])).wallMs);
    warm.push((await measure(process.execPath, [CLI, 'sbom', image, '--quiet', '--cache-dir', dir])).wallMs);
  }
  const c = Math.min(...cold);
  const w = Math.min(...warm);
  const startup = Math.min(...(await Promise.all([0, 1, 2].map(() => measure(process.execPath, [CLI, '--version'])))).map((m) => m.wallMs));
  console.log(
    `${label}: cold ${c.toFixed(0)} ms, warm ${w.toFixed(0)} ms = ${((100 * w) / c).toFixed(1)}% of cold (goal <= 10%); ` +
      `without node start-up (${startup.toFixed(0)} ms): ${((100 * (w - startup)) / (c - startup)).toFixed(1)}%`,
  );
}

/** The inventory step alone, in this process: what the cache saves, without node start-up. */
async function inProcess(label: string, image: string): Promise<void> {
  const { openLayerCache, layerDeltaStore } = await import('../src/cache/index.js');
  const { resolveImageSource } = await import('../src/image/resolve.js');
  const { inventoryImage } = await import('../src/inventory/inventory.js');
  const once = async (store: ReturnType<typeof layerDeltaStore>): Promise<number> => {
    const t0 = performance.now();
    const img = await resolveImageSource(image, {}).open();
    await inventoryImage(img, { store });
    await img.close();
    return performance.now() - t0;
  };
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    const store = layerDeltaStore(openLayerCache({ dir: join(work, `inproc-${label}-${i}`) }));
    cold.push(await once(store));
    warm.push(await once(store));
  }
  const c = Math.min(...cold);
  const w = Math.min(...warm);
  console.log(`${label}, inventory step in-process: cold ${c.toFixed(0)} ms, warm ${w.toFixed(0)} ms = ${((100 * w) / c).toFixed(1)}% of cold`);
}

try {
  await inProcess('docker-archive', fx.dockerArchive);
  await coldWarm('docker-archive', fx.dockerArchive);
  await coldWarm('registry', ref);
  const big = await bigDebianImage(fx);
  await coldWarm('10x docker-archive', big.dockerArchive);
  const bigRef = `${registry.host}/bench/debian-10x:test`;
  await skopeoPush(`oci:${big.ociRef}`, bigRef);
  await coldWarm('10x registry', bigRef);
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}

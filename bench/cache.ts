// The layer cache: a warm re-scan against a cold one. Run: node --import tsx bench/cache.ts
// Prints ratios measured in this one run. Goal (issue 15): a warm re-scan of a LOCAL archive
// <= 25% of cold, although a hit still hashes the layer blob against its digest (a sequential read
// and a sha256 of the stored bytes, no decompression, no tar parsing); a registry layer is trusted
// by digest and not fetched at all. Measured: the inventory step in this process, then whole
// `portcullis sbom` runs of the Debian test image as docker-archive, OCI layout, oci-archive and
// from a real local registry, and of its ~10x larger variant. A warm run still starts node, loads
// its modules, reads the manifest and config and parses the cached package dbs, so on the small
// image that fixed cost weighs; the big image shows the cache's effect. Set BENCH_SKIP_BIG=1 to
// skip the big image. Wall time and CPU time (user + system, all threads) are both printed: on a
// machine shared with other work, CPU time is the steadier measure of what the scan itself costs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { debianImage } from '../test/fixtures/debian-image.js';
import { bigDebianImage } from './lib/big-image.js';
import { skopeoPush, startRegistry } from '../test/registry/harness.js';
import { measure } from './lib/measure.js';
import { buildCli } from '../test/helpers/build-cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
buildCli();
const CLI = join(ROOT, 'bin/portcullis.js');
const fx = await debianImage();
const registry = await startRegistry();
const ref = `${registry.host}/bench/debian:test`;
await skopeoPush(`oci:${fx.ociRef}`, ref);
const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-cache-'));
// The per-user cache key (src/cache/secret.ts) goes under the bench's own state dir.
process.env.XDG_STATE_HOME = join(work, 'state');
const GOAL = 25;

async function coldWarm(label: string, image: string): Promise<void> {
  const cold: { wallMs: number; cpuMs: number }[] = [];
  const warm: { wallMs: number; cpuMs: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = join(work, `${label}-${i}`);
    cold.push(await measure(process.execPath, [CLI, 'sbom', image, '--quiet', '--cache-dir', dir]));
    warm.push(await measure(process.execPath, [CLI, 'sbom', image, '--quiet', '--cache-dir', dir]));
  }
  const min = (xs: { wallMs: number; cpuMs: number }[], k: 'wallMs' | 'cpuMs') => Math.min(...xs.map((x) => x[k]));
  const start = await Promise.all([0, 1, 2].map(() => measure(process.execPath, [CLI, '--version'])));
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
  const [cw, ww, sw] = [min(cold, 'wallMs'), min(warm, 'wallMs'), min(start, 'wallMs')];
  const [cc, wc, sc] = [min(cold, 'cpuMs'), min(warm, 'cpuMs'), min(start, 'cpuMs')];
  const v = await verifyCost(image);
  console.log(
    `${label}: wall cold ${cw.toFixed(0)} ms, warm ${ww.toFixed(0)} ms = ${pct(ww, cw)} of cold; ` +
      `CPU cold ${cc.toFixed(0)} ms, warm ${wc.toFixed(0)} ms = ${pct(wc, cc)} of cold (goal <= ${GOAL}%); ` +
      `without node start-up (wall ${sw.toFixed(0)} ms, CPU ${sc.toFixed(0)} ms): wall ${pct(ww - sw, cw - sw)}, CPU ${pct(wc - sc, cc - sc)}; ` +
      `floor = start-up + every layer's verify() (wall ${v.wallMs.toFixed(0)} ms, CPU ${v.cpuMs.toFixed(0)} ms): wall ${pct(sw + v.wallMs, cw)}, CPU ${pct(sc + v.cpuMs, cc)} of cold`,
  );
}

/**
 * What a warm run cannot avoid besides starting node: Layer.verify() of every layer (the hash of
 * each stored blob; a no-op for a registry image). In this process, the best of three.
 */
async function verifyCost(image: string): Promise<{ wallMs: number; cpuMs: number }> {
  const { resolveImageSource } = await import('../src/image/resolve.js');
  let best = { wallMs: Infinity, cpuMs: Infinity };
  for (let i = 0; i < 3; i++) {
    const img = await resolveImageSource(image, {}).open();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (const l of img.layers) await l.verify?.();
    const c = process.cpuUsage(c0);
    await img.close();
    const cpuMs = (c.user + c.system) / 1000;
    if (cpuMs < best.cpuMs) best = { wallMs: performance.now() - t0, cpuMs };
  }
  return best;
}

/** The inventory step alone, in this process: what the cache saves, without node start-up. */
async function inProcess(label: string, image: string): Promise<void> {
  const { openLayerCache, layerDeltaStore, userCacheSecret } = await import('../src/cache/index.js');
  const secret = (await userCacheSecret()).key;
  const { resolveImageSource } = await import('../src/image/resolve.js');
  const { inventoryImage } = await import('../src/inventory/inventory.js');
  /** Wall and CPU (this process, all threads) time of one inventory. */
  const once = async (store: ReturnType<typeof layerDeltaStore>): Promise<{ wall: number; cpu: number }> => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const img = await resolveImageSource(image, {}).open();
    await inventoryImage(img, { store });
    await img.close();
    const c = process.cpuUsage(c0);
    return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
  };
  const cold: { wall: number; cpu: number }[] = [];
  const warm: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const store = layerDeltaStore(openLayerCache({ dir: join(work, `inproc-${label}-${i}`), secret }));
    cold.push(await once(store));
    warm.push(await once(store));
  }
  const m = (xs: { wall: number; cpu: number }[], k: 'wall' | 'cpu') => Math.min(...xs.map((x) => x[k]));
  console.log(
    `${label}, inventory step in-process: wall cold ${m(cold, 'wall').toFixed(0)} ms, warm ${m(warm, 'wall').toFixed(0)} ms = ${((100 * m(warm, 'wall')) / m(cold, 'wall')).toFixed(1)}%; ` +
      `CPU cold ${m(cold, 'cpu').toFixed(0)} ms, warm ${m(warm, 'cpu').toFixed(0)} ms = ${((100 * m(warm, 'cpu')) / m(cold, 'cpu')).toFixed(1)}% of cold`,
  );
}

try {
  await inProcess('docker-archive', fx.dockerArchive);
  await inProcess('oci layout', `oci:${fx.ociRef}`);
  await coldWarm('docker-archive', fx.dockerArchive);
  await coldWarm('oci layout', `oci:${fx.ociRef}`);
  await coldWarm('oci-archive', `oci-archive:${fx.ociArchive}`);
  await coldWarm('registry', ref);
  if (!process.env.BENCH_SKIP_BIG) {
    const big = await bigDebianImage(fx);
    await coldWarm('10x docker-archive', big.dockerArchive);
    await coldWarm('10x oci layout', `oci:${big.ociRef}`);
    const bigRef = `${registry.host}/bench/debian-10x:test`;
    await skopeoPush(`oci:${big.ociRef}`, bigRef);
    await coldWarm('10x registry', bigRef);
  }
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}

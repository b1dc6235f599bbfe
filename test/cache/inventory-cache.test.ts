// The layer cache in use: a second inventory of the same image (or of another image sharing its
// layers) reads no layer again and gives the same packages; a damaged entry is just a miss. Two
// kinds of entries: each layer's delta, and the whole image's inventory memo (memo.ts).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerDeltaStore, openLayerCache, type ScanLayerDeltaStore } from '../../src/cache/index.js';
import { decodeParentMemo, encodeInventory, inventoryMemoKey, parentMemoKeys } from '../../src/inventory/memo.js';
import { storeKey } from '../../src/inventory/layer-keys.js';
import type { LayerDeltaStore } from '../../src/inventory/walker.js';
import { osDetector } from '../../src/inventory/os-detect.js';
import { CATALOGERS } from '../../src/inventory/registry.js';
import { resolveImageSource } from '../../src/image/resolve.js';
import { inventoryImage } from '../../src/inventory/inventory.js';
import type { Image } from '../../src/model/image.js';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { langImage } from '../fixtures/lang-image.js';
import { runCli } from '../helpers/cli.js';
import { entryFiles, isMemoKey } from './entries.js';
import { fleetImages } from './fleet-image.js';

const SECRET = Buffer.alloc(32, 3);
/** The store without its inventory memo: every scan takes the per-layer path. */
const deltasOnly = (s: ScanLayerDeltaStore): LayerDeltaStore => ({ prefetch: s.prefetch, get: s.get, put: s.put, flush: s.flush });
/** Opens the image with every layer's open() counted. */
async function counted(ref: string): Promise<{ image: Image; opens: () => number }> {
  const image = await resolveImageSource(ref, {}).open();
  let n = 0;
  for (const l of image.layers) {
    const open = l.open.bind(l);
    // Read through open() (counted), not by a walker thread that opens the file itself.
    delete l.fileSource;
    l.open = () => {
      n++;
      return open();
    };
  }
  return { image, opens: () => n };
}

describe('layer cache', () => {
  let img: DebianImageFixture;
  let dir: string;
  beforeAll(async () => {
    img = await debianImage();
    dir = mkdtempSync(join(tmpdir(), 'portcullis-inv-cache-'));
  }, 1_800_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a re-scan reads no layer and gives the identical inventory (from the image memo, or from each layer\'s delta)', async () => {
    const cacheDir = join(dir, 'c1');
    const cache = openLayerCache({ secret: SECRET, dir: cacheDir });
    const first = await counted(img.dockerArchive);
    const a = await inventoryImage(first.image, { store: layerDeltaStore(cache) });
    await first.image.close();
    expect(first.opens()).toBe(first.image.layers.length);
    // One delta per layer, and the image's memo.
    expect(entryFiles(cacheDir).map((e) => isMemoKey(e.key)).sort()).toEqual([...first.image.layers.map(() => false), true]);

    const second = await counted(img.dockerArchive);
    const store2 = layerDeltaStore(cache);
    const b = await inventoryImage(second.image, { store: store2 });
    await second.image.close();
    expect(second.opens()).toBe(0);
    expect(store2.metrics()).toMatchObject({ inventory: 'hit', lookups: 0 });
    expect(b).toEqual(a);

    // Without the memo, every layer's delta: nothing read either, the same inventory.
    const viaDeltas = await counted(img.dockerArchive);
    const b2 = await inventoryImage(viaDeltas.image, { store: deltasOnly(layerDeltaStore(cache)) });
    await viaDeltas.image.close();
    expect(viaDeltas.opens()).toBe(0);
    expect(b2).toEqual(a);

    // Another form of the same image stores other blobs (gzip, not plain tar): entries are keyed by
    // blob digest and diff_id, so it is read once, then served from the cache like the first.
    const third = await counted(`oci:${img.ociRef}`);
    const store3 = layerDeltaStore(cache);
    const c = await inventoryImage(third.image, { store: store3 });
    await third.image.close();
    expect(third.image.layers.map((l) => l.digest)).not.toEqual(first.image.layers.map((l) => l.digest));
    expect(third.opens()).toBe(third.image.layers.length);
    expect(store3.metrics()).toMatchObject({ inventory: 'miss', misses: third.image.layers.length });
    expect(c.packages.map((p) => `${p.purl} ${p.layer.index}`)).toEqual(a.packages.map((p) => `${p.purl} ${p.layer.index}`));
    const fourth = await counted(`oci:${img.ociRef}`);
    const d = await inventoryImage(fourth.image, { store: layerDeltaStore(cache) });
    await fourth.image.close();
    expect(fourth.opens()).toBe(0);
    expect(d).toEqual(c);
  });

  it('the memo is keyed by every layer (digest, diff_id, build step), the platform and the wanters', async () => {
    const image = await resolveImageSource(img.dockerArchive, {}).open();
    try {
      const wanters = storeKey([osDetector, ...CATALOGERS]);
      const key = inventoryMemoKey(image, wanters);
      expect(inventoryMemoKey(image, wanters)).toBe(key);
      const variants: (() => void)[] = [
        () => image.layers.reverse(),
        () => (image.layers[0]!.createdBy = 'RUN something else'),
        () => (image.layers[1]!.diffId = `sha256:${'0'.repeat(64)}`),
        () => (image.layers[2]!.digest = `sha256:${'1'.repeat(64)}`),
        () => (image.metadata.config.architecture = 'arm64'),
        () => (image.metadata.config.variant = 'v8'),
      ];
      const seen = new Set([key]);
      for (const change of variants) {
        change();
        const k = inventoryMemoKey(image, wanters);
        expect(seen.has(k)).toBe(false);
        seen.add(k);
      }
      expect(inventoryMemoKey(image, [...wanters, { name: 'dpkg', version: 99 }])).not.toBe(inventoryMemoKey(image, wanters));
    } finally {
      await image.close();
    }
  });

  it('a child image\'s walk takes its parent\'s link probe answers from the parent\'s memo, with the identical inventory', async () => {
    const images = fleetImages(img, join(dir, 'fleet'));
    const wanters = storeKey([osDetector, ...CATALOGERS]);
    const truth = await inventoryImage(await resolveImageSource(images.app, {}).open());

    // The parent's scan stores its memo, with the answers of its walk's link probes.
    const cacheDir = join(dir, 'c-parent');
    const cache = openLayerCache({ secret: SECRET, dir: cacheDir });
    const parent = await resolveImageSource(images.base, {}).open();
    await inventoryImage(parent, { store: layerDeltaStore(cache) });
    const parentKey = inventoryMemoKey(parent, wanters);
    await parent.close();
    const store = layerDeltaStore(cache);
    const probes = decodeParentMemo((await store.peekInventory(parentKey))!).linkProbes;
    expect(probes.size).toBeGreaterThan(500); // the Debian base's links (zoneinfo, alternatives, …)

    // The child: its own layer is read, the parent's come from their deltas; the key of its
    // parent is the parent's own memo key.
    const child = await counted(images.app);
    expect(parentMemoKeys(child.image, wanters)[0]).toBe(parentKey);
    const inv = await inventoryImage(child.image, { store });
    await child.image.close();
    expect(child.opens()).toBe(1);
    expect(inv).toEqual(truth);

    // Control (so this test can fail): the answers are used. A parent memo that says every probed
    // link is wanted makes the walk follow them: layers are read again for their targets.
    const forged = openLayerCache({ secret: SECRET, dir: join(dir, 'c-forged') });
    const allYes = new Map([...probes.keys()].map((k) => [k, true]));
    const seeded = layerDeltaStore(forged);
    await seeded.putInventory(parentKey, encodeInventory(truth, allYes));
    const again = await counted(images.app);
    await inventoryImage(again.image, { store: seeded });
    await again.image.close();
    expect(again.opens()).toBeGreaterThan(again.image.layers.length);
  }, 600_000);

  it('a child image\'s walk takes over from its parent\'s last state: the same packages and layer attribution as a cold walk', async () => {
    // The child's own layer rewrites the dpkg db: it keeps every package, adds one, and brings
    // back tzdata, which the parent's first layer had and its second removed (first seen: layer 0).
    const work = join(dir, 'resume');
    const layout = join(work, 'oci');
    cpSync(img.ociDir, layout, { recursive: true });
    const blob = (digest: string) => join(layout, 'blobs', ...digest.split(':'));
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
    const manifest = JSON.parse(readFileSync(blob(index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'test')!.digest), 'utf8')) as { layers: { digest: string }[] };
    const firstStatus = execFileSync('tar', ['-xzOf', blob(manifest.layers[0]!.digest), '--wildcards', '*var/lib/dpkg/status'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const tzdata = firstStatus.split(/\n\n+/).find((st) => /^Package: tzdata$/m.test(st));
    expect(tzdata).toBeDefined();
    const root = join(work, 'root');
    mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
    const added = 'Package: portcullis-resume-test\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: all\nMaintainer: nobody\nDescription: test\n';
    writeFileSync(join(root, 'var/lib/dpkg/status'), `${readFileSync(join(img.finalAdmindir, 'status'), 'utf8').trimEnd()}\n\n${tzdata!.trim()}\n\n${added}`);
    execFileSync('tar', ['-C', root, '--owner=0', '--group=0', '--mtime=@0', '-cf', join(work, 'layer.tar'), 'var']);
    execFileSync('umoci', ['raw', 'add-layer', '--image', `${layout}:test`, '--tag', 'child', join(work, 'layer.tar')], { stdio: 'pipe' });

    const truth = await inventoryImage(await resolveImageSource(`oci:${layout}:child`, {}).open());
    const layerOf = (inv: typeof truth, name: string) => inv.packages.find((p) => p.name === name)?.layer?.index;
    expect(layerOf(truth, 'tzdata')).toBe(0);
    expect(layerOf(truth, 'portcullis-resume-test')).toBe(3);
    expect(layerOf(truth, 'less')).toBe(2);

    const wanters = storeKey([osDetector, ...CATALOGERS]);
    const cache = openLayerCache({ secret: SECRET, dir: join(work, 'cache') });
    const parent = await resolveImageSource(`oci:${layout}:test`, {}).open();
    await inventoryImage(parent, { store: layerDeltaStore(cache) });
    const parentKey = inventoryMemoKey(parent, wanters);
    await parent.close();
    const store = layerDeltaStore(cache);
    const resume = decodeParentMemo((await store.peekInventory(parentKey))!).resume;
    expect(resume?.history.dpkg?.firstSeen).toContainEqual(['tzdata\u0000' + truth.packages.find((p) => p.name === 'tzdata')!.version + '\u0000' + (truth.packages.find((p) => p.name === 'tzdata')!.arch ?? ''), 0]);

    const child = await counted(`oci:${layout}:child`);
    const inv = await inventoryImage(child.image, { store });
    await child.image.close();
    expect(child.opens()).toBe(1);
    expect(inv).toEqual(truth);

    // Control (so this test can fail): the parent's state is what the child starts from. A memo
    // that says tzdata was first seen in layer 2 moves it there.
    const forgedStore = layerDeltaStore(openLayerCache({ secret: SECRET, dir: join(work, 'forged') }));
    const moved = { history: { ...resume!.history, dpkg: { ...resume!.history.dpkg!, firstSeen: resume!.history.dpkg!.firstSeen.map(([k, i]): [string, number] => [k, k.startsWith('tzdata\u0000') ? 2 : i]) } } };
    await forgedStore.putInventory(parentKey, encodeInventory(truth, undefined, moved));
    const again = await counted(`oci:${layout}:child`);
    const forgedInv = await inventoryImage(again.image, { store: forgedStore });
    await again.image.close();
    expect(layerOf(forgedInv, 'tzdata')).toBe(2);
  }, 600_000);

  it('keeps distilled language results (Go, Java) across the cache', async () => {
    const ref = (await langImage()).dockerArchive;
    const cache = openLayerCache({ secret: SECRET, dir: join(dir, 'c2') });
    const cold = await counted(ref);
    const a = await inventoryImage(cold.image, { store: layerDeltaStore(cache) });
    await cold.image.close();
    const warm = await counted(ref);
    const b = await inventoryImage(warm.image, { store: layerDeltaStore(cache) });
    await warm.image.close();
    expect(warm.opens()).toBe(0);
    expect(b.packages).toEqual(a.packages);
    expect(a.packages.some((p) => p.type === 'golang')).toBe(true);
    expect(a.packages.some((p) => p.type === 'maven')).toBe(true);
  });

  it('a damaged entry is a miss: the layer is read again', async () => {
    const cacheDir = join(dir, 'c3');
    const cache = openLayerCache({ secret: SECRET, dir: cacheDir });
    const first = await counted(img.dockerArchive);
    const a = await inventoryImage(first.image, { store: layerDeltaStore(cache) });
    await first.image.close();
    const files = readdirSync(cacheDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) writeFileSync(join(f.parentPath, f.name), 'garbage');
    const again = await counted(img.dockerArchive);
    const b = await inventoryImage(again.image, { store: layerDeltaStore(cache) });
    await again.image.close();
    expect(again.opens()).toBe(again.image.layers.length);
    expect(b).toEqual(a);
  });

  it('the CLI caches by default under --cache-dir, and --no-cache writes nothing', async () => {
    const cacheDir = join(dir, 'cli');
    const env = { XDG_STATE_HOME: join(dir, 'state') };
    const r1 = await runCli(['sbom', img.dockerArchive, '--cache-dir', cacheDir], { env });
    expect(r1.code, r1.stderr).toBe(0);
    const info = await runCli(['cache', 'info', '--cache-dir', cacheDir], { env });
    expect(info.stdout).toMatch(/entries:\s+4\n/); // three layer deltas and the image's memo
    const r2 = await runCli(['sbom', img.dockerArchive, '--cache-dir', cacheDir], { env });
    expect(JSON.parse(r2.stdout).packages).toEqual(JSON.parse(r1.stdout).packages);
    expect(JSON.parse(r1.stdout).tool.cache).toEqual({ backend: 'fs', lookups: 3, hits: 0, misses: 3, stored: 4, rejected: 0, inventory: 'miss' });
    expect(JSON.parse(r2.stdout).tool.cache).toEqual({ backend: 'fs', lookups: 0, hits: 0, misses: 0, stored: 0, rejected: 0, inventory: 'hit' });
    const none = join(dir, 'none');
    const r3 = await runCli(['sbom', img.dockerArchive, '--cache-dir', none, '--no-cache'], { env });
    expect(r3.code).toBe(0);
    expect(JSON.parse(r3.stdout).tool.cache).toBeUndefined();
    expect(existsSync(none)).toBe(false);
  });
});

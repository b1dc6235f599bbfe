// Issue 15 class 4: the layer cache trusts only what this user wrote, and a hit never skips
// verification of the local bytes. Every case runs the real CLI on the real Debian test image.
import { createHash, createHmac } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { flipByte } from '../helpers/flip-byte.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntry, deserialiseLayerDelta, encodeEntryParts, openLayerCache, layerDeltaStore, serialiseLayerDelta } from '../../src/cache/index.js';
import { indexTar } from '../../src/image/tar-index.js';
import { resolveImageSource } from '../../src/image/resolve.js';
import { inventoryImage } from '../../src/inventory/inventory.js';
import type { LayerDelta } from '../../src/inventory/layer-delta.js';
import { decodeInventory, encodeInventory } from '../../src/inventory/memo.js';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { runCli } from '../helpers/cli.js';
import { dropMemos, entryFiles, isMemoKey } from './entries.js';

const NOBODY = 65534;

describe('layer cache integrity (issue 15 class 4)', () => {
  let img: DebianImageFixture;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let truth: unknown[];
  beforeAll(async () => {
    img = await debianImage();
    work = mkdtempSync(join(tmpdir(), 'portcullis-cache-trust-'));
    env = { XDG_STATE_HOME: join(work, 'state'), XDG_CACHE_HOME: join(work, 'xdg-cache') };
    const cold = await runCli(['sbom', img.dockerArchive, '--no-cache'], { env });
    expect(cold.code, cold.stderr).toBe(0);
    truth = JSON.parse(cold.stdout).packages;
    expect(truth.length).toBeGreaterThan(50);
  }, 1_800_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const sbom = async (image: string, cacheDir: string) => {
    const r = await runCli(['sbom', image, '--cache-dir', cacheDir], { env });
    return { ...r, report: r.code === 0 ? JSON.parse(r.stdout) : undefined };
  };

  /** The dpkg status delta of a warm cache, with every package but the first removed (what an attacker would want). */
  function forgedDelta(delta: LayerDelta): LayerDelta | undefined {
    const status = delta.files.find((f) => f.path === '/var/lib/dpkg/status');
    if (!status) return undefined;
    const first = status.data.toString('utf8').split('\n\n')[0]!;
    return { ...delta, files: delta.files.map((f) => (f === status ? { ...f, data: Buffer.from(`${first}\n`), size: first.length + 1 } : f)) };
  }

  /**
   * Rewrites each entry an attacker would want, enveloped by `envelope`: every layer delta holding
   * the dpkg status with a forged delta, and the image's inventory memo with all packages but one.
   */
  function plant(cacheDir: string, envelope: (key: string, data: Buffer) => Buffer): number {
    const secret = readFileSync(join(env.XDG_STATE_HOME!, 'portcullis', 'cache-key'));
    let planted = 0;
    for (const { path, key, bytes } of entryFiles(cacheDir)) {
      const entry = decodeEntry(secret, key, bytes);
      if (typeof entry === 'string') throw new Error(`entry ${path} does not verify: ${entry}`);
      let forged: Buffer | undefined;
      if (isMemoKey(key)) {
        const inv = decodeInventory(entry.data)!;
        forged = encodeInventory({ ...inv, packages: inv.packages.slice(0, 1) });
      } else {
        const delta = forgedDelta(deserialiseLayerDelta(entry.data));
        forged = delta && serialiseLayerDelta(delta);
      }
      if (!forged) continue;
      writeFileSync(path, envelope(key, forged));
      planted++;
    }
    return planted;
  }

  /** Today's entry format: version 1 and a plain SHA-256 over key and data, which anyone can compute. */
  function v1Envelope(key: string, data: Buffer): Buffer {
    const k = Buffer.from(key);
    const head = Buffer.alloc(52);
    head.write('PCLC');
    head.writeUInt8(1, 4);
    head.writeUInt32BE(k.length, 8);
    head.writeBigUInt64BE(BigInt(data.length), 12);
    createHash('sha256').update(k).update(data).digest().copy(head, 20);
    return Buffer.concat([head, k, data]);
  }

  it('a forged entry (right checksum, no valid HMAC) is ignored and counted; the result is the true one', async () => {
    const dir = join(work, 'forged');
    const warm = await sbom(img.dockerArchive, dir);
    expect(warm.code, warm.stderr).toBe(0);
    expect(warm.report.packages).toEqual(truth);

    // Control: the same forged entries under the real key ARE used, so this test can fail: the
    // memo first, then (memo gone) the layer deltas.
    const realKey = readFileSync(join(env.XDG_STATE_HOME!, 'portcullis', 'cache-key'));
    // Every layer of this image rewrites the dpkg status: all three deltas are forged, and the memo.
    const n = plant(dir, (k, d) => Buffer.concat(encodeEntryParts(realKey, k, d)));
    expect(n).toBe(4);
    const fooled = await sbom(img.dockerArchive, dir);
    expect(fooled.report.tool.cache.inventory).toBe('hit');
    expect(fooled.report.packages.length).toBe(1);
    expect(dropMemos(dir)).toBe(1);
    const fooledByDeltas = await sbom(img.dockerArchive, dir);
    expect(fooledByDeltas.report.tool.cache).toMatchObject({ inventory: 'miss', hits: 3 });
    expect(fooledByDeltas.report.packages.length).toBeLessThan(truth.length);
    rmSync(dir, { recursive: true });
    expect((await sbom(img.dockerArchive, dir)).code).toBe(0);

    // An attacker's entries: the current format with an HMAC made with another key.
    const otherKey = createHmac('sha256', 'attacker').update('x').digest();
    expect(plant(dir, (k, d) => Buffer.concat(encodeEntryParts(otherKey, k, d)))).toBe(n);
    const second = await sbom(img.dockerArchive, dir);
    expect(second.code, second.stderr).toBe(0);
    expect(second.report.packages).toEqual(truth);
    expect(second.report.tool.cache).toMatchObject({ inventory: 'miss', rejected: n, hits: 0, misses: 3, stored: 4 });
    expect(second.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^portcullis: 4 layer cache entries failed authentication .* ignored/)]);
    // The forged entries were replaced by true ones: the next scan is a memo hit, no warning.
    const third = await sbom(img.dockerArchive, dir);
    expect(third.report.tool.cache).toMatchObject({ rejected: 0, inventory: 'hit' });
    expect(third.report.packages).toEqual(truth);
    expect(third.stderr).toBe('');

    // The pre-HMAC format, checksum and all: not an entry any more.
    expect(plant(dir, v1Envelope)).toBe(n);
    const fourth = await sbom(img.dockerArchive, dir);
    expect(fourth.report.packages).toEqual(truth);
    expect(fourth.report.tool.cache).toMatchObject({ inventory: 'miss', hits: 0, misses: 3 });

    // A memo that authenticates but does not hold an inventory (our own bug, say): read again.
    const memo = entryFiles(dir).find((e) => isMemoKey(e.key))!;
    writeFileSync(memo.path, Buffer.concat(encodeEntryParts(realKey, memo.key, Buffer.from('{"format":1}'))));
    const fifth = await sbom(img.dockerArchive, dir);
    expect(fifth.report.tool.cache).toMatchObject({ inventory: 'hit', hits: 3 });
    expect(fifth.report.packages).toEqual(truth);
  }, 300_000);

  it('refuses a cache dir writable by group or others, or owned by another user (exit 2, one line)', async () => {
    const open = join(work, 'world-writable');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const r1 = await sbom(img.dockerArchive, open);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toBe(`portcullis: layer cache directory ${open} is writable by group and others (mode 0777): refusing to use it (use a private directory, chmod 700 it, or --no-cache)\n`);
    expect(readdirSync(open)).toEqual([]);

    const group = join(work, 'group-writable');
    mkdirSync(group);
    chmodSync(group, 0o770);
    const r2 = await sbom(img.dockerArchive, group);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(new RegExp(`^portcullis: layer cache directory ${group} is writable by group \\(mode 0770\\)`));

    const foreign = join(work, 'foreign');
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, NOBODY, NOBODY);
    const r3 = await sbom(img.dockerArchive, foreign);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(new RegExp(`^portcullis: layer cache directory ${foreign} is owned by uid ${NOBODY}, not by this user \\(uid 0\\)`));
    expect(r3.stderr.trim().split('\n')).toHaveLength(1);
    // `cache clean` does not touch it either.
    const clean = await runCli(['cache', 'clean', '--cache-dir', foreign], { env });
    expect(clean.code).toBe(2);

    // A missing dir (the per-user default included) is made 0700, and the key file 0600 in a 0700 dir.
    const fresh = join(work, 'fresh', 'nested');
    expect((await sbom(img.dockerArchive, fresh)).code).toBe(0);
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
    const keyFile = join(env.XDG_STATE_HOME!, 'portcullis', 'cache-key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(env.XDG_STATE_HOME!, 'portcullis')).mode & 0o777).toBe(0o700);
    const byDefault = await runCli(['sbom', img.dockerArchive], { env });
    expect(byDefault.code).toBe(0);
    expect(statSync(join(env.XDG_CACHE_HOME!, 'portcullis', 'layers')).mode & 0o777).toBe(0o700);
  }, 300_000);

  it('refuses a key file others can read (it would let them forge entries)', async () => {
    const state = join(work, 'state-leaky');
    const e = { ...env, XDG_STATE_HOME: state };
    expect((await runCli(['sbom', img.dockerArchive, '--cache-dir', join(work, 'leaky')], { env: e })).code).toBe(0);
    chmodSync(join(state, 'portcullis', 'cache-key'), 0o644);
    const r = await runCli(['sbom', img.dockerArchive, '--cache-dir', join(work, 'leaky')], { env: e });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^portcullis: layer cache key .*cache-key is accessible by group or others \(mode 644\)/);
  }, 300_000);

  /** Flips one byte in the middle of `length` bytes at `offset` of `file`. */
  function flipMiddle(file: string, offset: number, length: number): void {
    flipByte(file, offset + Math.floor(length / 2), 0x20);
  }

  it('a tampered layer blob fails with exit 2 even when the cache is warm (docker-archive, OCI layout, oci-archive)', async () => {
    // docker-archive: a copy of the fixture, warmed, then one byte of its largest layer changed.
    const archive = join(work, 'tampered.tar');
    copyFileSync(img.dockerArchive, archive);
    const dir = join(work, 'tamper-cache');
    const warm = await sbom(archive, dir);
    expect(warm.code, warm.stderr).toBe(0);
    expect((await sbom(archive, dir)).report.tool.cache.inventory).toBe('hit');
    const biggest = [...(await indexTar(archive)).values()].filter((e) => e.type === 'file').sort((a, b) => b.size - a.size)[0]!;
    flipMiddle(archive, biggest.offset, biggest.size);
    const r = await sbom(archive, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/digest mismatch/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // Without the memo, through the layers' deltas: the same.
    expect(dropMemos(dir)).toBe(1);
    const rd = await sbom(archive, dir);
    expect(rd.code).toBe(2);
    expect(rd.stderr).toMatch(/digest mismatch/);

    // OCI layout directory: the same, on a blob file.
    const layout = join(work, 'tampered-oci');
    cpSync(img.ociDir, layout, { recursive: true });
    const ref = `oci:${layout}:test`;
    expect((await sbom(ref, dir)).code).toBe(0);
    expect((await sbom(ref, dir)).report.tool.cache.inventory).toBe('hit');
    const blobs = join(layout, 'blobs', 'sha256');
    const layer = readdirSync(blobs).map((n) => join(blobs, n)).sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    chmodSync(layer, 0o644);
    flipMiddle(layer, 0, statSync(layer).size);
    const r2 = await sbom(ref, dir);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/digest mismatch/);

    // oci-archive.
    const ociArchive = join(work, 'tampered-oci.tar');
    copyFileSync(img.ociArchive, ociArchive);
    const ociRef = `oci-archive:${ociArchive}`;
    expect((await sbom(ociRef, dir)).report.tool.cache.inventory).toBe('hit');
    const big = [...(await indexTar(ociArchive)).values()].filter((e) => e.type === 'file').sort((a, b) => b.size - a.size)[0]!;
    flipMiddle(ociArchive, big.offset, big.size);
    const r3 = await sbom(ociRef, dir);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/digest mismatch/);
  }, 600_000);

  it('a source whose layers have no verify() is read through open() on a hit (so any source gets the check)', async () => {
    const archive = join(work, 'generic.tar');
    copyFileSync(img.dockerArchive, archive);
    const cache = openLayerCache({ dir: join(work, 'generic-cache'), secret: Buffer.alloc(32, 9) });
    const scan = async () => {
      const image = await resolveImageSource(archive, {}).open();
      let opens = 0;
      for (const l of image.layers) {
        const open = l.open.bind(l);
        delete l.verify;
        delete l.fileSource; // read through open() (counted), not by a walker thread
        l.open = () => {
          opens++;
          return open();
        };
      }
      try {
        return { inv: await inventoryImage(image, { store: layerDeltaStore(cache) }), opens };
      } finally {
        await image.close();
      }
    };
    const a = await scan();
    const b = await scan();
    expect(b.opens).toBe(3);
    expect(b.inv).toEqual(a.inv);
    const biggest = [...(await indexTar(archive)).values()].filter((e) => e.type === 'file').sort((x, y) => y.size - x.size)[0]!;
    flipMiddle(archive, biggest.offset, biggest.size);
    await expect(scan()).rejects.toThrow(/digest mismatch/);
  }, 300_000);
});

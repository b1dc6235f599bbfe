// Layers walked in worker threads (src/inventory/walk-pool.ts) give exactly what the main thread's
// walk gives — packages, layer attribution, unread files, warnings — on the real Debian image in its
// three forms and on a big generated image; a corrupted byte fails both the same way (one ImageError);
// the threads are gone after the walk, and the built CLI exits by itself.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { flipByte } from '../helpers/flip-byte.js';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError } from '../../src/errors.js';
import { TarStore } from '../../src/image/blob-store.js';
import { resolveImageSource } from '../../src/image/resolve.js';
import { inventoryImage, type Inventory } from '../../src/inventory/inventory.js';
import { registryWanters } from '../../src/inventory/walk-job.js';
import { walkLayer } from '../../src/inventory/walk-layer.js';
import { WalkPool } from '../../src/inventory/walk-pool.js';
import { THREADS_MIN_BESIDE_LARGEST, walkLayers } from '../../src/inventory/walker.js';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { PROJECT_ROOT } from '../helpers/shared.js';

async function inventoryOf(arg: string, walkThreads: boolean): Promise<Inventory> {
  const image = await resolveImageSource(arg).open();
  try {
    return await inventoryImage(image, { walkThreads });
  } finally {
    await image.close();
  }
}

/** What a scan reports of an inventory, in a stable order. */
function essence(inv: Inventory): unknown {
  return {
    os: inv.os,
    packages: inv.packages.map((p) => JSON.stringify(p)).sort(),
    unread: inv.unread.map((u) => JSON.stringify(u)).sort(),
    warnings: inv.warnings.map((w) => JSON.stringify(w)).sort(),
  };
}

let fx: DebianImageFixture;
let tmp: string;

beforeAll(async () => {
  fx = await debianImage();
  tmp = mkdtempSync(join(tmpdir(), 'walk-threads-'));
}, 30 * 60_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A copy of `archive` with one byte of its largest member, at the middle, inverted. */
async function corrupted(archive: string, name: string): Promise<string> {
  const store = await TarStore.open(archive);
  let biggest = { offset: 0, size: 0 };
  for (const e of store.entries.values()) if (e.type === 'file' && e.size > biggest.size) biggest = e;
  const out = join(tmp, name);
  copyFileSync(archive, out);
  flipByte(out, biggest.offset + Math.floor(biggest.size / 2), 0xff);
  return out;
}

describe('walker threads on the Debian image', () => {
  for (const form of ['docker-archive', 'oci-archive', 'oci'] as const) {
    it(`${form}: every layer walked in a thread, the same inventory as on the main thread`, async () => {
      const arg = form === 'docker-archive' ? `docker-archive:${fx.dockerArchive}` : form === 'oci-archive' ? `oci-archive:${fx.ociArchive}` : `oci:${fx.ociRef}`;
      const image = await resolveImageSource(arg).open();
      try {
        const walked = await walkLayers(image.layers, registryWanters(), { threads: true });
        expect(walked.threaded).toEqual(image.layers.map((l) => l.index));
        const inThread = await walkLayers(image.layers, registryWanters(), { threads: false });
        expect(inThread.threaded).toEqual([]);
      } finally {
        await image.close();
      }
      const threaded = await inventoryOf(arg, true);
      const main = await inventoryOf(arg, false);
      expect(threaded.packages.length).toBeGreaterThan(80);
      expect(essence(threaded)).toEqual(essence(main));
      // layer attribution included: every package's layer is the same
      expect(threaded.packages.map((p) => `${p.name} ${p.layer?.index}`).sort()).toEqual(main.packages.map((p) => `${p.name} ${p.layer?.index}`).sort());
    }, 300_000);
  }

  for (const [form, file] of [
    ['docker-archive', 'dockerArchive'],
    ['oci-archive', 'ociArchive'],
  ] as const) {
    it(`${form} with a corrupted byte: the same one-line ImageError from a thread, the main thread and open()'s stream`, async () => {
      const bad = await corrupted(fx[file], `bad-${form}.tar`);
      const errorOf = async (walkThreads: boolean): Promise<unknown> => {
        try {
          await inventoryOf(`${form}:${bad}`, walkThreads);
        } catch (err) {
          return err;
        }
        return undefined;
      };
      const inThread = await errorOf(false);
      const threaded = await errorOf(true);
      expect(inThread).toBeInstanceOf(ImageError);
      expect(threaded).toBeInstanceOf(ImageError);
      expect((threaded as ImageError).message).toBe((inThread as ImageError).message);
      expect((threaded as ImageError).subject).toBe((inThread as ImageError).subject);
      expect((threaded as ImageError).message).not.toContain('\n');
      // Both walkers read a local blob through layer-file.ts: open()'s stream is the independent check.
      const image = await resolveImageSource(`${form}:${bad}`).open();
      let streamed: unknown;
      try {
        for (const layer of image.layers) {
          const stream = await layer.open();
          try {
            await walkLayer(stream, registryWanters(), `layer ${layer.index} (${layer.digest})`);
          } finally {
            stream.destroy();
          }
        }
      } catch (err) {
        streamed = err;
      } finally {
        await image.close();
      }
      expect(streamed).toBeInstanceOf(ImageError);
      expect((inThread as ImageError).message).toBe((streamed as ImageError).message);
      expect((inThread as ImageError).subject).toBe((streamed as ImageError).subject);
    }, 300_000);
  }
});

describe('the walk pool', () => {
  it('has no thread left after close(), and a job after close is refused', async () => {
    const image = await resolveImageSource(`oci:${fx.ociRef}`).open();
    try {
      const pool = new WalkPool(2);
      const sources = await Promise.all(image.layers.map((l) => l.fileSource!()));
      expect(sources.length).toBeGreaterThanOrEqual(3);
      // Two threads busy: a third layer is handed back (undefined) for the caller's own thread.
      const busy = [pool.walk(sources[0]!, 'layer 0', registryWanters()), pool.walk(sources[1]!, 'layer 1', registryWanters())];
      expect(await pool.walk(sources[2]!, 'layer 2', registryWanters())).toBeUndefined();
      const deltas = [...(await Promise.all(busy)), await pool.walk(sources[2]!, 'layer 2', registryWanters())];
      expect(deltas.every((d) => d !== undefined && d.dirs.length > 0)).toBe(true);
      expect(pool.running).toBe(2);
      await pool.close();
      expect(pool.running).toBe(0);
      await expect(pool.walk(sources[0]!, 'layer 0', registryWanters())).rejects.toThrow(/after close/);
    } finally {
      await image.close();
    }
  }, 300_000);

  it('a thread that dies while walking fails that layer with an ImageError (never a missing delta), and the pool goes on', async () => {
    const image = await resolveImageSource(`docker-archive:${fx.dockerArchive}`).open();
    const pool = new WalkPool(1);
    try {
      const biggest = [...image.layers].sort((a, b) => b.size - a.size)[0]!;
      const source = (await biggest.fileSource!())!;
      const walking = pool.walk(source, 'layer x', registryWanters());
      // Killed from outside as an out-of-memory or a crash would end it: its 'exit' event.
      const thread = (pool as unknown as { threads: { worker: { terminate(): Promise<number> } }[] }).threads[0]!;
      await thread.worker.terminate();
      const err = await walking.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ImageError);
      expect((err as Error).message).toMatch(/: the thread walking it failed \(exited with code \d+\)$/);
      expect(pool.running).toBe(0);
      // A new thread takes the next job.
      expect((await pool.walk(source, 'layer x', registryWanters()))?.dirs.length).toBeGreaterThan(0);
    } finally {
      await pool.close();
      await image.close();
    }
  }, 300_000);

  it('by default a thread starts only when the layers beside the largest are big enough to pay for it', async () => {
    const image = await resolveImageSource(`docker-archive:${fx.dockerArchive}`).open();
    const before = process.env.PORTCULLIS_WALK_THREADS;
    try {
      const sizes = image.layers.map((l) => l.size).sort((a, b) => b - a);
      expect(sizes.slice(1).reduce((a, b) => a + b, 0)).toBeLessThan(THREADS_MIN_BESIDE_LARGEST);
      delete process.env.PORTCULLIS_WALK_THREADS;
      expect((await walkLayers(image.layers, registryWanters())).threaded).toEqual([]);
      // Forced: one thread beside the main thread, so at least one layer (never all at once) is its.
      process.env.PORTCULLIS_WALK_THREADS = '1';
      const forced = await walkLayers(image.layers, registryWanters());
      expect(forced.threaded.length).toBeGreaterThan(0);
      process.env.PORTCULLIS_WALK_THREADS = '0';
      expect((await walkLayers(image.layers, registryWanters())).threaded).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.PORTCULLIS_WALK_THREADS;
      else process.env.PORTCULLIS_WALK_THREADS = before;
      await image.close();
    }
  }, 300_000);

  it("the thread walks the layer picked first (the largest), even when a smaller layer's blob is found first", async () => {
    const image = await resolveImageSource(`docker-archive:${fx.dockerArchive}`).open();
    const before = process.env.PORTCULLIS_WALK_THREADS;
    try {
      const largest = image.layers.reduce((a, b) => (b.size > a.size ? b : a));
      expect(image.layers.length).toBeGreaterThan(1);
      // The largest layer's blob is located last: before the walker held the thread as it picked
      // the layers, the first walk to ask for it took it (here a small layer, then the largest too).
      const layers = image.layers.map((l) =>
        l === largest ? { ...l, fileSource: async () => (await new Promise((r) => setTimeout(r, 100)), l.fileSource!()) } : l,
      );
      process.env.PORTCULLIS_WALK_THREADS = '1';
      const walked = await walkLayers(layers, registryWanters());
      expect(walked.threaded).toEqual([largest.index]);
    } finally {
      if (before === undefined) delete process.env.PORTCULLIS_WALK_THREADS;
      else process.env.PORTCULLIS_WALK_THREADS = before;
      await image.close();
    }
  }, 300_000);

  it('a wanter set other than the registry one is walked on the main thread', async () => {
    const image = await resolveImageSource(`docker-archive:${fx.dockerArchive}`).open();
    try {
      const wanters = registryWanters().slice(1);
      const walked = await walkLayers(image.layers, wanters, { threads: true });
      expect(walked.threaded).toEqual([]);
    } finally {
      await image.close();
    }
  }, 300_000);
});

describe('the built CLI', () => {
  const bin = join(PROJECT_ROOT, 'bin/portcullis.js');
  const built = existsSync(join(PROJECT_ROOT, 'dist/cli-bundle/walk-worker.js'));
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [bin, ...args], { env: { ...process.env, CI: 'true', ...env }, timeout: 240_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      });
    });

  it.skipIf(!built)('walks with threads, exits by itself with the same SBOM, and a corrupted layer is exit 2 with the one line the main thread gives', async () => {
    const arg = `docker-archive:${fx.dockerArchive}`;
    // The Debian image is too small for a thread to pay by default (THREADS_MIN_BESIDE_LARGEST): forced.
    const threaded = await cli(['sbom', arg, '--no-cache', '--quiet', '--format', 'cyclonedx'], { PORTCULLIS_WALK_THREADS: '1' });
    const main = await cli(['sbom', arg, '--no-cache', '--quiet', '--format', 'cyclonedx'], { PORTCULLIS_WALK_THREADS: '0' });
    expect(threaded.code).toBe(0);
    expect(main.code).toBe(0);
    const comps = (s: string): unknown => (JSON.parse(s) as { components: unknown[] }).components;
    expect(comps(threaded.stdout)).toEqual(comps(main.stdout));
    const bad = await corrupted(fx.dockerArchive, 'bad-cli.tar');
    const t = await cli(['sbom', `docker-archive:${bad}`, '--no-cache', '--quiet'], { PORTCULLIS_WALK_THREADS: '1' });
    const m = await cli(['sbom', `docker-archive:${bad}`, '--no-cache', '--quiet'], { PORTCULLIS_WALK_THREADS: '0' });
    expect(t.code).toBe(2);
    expect(t.stderr).toBe(m.stderr);
    expect(t.stderr.trim().split('\n')).toHaveLength(1);
  }, 600_000);
});

describe('a big generated image (bench/lib/big-shapes.ts, when built on this machine)', () => {
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'portcullis-test-fixtures');
  const dir = existsSync(cache) ? readdirSync(cache).find((d) => d.startsWith('big-files-')) : undefined;
  it.skipIf(dir === undefined)('files shape: the same inventory from threads as from the main thread', async () => {
    const arg = `docker-archive:${join(cache, dir!, 'image.tar')}`;
    const threaded = await inventoryOf(arg, true);
    const main = await inventoryOf(arg, false);
    expect(threaded.packages.length).toBeGreaterThan(1000);
    expect(essence(threaded)).toEqual(essence(main));
  }, 900_000);
});

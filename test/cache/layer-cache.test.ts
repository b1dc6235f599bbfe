import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCacheDir, deserialiseLayerDelta, layerDeltaCacheKey, LayerDeltaDecodeError, openLayerCache, serialiseLayerDelta } from '../../src/cache/index.js';
import type { LayerDelta } from '../../src/inventory/layer-delta.js';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/shared.js';

const SECRET = Buffer.alloc(32, 3);
const work = mkdtempSync(join(tmpdir(), 'portcullis-cache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(work, `c${n++}`);
const entries = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.pclc'));

describe('layer cache store', () => {
  it('misses, then hits what was put; entries are 0600 files in a 0700 directory', async () => {
    const dir = freshDir();
    const cache = openLayerCache({ secret: SECRET, dir });
    expect(await cache.get('k1')).toBeUndefined();
    expect(await cache.put('k1', Buffer.from('hello'))).toBe(true);
    expect((await cache.get('k1'))?.toString()).toBe('hello');
    expect(await cache.get('k2')).toBeUndefined();
    const [file] = entries(dir);
    expect(statSync(join(dir, file!)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(await cache.put('k1', Buffer.from('replaced'))).toBe(true);
    expect((await cache.get('k1'))?.toString()).toBe('replaced');
    expect(entries(dir)).toHaveLength(1);
  });

  it('a corrupted, truncated or foreign-version entry is a miss and is removed', async () => {
    const dir = freshDir();
    const cache = openLayerCache({ secret: SECRET, dir });
    const data = Buffer.alloc(4096, 7);
    for (const damage of [
      (b: Buffer) => { b[b.length - 10] ^= 1; return b; }, // data bit flip
      (b: Buffer) => b.subarray(0, b.length - 1), // truncated
      (b: Buffer) => { b[4] = 99; return b; }, // other format version
      (b: Buffer) => { b[0] = 0; return b; }, // not an entry
      () => Buffer.alloc(0),
    ]) {
      await cache.put('key', data);
      const path = join(dir, entries(dir)[0]!);
      writeFileSync(path, damage(Buffer.from(readFileSync(path))));
      expect(await cache.get('key')).toBeUndefined();
      expect(entries(dir)).toHaveLength(0);
    }
  });

  it('a disabled cache stores nothing and always misses', async () => {
    const dir = freshDir();
    const cache = openLayerCache({ secret: SECRET, dir, disabled: true });
    expect(await cache.put('k', Buffer.from('x'))).toBe(false);
    expect(await cache.get('k')).toBeUndefined();
    expect(() => statSync(dir)).toThrow();
  });

  it('refuses entries over the size bound', async () => {
    const cache = openLayerCache({ secret: SECRET, dir: freshDir(), maxEntryBytes: 100 });
    expect(await cache.put('big', Buffer.alloc(101))).toBe(false);
    expect(await cache.get('big')).toBeUndefined();
  });

  it('concurrent writers of the same key (child processes) leave one whole entry', async () => {
    const dir = freshDir();
    const key = 'layer-delta/v1/sha256:abc/dpkg@1';
    const worker = join(PROJECT_ROOT, 'test', 'cache', 'put-worker.ts');
    const results = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(
        (fill) =>
          new Promise<string>((resolve, reject) =>
            execFile(process.execPath, ['--import', 'tsx', worker, dir, key, String(fill), '25'], { cwd: PROJECT_ROOT, timeout: 60_000 }, (err, out, stderr) =>
              err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(out),
            ),
          ),
      ),
    );
    expect(results).toEqual(['0', '0', '0', '0', '0', '0']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(entries(dir)).toHaveLength(1);
    const got = await openLayerCache({ secret: SECRET, dir }).get(key);
    expect(got?.length).toBe(256 * 1024);
    expect([1, 2, 3, 4, 5, 6]).toContain(got![0]);
    expect(got!.every((b) => b === got![0])).toBe(true);
  }, 90_000);

  it('info counts entries and bytes; clean removes only the cache own files', async () => {
    const dir = freshDir();
    const cache = openLayerCache({ secret: SECRET, dir });
    await cache.put('a', Buffer.alloc(1000));
    await cache.put('b', Buffer.alloc(2000));
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, `.${'0'.repeat(64)}.pclc.abcdef.tmp`), 'stale temp');
    const info = await cache.info();
    expect(info.entries).toBe(2);
    expect(info.bytes).toBeGreaterThan(3000);
    expect(await cache.clean()).toBe(3);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    expect(await cache.get('a')).toBeUndefined();
  });

  it('defaults to $XDG_CACHE_HOME/portcullis/layers, else ~/.cache/portcullis/layers', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' })).toBe('/x/cache/portcullis/layers');
    expect(defaultCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/portcullis/layers');
    // A relative XDG value is invalid per the spec and ignored.
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'rel', HOME: '/home/u' })).toBe('/home/u/.cache/portcullis/layers');
  });
});

describe('LayerDelta codec', () => {
  const delta: LayerDelta = {
    files: [
      { path: '/var/lib/dpkg/status', size: 5, mode: 0o644, data: Buffer.from('Pkg:\n') },
      { path: '/bin.bin', size: 3, mode: 0o755, data: Buffer.from([0, 255, 1]) },
      // A distilled-only file (e.g. a Go binary reduced to its buildinfo by two catalogers).
      { path: '/usr/bin/app', size: 9_000_000, mode: 0o755, data: Buffer.alloc(0), distilled: { 'go-binary': Buffer.from('{"go":"1.22"}'), rust: Buffer.from([1, 2, 3]) } },
    ],
    whiteouts: ['/etc/old'],
    opaqueDirs: ['/opt'],
    links: [{ path: '/lib', target: 'usr/lib', kind: 'symlink' }, { path: '/a', target: '/b', kind: 'hardlink' }],
    dropped: ['/huge'],
    shadowed: [12345, 9007199254740991],
    warnings: [{ code: 'too-large', message: 'skipped', path: '/huge' }, { code: 'x', message: 'y' }],
    unread: [{ path: '/huge', size: 9, wanters: ['dpkg', 'os-detect'], code: 'too-large', reason: '9 bytes, over the 8-byte limit; not read' }],
    dirs: [0, 42, 9007199254740990],
  };

  it('round-trips, and through the cache', async () => {
    expect(deserialiseLayerDelta(serialiseLayerDelta(delta))).toEqual(delta);
    const cache = openLayerCache({ secret: SECRET, dir: freshDir() });
    const layer = { digest: 'sha256:' + 'c'.repeat(64), diffId: 'sha256:' + 'a'.repeat(64) };
    const key = layerDeltaCacheKey(layer, [{ name: 'dpkg', version: 2 }, { name: 'apk', version: 1 }]);
    expect(key).toBe(`layer-delta/v4/sha256:${'c'.repeat(64)}/sha256:${'a'.repeat(64)}/apk@1,dpkg@2`);
    await cache.put(key, serialiseLayerDelta(delta));
    expect(deserialiseLayerDelta((await cache.get(key))!)).toEqual(delta);
  });

  it('the key changes with any cataloger version, not with their order, and with either digest', () => {
    const d = { digest: 'sha256:' + 'b'.repeat(64), diffId: 'sha256:' + 'e'.repeat(64) };
    expect(layerDeltaCacheKey(d, [])).not.toBe(layerDeltaCacheKey({ ...d, digest: 'sha256:' + 'f'.repeat(64) }, []));
    expect(layerDeltaCacheKey(d, [])).not.toBe(layerDeltaCacheKey({ ...d, diffId: 'sha256:' + 'f'.repeat(64) }, []));
    expect(layerDeltaCacheKey(d, [{ name: 'a', version: 1 }, { name: 'b', version: 1 }])).toBe(layerDeltaCacheKey(d, [{ name: 'b', version: 1 }, { name: 'a', version: 1 }]));
    expect(layerDeltaCacheKey(d, [{ name: 'a', version: 1 }])).not.toBe(layerDeltaCacheKey(d, [{ name: 'a', version: 2 }]));
  });

  it('refuses damaged bytes with a decode error', () => {
    const good = serialiseLayerDelta(delta);
    for (const bad of [good.subarray(0, 3), good.subarray(0, good.length - 1), Buffer.concat([good, Buffer.from('x')]), Buffer.from('\0\0\0\x02{}')]) {
      expect(() => deserialiseLayerDelta(bad)).toThrow(LayerDeltaDecodeError);
    }
  });
});

describe('portcullis cache', () => {
  it('info and clean on --cache-dir', async () => {
    const dir = freshDir();
    await openLayerCache({ secret: SECRET, dir }).put('k', Buffer.alloc(10));
    const info = await runCli(['cache', 'info', '--cache-dir', dir]);
    expect(info.code).toBe(0);
    expect(info.stdout).toContain(`directory: ${dir}`);
    expect(info.stdout).toContain('entries:   1');
    const clean = await runCli(['cache', 'clean', '--cache-dir', dir]);
    expect(clean.stdout).toBe(`removed 1 file from ${dir}\n`);
    expect((await runCli(['cache', 'info', '--cache-dir', dir])).stdout).toContain('entries:   0');
  });

  it('uses XDG_CACHE_HOME by default and rejects unknown subcommands', async () => {
    const xdg = freshDir();
    const res = await runCli(['cache', 'info'], { env: { XDG_CACHE_HOME: xdg } });
    expect(res.stdout).toContain(`directory: ${join(xdg, 'portcullis', 'layers')}`);
    const bad = await runCli(['cache', 'purge']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown subcommand "purge"/);
  });
});

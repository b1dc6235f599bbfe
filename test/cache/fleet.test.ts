// Issue 21: a layer cache shared by a fleet of runners on a real, private redis-server. Runners
// are separate local cache dirs (and key-file homes) sharing one Redis and one PORTCULLIS_CACHE_KEY.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openScanCache, parseCacheBackend, REDIS_KEY_PREFIX, RedisLayerCache, type CacheBackendSpec } from '../../src/cache/index.js';
import { TarStore, DirectoryStore, type BlobStore } from '../../src/image/blob-store.js';
import { resolveImageSource } from '../../src/image/resolve.js';
import { inventoryImage } from '../../src/inventory/inventory.js';
import type { Report } from '../../src/model/report.js';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { buildCli } from '../helpers/build-cli.js';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { fleetImages, type FleetImages } from './fleet-image.js';
import { haveRedis, startRedis, type PrivateRedis } from './redis-harness.js';

const FLEET_KEY = randomBytes(32).toString('hex');

/** What must be byte-identical between a cached and an uncached scan: everything but the run's own facts. */
const inventoryOf = (r: Report): string => JSON.stringify({ image: r.image, os: r.os, layers: r.layers, packages: r.packages, warnings: r.warnings });

describe.skipIf(!haveRedis)('shared layer cache on Redis (issue 21)', () => {
  let img: DebianImageFixture;
  let images: FleetImages;
  let work: string;
  let redis: PrivateRedis;
  let truthBase: Report;
  let truthApp: Report;
  let runners = 0;

  /** A fresh runner: its own cache dir and state home, the fleet's key and backend. */
  const runner = (extra: NodeJS.ProcessEnv = {}) => {
    const home = join(work, `runner-${runners++}`);
    mkdirSync(home);
    const env = { XDG_STATE_HOME: join(home, 'state'), XDG_CACHE_HOME: join(home, 'cache'), PORTCULLIS_CACHE_KEY: FLEET_KEY, PORTCULLIS_CACHE_BACKEND: redis.url, ...extra };
    const sbom = async (image: string, args: string[] = []) => {
      const r = await runCli(['sbom', image, ...args], { env });
      return { ...r, report: (r.code === 0 ? JSON.parse(r.stdout) : undefined) as Report };
    };
    return { env, home, sbom };
  };

  /** The app image inventoried in process by a runner, with layer reads and verifications counted. */
  const countedRun = async (env: NodeJS.ProcessEnv) => {
    const store = await openScanCache({ env });
    const image = await resolveImageSource(images.app, {}).open();
    const opened: number[] = [];
    const verified: number[] = [];
    for (const l of image.layers) {
      const open = l.open.bind(l);
      const verify = l.verify!.bind(l);
      // Read through open() (counted), not by a walker thread that opens the file itself.
      delete l.fileSource;
      l.open = () => {
        opened.push(l.index);
        return open();
      };
      l.verify = () => {
        verified.push(l.index);
        return verify();
      };
    }
    try {
      const inv = await inventoryImage(image, { store });
      return { opened, verified: verified.sort(), packages: inv.packages, metrics: store.metrics() };
    } finally {
      await image.close();
      await store.close();
    }
  };

  const keys = (): string[] => redis.cli(['--scan', '--pattern', `${REDIS_KEY_PREFIX}*`]).toString().split('\n').filter(Boolean);

  beforeAll(async () => {
    img = await debianImage();
    work = mkdtempSync(join(tmpdir(), 'portcullis-fleet-'));
    images = fleetImages(img, work);
    redis = await startRedis();
    const cold = async (image: string) => JSON.parse((await runCli(['sbom', image, '--no-cache'], { env: { XDG_STATE_HOME: join(work, 'cold') } })).stdout) as Report;
    truthBase = await cold(images.base);
    truthApp = await cold(images.app);
    expect(truthApp.layers).toHaveLength(4);
    expect(truthApp.packages.some((p) => p.name === 'left-pad')).toBe(true);
  }, 1_800_000);
  afterAll(async () => {
    await redis?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('a fresh runner reads only the layers the fleet has not seen, and gives a byte-identical inventory', async () => {
    redis.cli(['FLUSHALL']);
    const first = await runner().sbom(images.base);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe('');
    // Three layer deltas and the image's inventory memo, in this runner's directory and in Redis.
    expect(first.report.tool.cache).toEqual({ backend: 'redis', inventory: 'miss', lookups: 3, hits: 0, sharedHits: 0, misses: 3, rejected: 0, stored: 4, sharedStored: 4 });
    expect(keys()).toHaveLength(4);
    // Entries live a week by default.
    const ttl = Number(redis.cli(['TTL', keys()[0]!]).toString());
    expect(ttl).toBeGreaterThan(7 * 86400 - 60);
    expect(ttl).toBeLessThanOrEqual(7 * 86400);

    const second = runner();
    // Round trips are batched, never one per layer: one pipelined read for the memo and its three
    // parents' memos (the base's among them); the memo missed, so one more for every layer's delta;
    // one pipelined write (the new layer's delta and the app image's memo) for the whole scan.
    const gets = vi.spyOn(RedisLayerCache.prototype, 'getMany');
    const puts = vi.spyOn(RedisLayerCache.prototype, 'putMany');
    const app = await second.sbom(images.app, ['--cache-ttl', '1h']);
    expect([gets.mock.calls.map((c) => c[0].length), puts.mock.calls.map((c) => c[0].length)]).toEqual([[4, 4], [2]]);
    gets.mockRestore();
    puts.mockRestore();
    expect(app.code, app.stderr).toBe(0);
    expect(app.report.tool.cache).toEqual({ backend: 'redis', inventory: 'miss', lookups: 4, hits: 3, sharedHits: 3, misses: 1, rejected: 0, stored: 2, sharedStored: 2 });
    expect(inventoryOf(app.report)).toBe(inventoryOf(truthApp));
    expect(keys()).toHaveLength(6);
    expect(keys().map((k) => Number(redis.cli(['TTL', k]).toString())).filter((t) => t <= 3600)).toHaveLength(2);

    // Same runner again: the memo from its own directory now (what came from Redis was kept locally).
    const gets2 = vi.spyOn(RedisLayerCache.prototype, 'getMany');
    const again = await second.sbom(images.app);
    expect(gets2).not.toHaveBeenCalled();
    gets2.mockRestore();
    expect(again.report.tool.cache).toMatchObject({ inventory: 'hit', lookups: 0, sharedHits: 0 });
    expect(inventoryOf(again.report)).toBe(inventoryOf(truthApp));

    // In process, counting layer reads and verifications. With the app's own layer (and so its
    // memo) gone from Redis, a fresh runner opens (reads, parses) only that layer; the base layers'
    // blobs are still hashed (verify) but not parsed.
    const appKeys = keys().filter((k) => Number(redis.cli(['TTL', k]).toString()) <= 3600);
    expect(appKeys).toHaveLength(2);
    redis.cli(['DEL', ...appKeys]);
    const third = await countedRun(runner().env);
    expect(third.opened).toEqual([3]);
    expect(third.verified).toEqual([0, 1, 2]);
    expect(third.metrics).toMatchObject({ inventory: 'miss', sharedHits: 3, misses: 1, sharedStored: 2 });
    expect(JSON.stringify(third.packages)).toBe(JSON.stringify(truthApp.packages));
    // A fully seen image: its memo from Redis; no layer is read, every local blob is hashed. One
    // read, of the memo and its parents' memos: no layer's delta is fetched for nothing.
    const gets4 = vi.spyOn(RedisLayerCache.prototype, 'getMany');
    const fourth = await countedRun(runner().env);
    expect(gets4.mock.calls.map((c) => c[0].length)).toEqual([4]);
    gets4.mockRestore();
    expect(fourth.opened).toEqual([]);
    expect(fourth.verified).toEqual([0, 1, 2, 3]);
    expect(fourth.metrics).toMatchObject({ inventory: 'shared-hit', lookups: 0 });
    expect(JSON.stringify(fourth.packages)).toBe(JSON.stringify(truthApp.packages));
  }, 300_000);

  it('the built CLI (bin/portcullis.js over the bundle) shares layers through Redis too: password, ACL user and database, TLS', async () => {
    // The bundle loads the Redis client from its own file, whose command table holds only what the
    // client names (scripts/redis-client-commands.mjs): a load or handshake that went wrong would
    // only show as a degraded (cold) scan, so check the shared hits of the installed entry point.
    buildCli();
    const built = (env: NodeJS.ProcessEnv, args: string[] = []) =>
      new Promise<Report>((resolve, reject) => {
        execFile(process.execPath, [join(PROJECT_ROOT, 'bin/portcullis.js'), 'sbom', images.base, '--quiet', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, CI: 'true', ...env } }, (err, stdout, stderr) =>
          err || stderr ? reject(new Error(`${err?.message ?? ''} ${stderr}`)) : resolve(JSON.parse(stdout) as Report),
        );
      });
    const twoRunners = async (backend: string, args: string[] = []) => {
      const first = await built(runner({ PORTCULLIS_CACHE_BACKEND: backend }).env, args);
      expect(first.tool.cache).toMatchObject({ backend: 'redis', misses: 3, sharedStored: 4 });
      expect(first.tool.cache?.degraded).toBeUndefined();
      const second = await built(runner({ PORTCULLIS_CACHE_BACKEND: backend }).env, args);
      expect(second.tool.cache).toMatchObject({ backend: 'redis', inventory: 'shared-hit', lookups: 0 });
      expect(inventoryOf(second)).toBe(inventoryOf(truthBase));
    };
    redis.cli(['FLUSHALL']);
    await twoRunners(redis.url);
    // An ACL user (AUTH with a user name) and a database of its own (SELECT): the entries land there.
    redis.cli(['FLUSHALL']);
    redis.cli(['ACL', 'SETUSER', 'fleet-runner', 'on', '>runner-secret', '~portcullis:*', '+@all']);
    await twoRunners(`redis://fleet-runner:runner-secret@127.0.0.1:${redis.port}/3`);
    expect(redis.cli(['-n', '3', 'DBSIZE']).toString().trim()).toBe('4');
    expect(redis.cli(['-n', '0', 'DBSIZE']).toString().trim()).toBe('0');
    // TLS with a client certificate.
    const secure = await startRedis({ tls: true });
    try {
      const tls = secure.tls!;
      await twoRunners(secure.url, ['--cache-tls-ca', tls.ca, '--cache-tls-cert', tls.clientCert, '--cache-tls-key', tls.clientKey]);
    } finally {
      await secure.stop();
    }
  }, 600_000);

  it('a batch is one pipeline on the wire: 40 reads or writes cost Redis about one read event each, not forty', async () => {
    redis.cli(['FLUSHALL']);
    const cache = await RedisLayerCache.create({ spec: parseCacheBackend(redis.url, {}) as Extract<CacheBackendSpec, { kind: 'redis' }>, timeoutMs: 5000, ttlMs: 3_600_000, maxEntryBytes: 1024 * 1024 });
    // The server counts the read events it processed; asking (a redis-cli connection) adds its own.
    const readEvents = () => Number(/total_reads_processed:(\d+)/.exec(redis.cli(['INFO', 'stats']).toString())![1]);
    const asking = -readEvents() + readEvents();
    const entries = Array.from({ length: 40 }, (_, i) => ({ key: `batch-test-${i}`, value: Buffer.alloc(64, i) }));
    try {
      await cache.getMany(['connect-first']); // the connection and its handshake are not what is counted
      let before = readEvents();
      expect(await cache.putMany(entries)).toBe(40);
      const writeReads = readEvents() - before - asking;
      before = readEvents();
      const got = await cache.getMany(entries.map((e) => e.key));
      const getReads = readEvents() - before - asking;
      expect(got.map((b) => b?.[0])).toEqual(entries.map((_, i) => i));
      // 40 small commands sent one by one would be up to 40 read events; one write of them all is 1 (2 if split).
      expect(writeReads).toBeLessThanOrEqual(2);
      expect(getReads).toBeLessThanOrEqual(2);
    } finally {
      await cache.close();
    }
  });

  it('a connection the server closed while the walk ran (idle timeout) is opened again for the write', async () => {
    redis.cli(['FLUSHALL']);
    redis.cli(['CONFIG', 'SET', 'timeout', '1']);
    const store = await openScanCache({ env: runner().env });
    const image = await resolveImageSource(images.base, {}).open();
    const first = image.layers[0]!;
    const open = first.open.bind(first);
    delete first.fileSource; // the delayed open() is the read
    first.open = async () => {
      await new Promise((r) => setTimeout(r, 3500)); // longer than the server's idle timeout
      return open();
    };
    try {
      await inventoryImage(image, { store });
      expect(store.metrics()).toMatchObject({ misses: 3, sharedStored: 4 });
      expect(store.metrics().degraded).toBeUndefined();
      expect(store.notices()).toEqual([]);
      expect(keys()).toHaveLength(4);
    } finally {
      redis.cli(['CONFIG', 'SET', 'timeout', '0']);
      await image.close();
      await store.close();
    }
  }, 300_000);

  it('an entry written with another key is ignored and counted; the result is the true one', async () => {
    redis.cli(['FLUSHALL']);
    const intruder = runner({ PORTCULLIS_CACHE_KEY: randomBytes(32).toString('hex') });
    expect((await intruder.sbom(images.base)).report.tool.cache?.sharedStored).toBe(4);
    // Whatever the intruder wrote there (true deltas here; it could be anything), it is not ours.
    const victim = runner();
    const r = await victim.sbom(images.base);
    expect(r.code, r.stderr).toBe(0);
    expect(r.report.tool.cache).toMatchObject({ inventory: 'miss', rejected: 4, hits: 0, sharedHits: 0, misses: 3 });
    expect(inventoryOf(r.report)).toBe(inventoryOf(truthBase));
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^portcullis: 4 layer cache entries failed authentication .* ignored/)]);
  }, 300_000);

  describe('an accelerator, never a dependency', () => {
    let db: string;
    let policy: string;
    beforeAll(async () => {
      // A DB with one record that matches this image, and a policy that blocks it: verdict exit 1.
      const records = join(work, 'records');
      mkdirSync(records);
      writeFileSync(join(records, 'r.json'), JSON.stringify({
        schema_version: '1.6.0', id: 'DEBIAN-CVE-2022-0563', upstream: ['CVE-2022-0563'], modified: '2025-06-01T00:00:00Z', published: '2022-01-01T00:00:00Z',
        details: 'util-linux', affected: [{ package: { ecosystem: 'Debian:12', name: 'util-linux' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'low' } }],
      }));
      db = join(work, 'db.sqlite');
      const imported = await runCli(['db', 'import', '--db', db, records]);
      expect(imported.code, imported.stderr).toBe(0);
      policy = join(work, 'block.yaml');
      writeFileSync(policy, 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: block-all}\nspec:\n  rules:\n    - {id: all, description: block all, action: block, when: {severity: [CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN]}}\n');
    }, 120_000);

    const scan = async (env: NodeJS.ProcessEnv, args: string[] = []) => {
      const out = join(work, `scan-${randomBytes(4).toString('hex')}.json`);
      const r = await runCli(['scan', images.base, '--policy', policy, '--format', `json=${out}`, '--skip-db-age-check', '--quiet', ...args], { env: { ...env, PORTCULLIS_DB: db } });
      let report: Report | undefined;
      try {
        report = JSON.parse(readFileSync(out, 'utf8'));
      } catch {
        report = undefined;
      }
      return { ...r, report };
    };
    const verdictOf = (r: { code: number; report?: Report }) => ({ code: r.code, findings: r.report?.findings?.map((f) => `${f.id} ${f.package.name}`).sort(), inventory: r.report && inventoryOf(r.report) });

    let truth: ReturnType<typeof verdictOf>;
    beforeAll(async () => {
      const r = await scan({ XDG_STATE_HOME: join(work, 'cold-scan') }, ['--no-cache']);
      expect(r.code, r.stderr).toBe(1);
      truth = verdictOf(r);
      expect(truth.findings!.length).toBeGreaterThan(0);
    }, 300_000);

    it('Redis killed mid-scan: the same verdict, one warning', async () => {
      redis.cli(['FLUSHALL']);
      const r = runner();
      // Kill it when the first layer is read: after the one read round trip, before the one write.
      let killed = false;
      const kill = () => {
        if (!killed) {
          killed = true;
          redis.kill('SIGKILL');
        }
      };
      const spies = [TarStore.prototype, DirectoryStore.prototype].flatMap((proto: BlobStore) => {
        const orig = proto.open;
        const origLocate = proto.locate!;
        return [
          vi.spyOn(proto, 'open').mockImplementation(function (this: BlobStore, ...a: Parameters<BlobStore['open']>) {
            if (/^blobs\//.test(a[0]) && a[1] === undefined) kill();
            return orig.apply(this, a);
          }),
          // A walker thread opens the blob itself: asking where it lies is its read.
          vi.spyOn(proto, 'locate').mockImplementation(function (this: BlobStore, name: string) {
            if (/^blobs\//.test(name)) kill();
            return origLocate.call(this, name);
          }),
        ];
      });
      const password = redis.password;
      let res;
      try {
        res = await scan(r.env);
      } finally {
        spies.forEach((s) => s.mockRestore());
        await redis.stop();
        redis = await startRedis();
      }
      expect(killed).toBe(true);
      expect(verdictOf(res)).toEqual(truth);
      expect(res.report!.tool.cache).toMatchObject({ degraded: true, misses: 3, stored: 4 }); // 3 deltas and the memo, locally
      expect(res.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^portcullis: shared layer cache redis:\/\/127\.0\.0\.1:\d+ unavailable \(.*\): scanning without it$/)]);
      expect(res.stderr).not.toContain(password);
    }, 300_000);

    it('Redis unreachable, stopped (slow), or with a wrong password: the same verdict, one warning, bounded time', async () => {
      // Unreachable: nothing listens there.
      const down = runner({ PORTCULLIS_CACHE_BACKEND: `redis://:secret-pw@127.0.0.1:1` });
      const r1 = await scan(down.env);
      expect(verdictOf(r1)).toEqual(truth);
      expect(r1.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^portcullis: shared layer cache redis:\/\/127\.0\.0\.1:1 unavailable \(.*ECONNREFUSED.*\): scanning without it$/)]);
      expect(r1.stderr).not.toContain('secret-pw');

      // Stopped (SIGSTOP): connections hang; the deadline ends the wait.
      redis.kill('SIGSTOP');
      try {
        const slow = runner();
        const t0 = Date.now();
        const r2 = await scan(slow.env, ['--cache-timeout', '1s']);
        expect(Date.now() - t0).toBeLessThan(60_000);
        expect(verdictOf(r2)).toEqual(truth);
        expect(r2.stderr.trim().split('\n')).toEqual([expect.stringMatching(/unavailable \(.*longer than 1000 ms\): scanning without it$/)]);

        // The connection starts as the cache opens (RedisLayerCache.connectSoon); a run that ends
        // before its first lookup (no such image) drops the handshake: the built CLI exits 2 at
        // once with the image's error alone, not when the 30 s connection deadline ends.
        buildCli();
        const t1 = Date.now();
        const r4 = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = execFile(process.execPath, [join(PROJECT_ROOT, 'bin/portcullis.js'), 'sbom', `oci:${join(work, 'no-such-layout')}`, '--cache-timeout', '30s'], { encoding: 'utf8', env: { PATH: process.env.PATH, CI: 'true', ...runner().env } }, (_err, _stdout, stderr) => resolve({ code: child.exitCode, stderr }));
        });
        expect(r4.code).toBe(2);
        expect(r4.stderr.trim().split('\n')).toEqual([expect.stringMatching(/no-such-layout/)]);
        expect(Date.now() - t1).toBeLessThan(20_000);
        // A cache that fails to open (an untrusted local directory: exit 2) starts no connection.
        const openDir = join(work, 'world-writable-cache');
        mkdirSync(openDir, { mode: 0o777 });
        chmodSync(openDir, 0o777);
        const t2 = Date.now();
        const r5 = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = execFile(process.execPath, [join(PROJECT_ROOT, 'bin/portcullis.js'), 'sbom', images.base, '--cache-dir', openDir, '--cache-timeout', '30s'], { encoding: 'utf8', env: { PATH: process.env.PATH, CI: 'true', ...runner().env } }, (_err, _stdout, stderr) => resolve({ code: child.exitCode, stderr }));
        });
        expect(r5.code).toBe(2);
        expect(r5.stderr.trim().split('\n')).toEqual([expect.stringMatching(/world-writable-cache is writable by group and others .*refusing to use it/)]);
        expect(Date.now() - t2).toBeLessThan(20_000);
      } finally {
        redis.kill('SIGCONT');
      }

      // Wrong password: refused by the server; the password is never printed.
      const wrong = runner({ PORTCULLIS_CACHE_BACKEND: `redis://:not-the-password@127.0.0.1:${redis.port}` });
      const r3 = await scan(wrong.env);
      expect(verdictOf(r3)).toEqual(truth);
      expect(r3.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^portcullis: shared layer cache .* unavailable \(.*(WRONGPASS|invalid).*\): scanning without it$/)]);
      expect(r3.stderr).not.toContain('not-the-password');
    }, 300_000);

    it('Redis full (maxmemory, noeviction): the same verdict, one warning', async () => {
      const full = await startRedis({ maxmemory: '1mb' });
      try {
        const r = runner({ PORTCULLIS_CACHE_BACKEND: full.url });
        const res = await scan(r.env);
        expect(verdictOf(res)).toEqual(truth);
        expect(res.stderr.trim().split('\n')).toEqual([expect.stringMatching(/unavailable \(.*OOM.*\): scanning without it$/)]);
      } finally {
        await full.stop();
      }
    }, 300_000);
  });

  it('rediss:// with a self-signed CA (and a client certificate); without the CA it goes cold with one warning', async () => {
    const secure = await startRedis({ tls: true });
    try {
      const tls = secure.tls!;
      const env = (home: string) => ({ XDG_STATE_HOME: join(work, home, 'state'), PORTCULLIS_CACHE_KEY: FLEET_KEY, PORTCULLIS_CACHE_BACKEND: secure.url });
      const args = (home: string) => ['--cache-dir', join(work, home, 'cache'), '--cache-tls-ca', tls.ca, '--cache-tls-cert', tls.clientCert, '--cache-tls-key', tls.clientKey];
      const a = await runCli(['sbom', images.base, ...args('tls-a')], { env: env('tls-a') });
      expect(a.code, a.stderr).toBe(0);
      expect(JSON.parse(a.stdout).tool.cache).toMatchObject({ sharedStored: 4 });
      const b = await runCli(['sbom', images.base, '--cache-dir', join(work, 'tls-b', 'cache'), '--cache-tls-ca', tls.ca], { env: env('tls-b') });
      expect(b.code, b.stderr).toBe(0);
      expect(JSON.parse(b.stdout).tool.cache).toMatchObject({ inventory: 'shared-hit' });
      expect(inventoryOf(JSON.parse(b.stdout))).toBe(inventoryOf(truthBase));
      // Not trusting the CA: the TLS handshake fails, the scan goes on cold.
      const c = await runCli(['sbom', images.base, '--cache-dir', join(work, 'tls-c', 'cache')], { env: env('tls-c') });
      expect(c.code, c.stderr).toBe(0);
      expect(JSON.parse(c.stdout).tool.cache).toMatchObject({ degraded: true, sharedHits: 0, misses: 3 });
      expect(c.stderr.trim().split('\n')).toHaveLength(1);
      // A CA file that does not exist is a configuration error.
      const d = await runCli(['sbom', images.base, '--cache-tls-ca', join(work, 'nope.crt')], { env: env('tls-d') });
      expect(d.code).toBe(2);
      expect(d.stderr).toMatch(/--cache-tls-ca .*nope\.crt: cannot read it/);
    } finally {
      await secure.stop();
    }
  }, 300_000);

  it('cache info and clean work on the backend; the fleet key is required', async () => {
    redis.cli(['FLUSHALL']);
    redis.cli(['SET', 'someone-else:key', 'kept']);
    const r = runner();
    expect((await r.sbom(images.base)).code).toBe(0);
    const info = await runCli(['cache', 'info'], { env: r.env });
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(new RegExp(`shared:    redis://127\\.0\\.0\\.1:${redis.port}\\nentries:   4\\n`)); // three layer deltas and the memo
    expect(info.stdout).not.toContain(redis.password);
    const clean = await runCli(['cache', 'clean'], { env: r.env });
    expect(clean.stdout).toMatch(/removed 4 entries from redis:/);
    expect(keys()).toEqual([]);
    expect(redis.cli(['GET', 'someone-else:key']).toString().trim()).toBe('kept');

    const noKey = await runCli(['sbom', images.base], { env: { ...r.env, PORTCULLIS_CACHE_KEY: '' } });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/needs PORTCULLIS_CACHE_KEY/);
    expect(noKey.stderr).not.toContain(redis.password);
    const short = await runCli(['sbom', images.base], { env: { ...r.env, PORTCULLIS_CACHE_KEY: 'short' } });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/PORTCULLIS_CACHE_KEY is too short/);
    const badUrl = await runCli(['sbom', images.base, '--cache-backend', 'memcached://u:pw@host'], { env: r.env });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).not.toContain('pw@');
  }, 300_000);
});

// Each local store, with the real daemon (private: own data root, exec root and socket under a
// temp dir, stopped by PID), gives the same inventory and layer attribution as the docker-archive
// of the same image; and each failure is one line with exit 2.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync, openSync, closeSync, writeSync, readSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { inventoryOf, type Seen } from './compare.js';
import { exec, hasCommand, startContainerd, startDockerd, startPodman, type Daemon } from './daemons.js';
import { layerDeltaStore, openLayerCache } from '../../src/cache/index.js';
import type { LayerDeltaStore } from '../../src/inventory/walker.js';
import { chainIds } from '../../src/image/stores/docker-local.js';
import { randomBytes } from 'node:crypto';

/**
 * A real layer cache in a fresh directory, seen through a window: lookups of the diff_ids in
 * `hidden` miss (as for a runner that has seen only the other layers), and every delta written is
 * recorded — a delta is written only for a layer that was walked, never for one only hashed.
 */
function watchedCache(dir: string): { store: LayerDeltaStore; puts: string[]; hidden: Set<string> } {
  const inner = layerDeltaStore(openLayerCache({ dir, secret: randomBytes(32) }));
  const puts: string[] = [];
  const hidden = new Set<string>();
  const store: LayerDeltaStore = {
    prefetch: (layers, w) => inner.prefetch?.(layers, w) ?? Promise.resolve(),
    get: (layer, w) => (hidden.has(layer.diffId) ? Promise.resolve(undefined) : inner.get(layer, w)),
    put: (layer, w, delta) => {
      puts.push(layer.diffId);
      return inner.put(layer, w, delta);
    },
    flush: () => inner.flush?.() ?? Promise.resolve(),
  };
  return { store, puts, hidden };
}

const run = promisify(execFile);
const TIMEOUT = 20 * 60_000;
let fx: DebianImageFixture;
let reference: Seen;

beforeAll(async () => {
  fx = await debianImage();
  reference = await inventoryOf(`docker-archive:${fx.dockerArchive}`);
  expect(reference.packages.length).toBeGreaterThan(50);
}, TIMEOUT);

function expectSameImage(seen: Seen): void {
  expect(seen.os).toBe(reference.os);
  expect(seen.layers).toEqual(reference.layers);
  expect(seen.packages).toEqual(reference.packages);
  // The fixture's facts: a package added by the last layer is attributed to it.
  expect(seen.packages.find((p) => p.includes(` ${fx.facts.added} `))).toMatch(/layer=2:/);
}

/** The one error line of a failed CLI run. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => !l.startsWith('\r'));
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe.skipIf(!hasCommand('dockerd'))('docker: (private dockerd)', () => {
  let d: Daemon;
  beforeAll(async () => {
    d = await startDockerd();
    await exec('docker', ['load', '-i', fx.dockerArchive], { env: { ...process.env, ...d.env } });
  }, TIMEOUT);
  afterAll(async () => d?.stop(), TIMEOUT);

  /** The export stream only (as for a remote engine, or one whose data root this process cannot read). */
  const exportOnly = () => ({ ...d.env, PORTCULLIS_DOCKER_DIRECT: '0' });

  it('reads the export stream: same inventory and layers as the docker-archive', async () => {
    const seen = await inventoryOf('docker:portcullis/debian:test', { env: exportOnly() });
    expect(seen.image.streamed).toBeDefined();
    expectSameImage(seen);
    expect(seen.image.metadata.sourceType).toBe('docker');
    expect(seen.image.metadata.configDigest).toBe(reference.image.metadata.configDigest);
    expect(seen.image.metadata.tags).toEqual(['portcullis/debian:test']);
  }, TIMEOUT);

  it('with a layer cache: a re-scan only hashes the stream, and gives the same inventory', async () => {
    const dir = mkdtempSync('/tmp/pcd-cache-');
    const { store, puts, hidden } = watchedCache(dir);
    // Cold: every layer walked and stored.
    expectSameImage(await inventoryOf('docker:portcullis/debian:test', { env: exportOnly() }, store));
    expect(puts).toEqual(reference.layers.map((l) => l.split(' ')[1]));
    // Warm: Debian's engine exports the classic layout (`<id>/layer.tar` says not which layer it
    // is), so the stream is only hashed when every layer has a stored delta.
    puts.length = 0;
    expectSameImage(await inventoryOf('docker:portcullis/debian:test', { env: exportOnly() }, store));
    expect(puts).toEqual([]);
    // One layer unseen: the classic export cannot tell which arrival it is, so all are walked.
    hidden.add(reference.image.layers[2]!.diffId);
    expectSameImage(await inventoryOf('docker:portcullis/debian:test', { env: exportOnly() }, store));
    expect(puts).toHaveLength(3);
    rmSync(dir, { recursive: true, force: true });
  }, TIMEOUT);

  it('docker-daemon: is the same source; a bare name is found in docker and stderr says so', async () => {
    expectSameImage(await inventoryOf('docker-daemon:portcullis/debian:test', { env: d.env }));
    const r = await runCli(['sbom', 'portcullis/debian:test', '--no-cache', '--quiet'], { env: d.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('portcullis/debian:test: read from docker');
    expect(JSON.parse(r.stdout).packages).toHaveLength(reference.packages.length);
  }, TIMEOUT);

  it('an image the engine does not hold: exit 2, one line naming it and the engine', async () => {
    const r = await runCli(['sbom', 'docker:portcullis/absent:1', '--no-cache', '--quiet'], { env: d.env });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`image portcullis/absent:1 not found in docker (unix://${d.socket})`);
  }, TIMEOUT);

  it('a bare name in no store names each store tried', async () => {
    const r = await runCli(['sbom', 'portcullis/absent:1', '--image-src', 'docker,containerd,podman', '--no-cache', '--quiet'], {
      env: { ...d.env, CONTAINERD_ADDRESS: join(d.dir, 'none.sock'), CONTAINER_HOST: `unix://${join(d.dir, 'none-podman.sock')}` },
    });
    expect(r.code).toBe(2);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/not found in any source tried \(docker: image portcullis\/absent:1 not found in docker .*; containerd: containerd not reachable at .*none\.sock.*; podman: podman daemon not reachable at .*none-podman\.sock/);
  }, TIMEOUT);

  it('no daemon at DOCKER_HOST: exit 2 naming the socket', async () => {
    const r = await runCli(['sbom', 'docker:portcullis/debian:test', '--no-cache', '--quiet'], { env: { DOCKER_HOST: `unix://${join(d.dir, 'nothing.sock')}` } });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`docker daemon not reachable at unix://${join(d.dir, 'nothing.sock')} (no socket there)`);
  }, TIMEOUT);

  it('reads the engine\'s data root when it can (a local engine, as root): same inventory and layers; a changed file fails its diff_id', async () => {
    const seen = await inventoryOf('docker:portcullis/debian:test', { env: d.env });
    expect(seen.image.streamed).toBeUndefined(); // layers rebuilt from the engine's tar-split records, no export
    expectSameImage(seen);
    expect(seen.image.metadata.sourceType).toBe('docker');
    expect(seen.image.metadata.configDigest).toBe(reference.image.metadata.configDigest);
    expect(seen.image.metadata.tags).toEqual(['portcullis/debian:test']);

    // One byte of the top layer's dpkg status, as the engine keeps it (same size): exit 2 naming the diff_id.
    const root = join(d.dir, 'data');
    const top = chainIds(reference.image.layers.map((l) => l.diffId)).at(-1)!.slice('sha256:'.length);
    const cacheId = readFileSync(join(root, 'image', 'vfs', 'layerdb', 'sha256', top, 'cache-id'), 'utf8').trim();
    const status = join(root, 'vfs', 'dir', cacheId, 'var/lib/dpkg/status');
    const flip = () => {
      const fd = openSync(status, 'r+');
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, 100);
      writeSync(fd, Buffer.from([b[0]! ^ 0x20]), 0, 1, 100);
      closeSync(fd);
    };
    flip();
    try {
      const r = await runCli(['sbom', 'docker:portcullis/debian:test', '--no-cache', '--quiet'], { env: d.env });
      expect(r.code).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/layer 2 \(.*\) uncompressed content \(diff_id\) digest mismatch/);
    } finally {
      flip();
    }
    expect((await runCli(['sbom', 'docker:portcullis/debian:test', '--no-cache', '--quiet'], { env: d.env })).code).toBe(0);
  }, TIMEOUT);

  it.skipIf(!hasCommand('setpriv'))('a user who may use the socket but not read the data root gets the export stream', async () => {
    chmodSync(d.dir, 0o755);
    chmodSync(d.socket, 0o666);
    try {
      const r = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(PROJECT_ROOT, 'dist/cli/entry.js'), 'sbom', 'docker:portcullis/debian:test', '--no-cache', '--quiet'], {
        env: { PATH: process.env.PATH, HOME: '/tmp', DOCKER_HOST: `unix://${d.socket}` },
        cwd: '/tmp',
      });
      const report = JSON.parse(r.stdout) as { packages: unknown[]; layers: { size: number }[] };
      expect(report.packages).toHaveLength(reference.packages.length);
      // The export's layer sizes are the tars' (the data root's rebuilt layers have none): it was the export.
      expect(report.layers.every((l) => l.size > 0)).toBe(true);
    } finally {
      chmodSync(d.socket, 0o660);
    }
  }, TIMEOUT);

  it.skipIf(!hasCommand('setpriv'))('permission denied on the socket: exit 2 saying so (as an unprivileged user)', async () => {
    chmodSync(d.dir, 0o700);
    const r = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(PROJECT_ROOT, 'dist/cli/entry.js'), 'sbom', 'docker:portcullis/debian:test', '--no-cache', '--quiet'], {
      env: { PATH: process.env.PATH, HOME: '/tmp', DOCKER_HOST: `unix://${d.socket}` },
      cwd: '/tmp',
    }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`permission denied on the docker socket ${d.socket}`);
  }, TIMEOUT);
});

describe.skipIf(!hasCommand('containerd') || !hasCommand('ctr'))('containerd: (private containerd)', () => {
  let d: Daemon;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    d = await startContainerd();
    env = { ...d.env, CONTAINERD_NAMESPACE: 'portcullis-test' };
    await exec('ctr', ['-a', d.socket, '-n', 'portcullis-test', 'images', 'import', '--index-name', 'localhost/deb:ctr', fx.ociArchive]);
    await exec('ctr', ['-a', d.socket, '-n', 'portcullis-test', 'images', 'import', '--all-platforms', '--index-name', 'localhost/deb:multi', await twoPlatformArchive(fx, d.dir)]);
  }, TIMEOUT);
  afterAll(async () => d?.stop(), TIMEOUT);

  it('reads content by digest: same inventory and layers as the docker-archive', async () => {
    const seen = await inventoryOf('containerd:localhost/deb:ctr', { env });
    expectSameImage(seen);
    expect(seen.image.metadata.sourceType).toBe('containerd');
    expect(seen.image.metadata.configDigest).toBe(reference.image.metadata.configDigest);
  }, TIMEOUT);

  it('--platform picks from a multi-platform index', async () => {
    const arm = await inventoryOf('containerd:localhost/deb:multi', { env, platform: 'linux/arm64' });
    expect(arm.image.metadata.config.architecture).toBe('arm64');
    expect(arm.packages).toEqual(reference.packages);
    const amd = await inventoryOf('containerd:localhost/deb:multi', { env, platform: 'linux/amd64' });
    expect(amd.image.metadata.config.architecture).toBe('amd64');
    expect(amd.image.metadata.configDigest).toBe(reference.image.metadata.configDigest);
    expect(arm.image.metadata.configDigest).not.toBe(amd.image.metadata.configDigest);
  }, TIMEOUT);

  it('another namespace does not see the image; a bare name falls through to containerd', async () => {
    const r = await runCli(['sbom', 'containerd:localhost/deb:ctr', '--no-cache', '--quiet'], { env: { ...env, CONTAINERD_NAMESPACE: 'elsewhere' } });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`image localhost/deb:ctr not found in containerd (namespace elsewhere, ${d.socket})`);
    const ok = await runCli(['sbom', 'localhost/deb:ctr', '--no-cache', '--quiet'], { env: { ...env, DOCKER_HOST: `unix://${join(d.dir, 'no-docker.sock')}` } });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('localhost/deb:ctr: read from containerd (not in docker)');
  }, TIMEOUT);

  it('no containerd at CONTAINERD_ADDRESS: exit 2 naming the socket', async () => {
    const r = await runCli(['sbom', 'containerd:localhost/deb:ctr', '--no-cache', '--quiet'], { env: { CONTAINERD_ADDRESS: join(d.dir, 'x.sock') } });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`containerd not reachable at ${join(d.dir, 'x.sock')}`);
  }, TIMEOUT);
});

describe.skipIf(!hasCommand('podman'))('podman: (private podman service)', () => {
  let d: Awaited<ReturnType<typeof startPodman>>;
  beforeAll(async () => {
    d = await startPodman('vfs');
    await exec('podman', ['--root', d.graphroot, '--runroot', d.runroot, '--storage-driver', 'vfs', 'load', '-i', fx.dockerArchive], { env: { ...process.env, CONTAINERS_STORAGE_CONF: d.storageConf } });
  }, TIMEOUT);
  afterAll(async () => d?.stop(), TIMEOUT);

  it("reads podman's export stream: same inventory and layers", async () => {
    const seen = await inventoryOf('podman:portcullis/debian:test', { env: d.env });
    expectSameImage(seen);
    expect(seen.image.metadata.sourceType).toBe('podman');
  }, TIMEOUT);

  it("with a layer cache: blobs named by digest are only hashed when stored, the unseen one walked", async () => {
    const dir = mkdtempSync('/tmp/pcp-cache-');
    const { store, puts, hidden } = watchedCache(dir);
    expectSameImage(await inventoryOf('podman:portcullis/debian:test', { env: d.env }, store));
    expect(puts).toHaveLength(3);
    // A runner that has seen the base layers only: the last layer is walked, the others hashed.
    puts.length = 0;
    const last = reference.image.layers[2]!.diffId;
    hidden.add(last);
    expectSameImage(await inventoryOf('podman:portcullis/debian:test', { env: d.env }, store));
    expect(puts).toEqual([last]);
    rmSync(dir, { recursive: true, force: true });
  }, TIMEOUT);

  it('containers-storage: reads the same store podman wrote, without the daemon', async () => {
    expectSameImage(await inventoryOf('containers-storage:portcullis/debian:test', { env: { CONTAINERS_STORAGE_CONF: d.storageConf } }));
  }, TIMEOUT);

  it('an image podman does not hold: exit 2 naming it', async () => {
    const r = await runCli(['sbom', 'podman:portcullis/absent:1', '--no-cache', '--quiet'], { env: d.env });
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain('image portcullis/absent:1 not found in podman');
  }, TIMEOUT);
});

/** A private containers-storage filled by skopeo, with the given driver. */
async function skopeoStore(driver: 'vfs' | 'overlay'): Promise<{ dir: string; spec: string; conf: string; graphroot: string }> {
  const dir = mkdtempSync(`/tmp/pcs-${driver}-`);
  const graphroot = join(dir, 'g');
  const runroot = join(dir, 'r');
  const spec = `[${driver}@${graphroot}+${runroot}]`;
  await run('skopeo', ['copy', '-q', `oci-archive:${fx.ociArchive}`, `containers-storage:${spec}localhost/deb:${driver}`], { maxBuffer: 16 * 1024 * 1024 });
  const conf = join(dir, 'storage.conf');
  writeFileSync(conf, `[storage]\ndriver = "${driver}"\ngraphroot = "${graphroot}"\nrunroot = "${runroot}"\n`);
  return { dir, spec, conf, graphroot };
}

for (const driver of ['vfs', 'overlay'] as const) {
  describe.skipIf(!hasCommand('skopeo'))(`containers-storage: ${driver} driver (filled by skopeo)`, () => {
    let s: Awaited<ReturnType<typeof skopeoStore>> | undefined;
    let why = '';
    beforeAll(async () => {
      try {
        s = await skopeoStore(driver);
      } catch (err) {
        why = String((err as { stderr?: string }).stderr ?? err).split('\n')[0]!;
      }
    }, TIMEOUT);
    afterAll(async () => {
      if (!s) return;
      // The overlay driver leaves its home bind-mounted on itself.
      if (driver === 'overlay') await run('umount', [join(s.graphroot, 'overlay')]).catch(() => undefined);
      rmSync(s.dir, { recursive: true, force: true });
    });

    it('rebuilds every layer from tar-split: same inventory and layers (storage.conf and [driver@root] forms)', async (ctx) => {
      if (!s) {
        // The overlay driver needs a kernel (or mount namespace) that allows overlay mounts.
        expect(driver, `skopeo could not write a ${driver} store: ${why}`).toBe('overlay');
        ctx.skip();
        return;
      }
      expectSameImage(await inventoryOf(`containers-storage:${s.spec}localhost/deb:${driver}`));
      expectSameImage(await inventoryOf(`containers-storage:deb:${driver}`, { env: { CONTAINERS_STORAGE_CONF: s.conf } }));
      const r = await runCli(['sbom', `deb:${driver}`, '--image-src', 'containers-storage', '--no-cache', '--quiet'], { env: { CONTAINERS_STORAGE_CONF: s.conf } });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`deb:${driver}: read from containers-storage`);
    }, TIMEOUT);

    it('a file changed on disk fails its layer diff_id; a missing image and a missing store are one line', async (ctx) => {
      if (!s) return ctx.skip();
      const missing = await runCli(['sbom', 'containers-storage:deb:absent', '--no-cache', '--quiet'], { env: { CONTAINERS_STORAGE_CONF: s.conf } });
      expect(missing.code).toBe(2);
      expect(oneLine(missing.stderr)).toContain(`image deb:absent not found in containers-storage (${driver} at ${s.graphroot})`);
      const nostore = await runCli(['sbom', `containers-storage:[${driver}@${join(s.dir, 'none')}]deb:x`, '--no-cache', '--quiet']);
      expect(nostore.code).toBe(2);
      expect(oneLine(nostore.stderr)).toContain(`containers-storage not found at ${join(s.dir, 'none')}`);

      // A warm cache (the image's memo, then only each layer rebuilt and hashed) must not hide the change below.
      const image = `containers-storage:${s.spec}localhost/deb:${driver}`;
      const cacheDir = join(s.dir, 'memo-cache');
      const cacheEnv = { XDG_STATE_HOME: join(s.dir, 'memo-state') };
      expect((await runCli(['sbom', image, '--quiet', '--cache-dir', cacheDir], { env: cacheEnv })).code).toBe(0);
      const warm = await runCli(['sbom', image, '--quiet', '--cache-dir', cacheDir], { env: cacheEnv });
      expect(JSON.parse(warm.stdout).tool.cache).toMatchObject({ inventory: 'hit' });

      // Flip one byte of the top layer's copy of the dpkg status file (same size).
      const layers = JSON.parse(readFileSync(join(s.graphroot, `${driver}-layers`, 'layers.json'), 'utf8')) as { id: string; parent?: string }[];
      const top = layers.find((l) => !layers.some((o) => o.parent === l.id))!;
      const root = driver === 'vfs' ? join(s.graphroot, 'vfs', 'dir', top.id) : join(s.graphroot, 'overlay', top.id, 'diff');
      const file = join(root, 'var/lib/dpkg/status');
      expect(existsSync(file)).toBe(true);
      const fd = openSync(file, 'r+');
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, 100);
      writeSync(fd, Buffer.from([b[0]! ^ 0x20]), 0, 1, 100);
      closeSync(fd);
      const r = await runCli(['sbom', `containers-storage:${s.spec}localhost/deb:${driver}`, '--no-cache', '--quiet']);
      expect(r.code).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/layer 2 \(.*\) uncompressed content \(diff_id\) digest mismatch/);
      const warmAfter = await runCli(['sbom', image, '--quiet', '--cache-dir', cacheDir], { env: cacheEnv });
      expect(warmAfter.code).toBe(2);
      expect(oneLine(warmAfter.stderr)).toMatch(/layer 2 \(.*\) uncompressed content \(diff_id\) digest mismatch/);
      expect(readdirSync(root).length).toBeGreaterThan(0);
    }, TIMEOUT);
  });
}

/**
 * An OCI archive whose index holds two platforms of the fixture: its own amd64 manifest and an
 * arm64 one (same layers, a config saying arm64), written as real blobs with their digests.
 */
async function twoPlatformArchive(f: DebianImageFixture, dir: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const { cpSync } = await import('node:fs');
  const layout = join(dir, 'multi');
  cpSync(f.ociDir, layout, { recursive: true });
  const blob = (hexOf: string) => join(layout, 'blobs', 'sha256', hexOf);
  const put = (data: Buffer) => {
    const hex = createHash('sha256').update(data).digest('hex');
    writeFileSync(blob(hex), data);
    return { digest: `sha256:${hex}`, size: data.length };
  };
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string; size: number }[] };
  const amd = index.manifests[0]!;
  const manifest = JSON.parse(readFileSync(blob(amd.digest.slice(7)), 'utf8')) as { config: { digest: string; size: number; mediaType: string } };
  const config = JSON.parse(readFileSync(blob(manifest.config.digest.slice(7)), 'utf8')) as Record<string, unknown>;
  const armConfig = put(Buffer.from(JSON.stringify({ ...config, architecture: 'arm64', variant: 'v8' })));
  const armManifest = put(Buffer.from(JSON.stringify({ ...manifest, config: { ...manifest.config, ...armConfig } })));
  const newIndex = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: amd.mediaType, digest: amd.digest, size: amd.size, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: amd.mediaType, ...armManifest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
  };
  const top = put(Buffer.from(JSON.stringify(newIndex)));
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...top, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }] }));
  const archive = join(dir, 'multi.tar');
  await run('tar', ['-cf', archive, '-C', layout, '.']);
  return archive;
}

// The stores' rules that need no daemon: where containers/storage lives, short-name candidates,
// protobuf encoding, --image-src parsing, and a hostile Engine export stream (a real docker save
// archive, tampered, served over a unix socket the way the Engine API serves it).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexTar } from '../../src/image/tar-index.js';
import { parseImageSources } from '../../src/image/stores/index.js';
import { candidateNames } from '../../src/image/stores/names.js';
import { ProtoWriter, readMessage, str, num, sub } from '../../src/image/stores/protobuf.js';
import { splitStorageSpec, storageLocation } from '../../src/image/stores/storage-conf.js';
import { bigDataFileName } from '../../src/image/stores/containers-storage.js';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { runCli } from '../helpers/cli.js';
import { inventoryOf } from './compare.js';

describe('containers-storage locations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-conf-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('CONTAINERS_STORAGE_CONF wins; graphroot, runroot and driver come from [storage]', () => {
    const conf = join(dir, 'storage.conf');
    writeFileSync(conf, '[storage]\ndriver = "overlay"\ngraphroot = "/srv/g"\nrunroot = "/srv/r"\n');
    expect(storageLocation({ CONTAINERS_STORAGE_CONF: conf })).toEqual({ graphroot: '/srv/g', runroot: '/srv/r', driver: 'overlay', from: conf });
    expect(storageLocation({ CONTAINERS_STORAGE_CONF: conf, STORAGE_DRIVER: 'vfs' }).driver).toBe('vfs');
  });

  it('a broken storage.conf is one line naming it', () => {
    const conf = join(dir, 'bad.conf');
    writeFileSync(conf, '[storage\n');
    expect(() => storageLocation({ CONTAINERS_STORAGE_CONF: conf })).toThrow(`${conf}: storage.conf is not valid TOML`);
  });

  it('[driver@graphroot+runroot]NAME, as containers/image writes it', () => {
    expect(splitStorageSpec('[vfs@/a/g+/a/r]localhost/app:1')).toEqual({ name: 'localhost/app:1', location: { graphroot: '/a/g', runroot: '/a/r', driver: 'vfs' } });
    expect(splitStorageSpec('[/a/g]app')).toEqual({ name: 'app', location: { graphroot: '/a/g', runroot: '/a/run' } });
    expect(splitStorageSpec('app:1')).toEqual({ name: 'app:1' });
    expect(() => splitStorageSpec('[relative]app')).toThrow(/expected \[driver@\/graphroot\+\/runroot\]NAME/);
  });

  it('big-data file names: plain keys as they are, others = + base64', () => {
    expect(bigDataFileName('manifest')).toBe('manifest');
    expect(bigDataFileName('sha256:ab')).toBe(`=${Buffer.from('sha256:ab').toString('base64')}`);
  });
});

describe('names and flags', () => {
  it('short names are tried as given, under localhost/ and as Docker Hub spells them', () => {
    expect(candidateNames('app')).toEqual(['app:latest', 'localhost/app:latest', 'docker.io/library/app:latest', 'docker.io/app:latest']);
    expect(candidateNames('team/app:1')).toEqual(['team/app:1', 'localhost/team/app:1', 'docker.io/team/app:1']);
    expect(candidateNames('registry.example.com:5000/app:1')).toEqual(['registry.example.com:5000/app:1']);
  });

  it('--image-src accepts the known sources, in the given order', () => {
    expect(parseImageSources('podman, docker,registry')).toEqual(['podman', 'docker', 'registry']);
    expect(() => parseImageSources('docker,kubelet')).toThrow('--image-src: "kubelet" is not one of docker, containerd, podman, containers-storage, registry');
  });

  it('protobuf: strings, int64 and nested messages round-trip', () => {
    const inner = new ProtoWriter().string(1, 'application/vnd.oci.image.index.v1+json').string(2, 'sha256:00').int64(3, 2 ** 40).finish();
    const outer = readMessage(new ProtoWriter().string(1, 'name').bytes(3, inner).finish());
    expect(str(outer, 1)).toBe('name');
    const d = sub(outer, 3)!;
    expect([str(d, 1), str(d, 2), num(d, 3)]).toEqual(['application/vnd.oci.image.index.v1+json', 'sha256:00', 2 ** 40]);
  });
});

/** Serves one docker save archive as the Engine API would (ping, inspect, export) on a unix socket. */
function fakeEngine(socket: string, archive: Buffer, inspect: object): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/_ping') {
      res.writeHead(200, { 'Api-Version': '1.41' }).end('OK');
    } else if (req.url?.endsWith('/json')) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(inspect));
    } else if (req.url?.endsWith('/get')) {
      res.writeHead(200, { 'Content-Type': 'application/x-tar' }).end(archive);
    } else res.writeHead(404).end('{"message":"nope"}');
  });
  return new Promise((resolve) => server.listen(socket, () => resolve(server)));
}

describe('a hostile Engine export stream', () => {
  let fx: DebianImageFixture;
  let dir: string;
  let inspect: object;
  let archive: Buffer;
  let layerOffset = 0;

  beforeAll(async () => {
    fx = await debianImage();
    dir = mkdtempSync('/tmp/pc-fake-');
    archive = readFileSync(fx.dockerArchive);
    const entries = await indexTar(fx.dockerArchive);
    const manifest = JSON.parse(readFileSync(fx.dockerArchive).subarray(entries.get('manifest.json')!.offset, entries.get('manifest.json')!.offset + entries.get('manifest.json')!.size).toString()) as { Config: string; Layers: string[] }[];
    const cfgEntry = entries.get(manifest[0]!.Config)!;
    const config = JSON.parse(archive.subarray(cfgEntry.offset, cfgEntry.offset + cfgEntry.size).toString()) as { rootfs: { diff_ids: string[] } };
    const id = `sha256:${createHash('sha256').update(archive.subarray(cfgEntry.offset, cfgEntry.offset + cfgEntry.size)).digest('hex')}`;
    inspect = { Id: id, RepoTags: ['portcullis/debian:test'], RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids }, Os: 'linux', Architecture: 'amd64' };
    // A byte inside the content of the first file of layer 2 bigger than 100 bytes (not a header,
    // which would fail the tar parse first): only the diff_id check can catch it.
    const last = entries.get(manifest[0]!.Layers[2]!)!;
    for (let pos = last.offset; pos < last.offset + last.size; ) {
      const size = parseInt(archive.toString('latin1', pos + 124, pos + 136).replace(/\0.*$/, '').trim() || '0', 8);
      if (archive[pos + 156] === 0x30 && size > 100) {
        layerOffset = pos + 512 + 50;
        break;
      }
      pos += 512 + Math.ceil(size / 512) * 512;
    }
    expect(layerOffset).toBeGreaterThan(0);
  }, 20 * 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function scanWith(body: Buffer, info: object, name: string): Promise<{ code: number; stderr: string }> {
    const socket = join(dir, `${name}.sock`);
    const server = await fakeEngine(socket, body, info);
    try {
      return await runCli(['sbom', 'docker:portcullis/debian:test', '--no-cache', '--quiet'], { env: { DOCKER_HOST: `unix://${socket}` } });
    } finally {
      server.close();
    }
  }

  it('the untouched stream reads; a flipped byte in a layer fails its diff_id at the end', async () => {
    expect((await scanWith(archive, inspect, 'ok')).code).toBe(0);
    const tampered = Buffer.from(archive);
    tampered[layerOffset] = tampered[layerOffset]! ^ 0x01;
    const r = await scanWith(tampered, inspect, 'bad');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^portcullis: docker:portcullis\/debian:test \(export\): layer 2 .* uncompressed content \(diff_id\) digest mismatch: expected sha256:/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);

  it('a config that is not the image the daemon named is refused', async () => {
    const r = await scanWith(archive, { ...inspect, Id: `sha256:${'0'.repeat(64)}` }, 'id');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config [0-9a-f]{64}\.json hashes to sha256:[0-9a-f]{64}, but the daemon says the image is sha256:0{64}/);
  }, 120_000);

  it("Docker 25+'s OCI-layout export (gzip blobs, manifest.json after the blobs) reads like the OCI layout", async () => {
    const { cpSync } = await import('node:fs');
    const { execFileSync } = await import('node:child_process');
    const stage = join(dir, 'd25');
    cpSync(fx.ociDir, stage, { recursive: true });
    const blob = (d: string) => readFileSync(join(stage, 'blobs', 'sha256', d.slice(7)));
    const index = JSON.parse(readFileSync(join(stage, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const m = JSON.parse(blob(index.manifests[0]!.digest).toString()) as { config: { digest: string }; layers: { digest: string }[] };
    const config = JSON.parse(blob(m.config.digest).toString()) as { rootfs: { diff_ids: string[] } };
    writeFileSync(join(stage, 'manifest.json'), JSON.stringify([{ Config: `blobs/sha256/${m.config.digest.slice(7)}`, RepoTags: ['portcullis/debian:test'], Layers: m.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) }]));
    const tar = join(dir, 'd25.tar');
    execFileSync('tar', ['-cf', tar, '-C', stage, 'blobs', 'index.json', 'manifest.json', 'oci-layout']);
    const socket = join(dir, 'd25.sock');
    const server = await fakeEngine(socket, readFileSync(tar), { ...inspect, Id: m.config.digest, RootFS: { Layers: config.rootfs.diff_ids } });
    try {
      const seen = await inventoryOf('docker:portcullis/debian:test', { env: { DOCKER_HOST: `unix://${socket}` } });
      const oci = await inventoryOf(`oci:${fx.ociRef}`);
      expect(seen.packages).toEqual(oci.packages);
      expect(seen.layers).toEqual(oci.layers);
      // Blobs named by digest keep that (compressed) digest, checked against the bytes.
      expect(seen.image.layers.map((l) => l.digest)).toEqual(m.layers.map((l) => l.digest));
    } finally {
      server.close();
    }
  }, 120_000);

  it('a stream cut short is an error, never a partial inventory', async () => {
    const r = await scanWith(archive.subarray(0, Math.floor(archive.length / 2)), inspect, 'cut');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);
});

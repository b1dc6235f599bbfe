// The same image read as an OCI layout, an OCI archive and docker-archives written by skopeo (and
// the two docker save layouts) gives the same config, diff_ids and layer contents.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveImageSource } from '../../src/image/resolve.js';
import type { Image } from '../../src/model/image.js';
import {
  buildOciLayout,
  readAll,
  sha256,
  toClassicDockerArchive,
  toDocker25Archive,
  toDockerArchive,
  toOciArchive,
  type BuiltImage,
} from './build-layout.js';

let work: string;
let layout: string;
let built: BuiltImage;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-image-forms-'));
  layout = join(work, 'layout');
  built = await buildOciLayout(layout, {
    tag: 'v1',
    layers: [
      { files: [{ path: 'etc/', type: 'directory' }, { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID=12\n' }], compression: 'gzip', createdBy: 'ADD rootfs.tar /' },
      { files: [{ path: 'usr/bin/tool', content: 'binary', mode: 0o755 }], compression: 'none', createdBy: 'RUN install tool' },
      { files: [{ path: 'app/main.js', content: 'console.log(1)\n' }, { path: 'app/link', type: 'symlink', linkname: 'main.js' }], compression: 'gzip', createdBy: 'COPY app /app' },
    ],
    config: {
      User: 'app:app',
      Env: ['PATH=/usr/bin', 'NODE_ENV=production'],
      Entrypoint: ['/usr/bin/tool'],
      Cmd: ['--serve'],
      WorkingDir: '/app',
      ExposedPorts: { '8080/tcp': {}, '443/tcp': {} },
      Labels: { 'org.opencontainers.image.source': 'https://example.com/app' },
    },
    history: [
      { created: '2024-01-01T00:00:00Z', created_by: 'ADD rootfs.tar /' },
      { created: '2024-01-01T00:00:01Z', created_by: 'ENV PATH=/usr/bin', empty_layer: true },
      { created: '2024-01-01T00:00:02Z', created_by: 'RUN install tool' },
      { created: '2024-01-01T00:00:03Z', created_by: 'COPY app /app' },
      { created: '2024-01-01T00:00:04Z', created_by: 'CMD ["--serve"]', empty_layer: true },
    ],
  });
  toDockerArchive(layout, 'v1', join(work, 'skopeo-docker.tar'), 'example.com/team/app:v1');
  toOciArchive(layout, 'v1', join(work, 'skopeo-oci.tar'));
  await toDocker25Archive(layout, built, join(work, 'docker25.tar'), 'example.com/team/app:v1');
  await toClassicDockerArchive(built, join(work, 'classic.tar'), 'example.com/team/app:v1');
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function withImage<T>(arg: string, fn: (img: Image) => Promise<T>): Promise<T> {
  const img = await resolveImageSource(arg, {}).open();
  try {
    return await fn(img);
  } finally {
    await img.close();
  }
}

/** What must be identical whatever the form: config, diff_ids, uncompressed layer bytes. */
async function essence(img: Image) {
  const layers = [];
  for (const l of img.layers) {
    const tar = await readAll(await l.open());
    layers.push({ index: l.index, diffId: l.diffId, createdBy: l.createdBy, tarDigest: sha256(tar) });
  }
  return { config: img.metadata.config, configDigest: img.metadata.configDigest, layers };
}

describe('image forms', () => {
  it('umoci reads the layout the builders write', () => {
    const out = execFileSync('umoci', ['stat', '--image', `${layout}:v1`], { encoding: 'utf8' });
    expect(out).toContain('RUN install tool');
    expect(out).toContain('COPY app /app');
  });

  it('reads the OCI layout: config, history mapping, layers, metadata', async () => {
    await withImage(`oci:${layout}:v1`, async (img) => {
      expect(img.metadata).toMatchObject({
        sourceType: 'oci',
        manifestDigest: built.manifest.digest,
        configDigest: built.config.digest,
        tags: ['v1'],
      });
      const c = img.metadata.config;
      expect(c).toMatchObject({
        os: 'linux',
        architecture: 'amd64',
        user: 'app:app',
        env: ['PATH=/usr/bin', 'NODE_ENV=production'],
        entrypoint: ['/usr/bin/tool'],
        cmd: ['--serve'],
        workingDir: '/app',
        exposedPorts: ['443/tcp', '8080/tcp'],
        labels: { 'org.opencontainers.image.source': 'https://example.com/app' },
        created: '2024-01-01T00:00:00Z',
      });
      expect(c.history.map((h) => [h.createdBy, h.emptyLayer, h.layerIndex])).toEqual([
        ['ADD rootfs.tar /', false, 0],
        ['ENV PATH=/usr/bin', true, undefined],
        ['RUN install tool', false, 1],
        ['COPY app /app', false, 2],
        ['CMD ["--serve"]', true, undefined],
      ]);
      expect(img.layers.map((l) => [l.digest, l.diffId, l.mediaType, l.size])).toEqual(
        built.layers.map((l) => [l.digest, l.diffId, l.descriptor.mediaType, l.descriptor.size]),
      );
      expect(img.layers.map((l) => l.createdBy)).toEqual(['ADD rootfs.tar /', 'RUN install tool', 'COPY app /app']);
      for (const [i, l] of img.layers.entries()) expect(await readAll(await l.open())).toEqual(built.layers[i]!.tar);
    });
  });

  it('auto-detects the layout directory, the archives, and gives the same image', async () => {
    const reference = await withImage(`oci:${layout}:v1`, essence);
    const forms: [string, string][] = [
      [layout, 'oci'],
      [join(work, 'skopeo-oci.tar'), 'oci-archive'],
      [`oci-archive:${join(work, 'skopeo-oci.tar')}:v1`, 'oci-archive'],
      [join(work, 'skopeo-docker.tar'), 'docker-archive'],
      [`docker-archive:${join(work, 'skopeo-docker.tar')}`, 'docker-archive'],
      [`docker-archive:${join(work, 'skopeo-docker.tar')}:example.com/team/app:v1`, 'docker-archive'],
      [join(work, 'docker25.tar'), 'docker-archive'],
      [join(work, 'classic.tar'), 'docker-archive'],
    ];
    for (const [arg, type] of forms) {
      await withImage(arg, async (img) => {
        expect(img.metadata.sourceType, arg).toBe(type);
        expect(img.metadata.source).toBe(arg);
        expect(await essence(img), arg).toEqual(reference);
      });
    }
  });

  it('docker-archive metadata: RepoTags, repository, config digest as manifest digest', async () => {
    for (const f of ['skopeo-docker.tar', 'docker25.tar', 'classic.tar']) {
      await withImage(join(work, f), async (img) => {
        expect(img.metadata).toMatchObject({
          tags: ['example.com/team/app:v1'],
          repository: 'example.com/team/app',
          configDigest: built.config.digest,
          manifestDigest: built.config.digest,
        });
      });
    }
  });

  it('docker-archive layer digests: named blobs are their digest, classic layer.tar falls back to the diff_id', async () => {
    await withImage(join(work, 'docker25.tar'), async (img) => {
      expect(img.layers.map((l) => l.digest)).toEqual(built.layers.map((l) => l.digest));
      expect(img.layers[0]!.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    });
    await withImage(join(work, 'classic.tar'), async (img) => {
      expect(img.layers.map((l) => l.digest)).toEqual(built.layers.map((l) => l.diffId));
    });
  });

  it('the OCI archive written by skopeo keeps the tag and has gzip layers', async () => {
    await withImage(join(work, 'skopeo-oci.tar'), async (img) => {
      expect(img.metadata.tags).toEqual(['v1']);
      expect(img.layers.every((l) => l.mediaType.endsWith('+gzip'))).toBe(true);
    });
  });
});

describe('layer compression', () => {
  it('gzip, zstd and uncompressed layers are detected by magic bytes, also when the media type says otherwise', async () => {
    const dir = join(work, 'compression');
    const files = (n: number) => [{ path: `f${n}`, content: `content ${n}\n`.repeat(1000) }];
    const img = await buildOciLayout(dir, {
      layers: [
        { files: files(0), compression: 'gzip' },
        { files: files(1), compression: 'zstd' },
        { files: files(2), compression: 'none' },
        // Mislabelled: zstd bytes under the plain tar type, gzip bytes under +zstd.
        { files: files(3), compression: 'zstd', mediaType: 'application/vnd.oci.image.layer.v1.tar' },
        { files: files(4), compression: 'gzip', mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
      ],
    });
    await withImage(dir, async (opened) => {
      for (const [i, l] of opened.layers.entries()) expect(await readAll(await l.open())).toEqual(img.layers[i]!.tar);
    });
    // skopeo's OCI archive copy of a zstd layout too.
    toOciArchive(dir, 'latest', join(work, 'zstd-oci.tar'));
    await withImage(join(work, 'zstd-oci.tar'), async (opened) => {
      expect(opened.layers.map((l) => l.diffId)).toEqual(img.layers.map((l) => l.diffId));
      for (const [i, l] of opened.layers.entries()) expect(await readAll(await l.open())).toEqual(img.layers[i]!.tar);
    });
  });

  it('streams a multi-megabyte zstd layer in chunks', async () => {
    const dir = join(work, 'big');
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    const img = await buildOciLayout(dir, { layers: [{ files: [{ path: 'big.bin', content: big }], compression: 'zstd' }] });
    await withImage(dir, async (opened) => {
      const stream = await opened.layers[0]!.open();
      let chunks = 0;
      let bytes = 0;
      const hash = (await import('node:crypto')).createHash('sha256');
      for await (const c of stream) {
        chunks++;
        bytes += (c as Buffer).length;
        hash.update(c as Buffer);
      }
      expect(bytes).toBe(img.layers[0]!.tar.length);
      expect(`sha256:${hash.digest('hex')}`).toBe(img.layers[0]!.diffId);
      expect(chunks).toBeGreaterThan(10);
    });
  });
});

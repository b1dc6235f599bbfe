// Pulls from a real distribution registry (docker-registry 2.8 on 127.0.0.1), anonymous access:
// OCI and Docker v2s2 manifests, a multi-arch index, digests, equality with the OCI-archive
// source of the same image, content negotiation and the checks on manifests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveImageSource } from '../../src/image/index.js';
import { RegistryClient, tryParseReference } from '../../src/image/registry/index.js';
import { ImageError, PortcullisError } from '../../src/errors.js';
import type { Image } from '../../src/model/image.js';
import { toOciArchive, type BuiltImage } from '../image/build-layout.js';
import { skopeoPush, startFaultProxy, startRegistry, type FaultProxy, type RunningRegistry } from './harness.js';
import { buildAppLayout, buildMultiArchLayout, readLayers, tmp } from './images.js';

let work: string;
let registry: RunningRegistry;
let proxy: FaultProxy;
let app: BuiltImage;
let appLayout: string;
let archive: string;

async function open(ref: string, platform?: string): Promise<Image> {
  return resolveImageSource(ref, { ...(platform ? { platform } : {}), registry: { timeoutMs: 30_000, retryBaseMs: 10 } }).open();
}

async function withImage<T>(ref: string, fn: (img: Image) => Promise<T>, platform?: string): Promise<T> {
  const img = await open(ref, platform);
  try {
    return await fn(img);
  } finally {
    await img.close();
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-pull-'));
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host);
  appLayout = tmp(work, 'app');
  app = await buildAppLayout(appLayout);
  archive = join(work, 'app-oci.tar');
  toOciArchive(appLayout, 'v1', archive);
  await skopeoPush(`oci:${appLayout}:v1`, `${registry.host}/team/app:oci`);
  await skopeoPush(`oci:${appLayout}:v1`, `${registry.host}/team/app:v2s2`, ['--format', 'v2s2']);
  const multi = tmp(work, 'multi');
  await buildMultiArchLayout(multi);
  await skopeoPush(`oci:${multi}:multi`, `${registry.host}/team/multi:latest`, ['--all']);
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('registry source against docker-registry 2.8', () => {
  it('reads an OCI image exactly as the OCI-archive source reads the same image', async () => {
    const fromArchive = await withImage(`oci-archive:${archive}:v1`, async (img) => ({ meta: img.metadata, layers: img.layers.map((l) => [l.digest, l.diffId, l.size, l.mediaType]), bytes: await readLayers(img) }));
    const fromRegistry = await withImage(`${registry.host}/team/app:oci`, async (img) => ({ meta: img.metadata, layers: img.layers.map((l) => [l.digest, l.diffId, l.size, l.mediaType]), bytes: await readLayers(img) }));
    expect(fromRegistry.meta.sourceType).toBe('registry');
    expect(fromRegistry.meta.repository).toBe(`${registry.host}/team/app`);
    expect(fromRegistry.meta.tags).toEqual(['oci']);
    expect(fromRegistry.meta.config).toEqual(fromArchive.meta.config);
    expect(fromRegistry.meta.configDigest).toBe(fromArchive.meta.configDigest);
    expect(fromRegistry.meta.manifestDigest).toBe(fromArchive.meta.manifestDigest);
    expect(fromRegistry.layers).toEqual(fromArchive.layers);
    expect(fromRegistry.layers.map((l) => l[1])).toEqual(app.layers.map((l) => l.diffId));
    expect(fromRegistry.bytes.length).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(fromRegistry.bytes[i]!.equals(fromArchive.bytes[i]!)).toBe(true);
      expect(fromRegistry.bytes[i]!.equals(app.layers[i]!.tar)).toBe(true);
    }
  });

  it('reads a Docker v2 schema 2 image (same layers and diff_ids)', async () => {
    await withImage(`${registry.host}/team/app:v2s2`, async (img) => {
      expect(img.layers.map((l) => l.diffId)).toEqual(app.layers.map((l) => l.diffId));
      expect(img.layers[0]!.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
      expect(img.metadata.config.user).toBe('app');
      expect(img.metadata.config.labels).toEqual({ team: 'gate' });
      const bytes = await readLayers(img);
      bytes.forEach((b, i) => expect(b.equals(app.layers[i]!.tar)).toBe(true));
    });
  });

  it('opens by digest, and the manifest digest is what was computed', async () => {
    const digest = await withImage(`${registry.host}/team/app:oci`, async (img) => img.metadata.manifestDigest!);
    await withImage(`${registry.host}/team/app@${digest}`, async (img) => {
      expect(img.metadata.manifestDigest).toBe(digest);
      expect(img.metadata.tags).toEqual([]);
      expect(img.layers).toHaveLength(3);
    });
  });

  it('selects from a multi-arch index with the same --platform rules as local sources', async () => {
    await withImage(`${registry.host}/team/multi`, async (img) => {
      expect(img.metadata.config.architecture).toBe('amd64');
      expect((await readLayers(img))[0]!.includes(Buffer.from('amd64\n'))).toBe(true);
    });
    await withImage(`${registry.host}/team/multi:latest`, async (img) => {
      expect(img.metadata.config.architecture).toBe('arm64');
      expect((await readLayers(img))[0]!.includes(Buffer.from('arm64\n'))).toBe(true);
    }, 'linux/aarch64');
    await expect(open(`${registry.host}/team/multi`, 'linux/s390x')).rejects.toThrow(/no image for platform linux\/s390x \(available: linux\/amd64 .*linux\/arm64\/v8/);
  });

  it('sends all four manifest media types in Accept', async () => {
    proxy.log.length = 0;
    await withImage(`${proxy.host}/team/app:oci`, async () => {});
    const manifestReq = proxy.log.find((r) => r.path === '/v2/team/app/manifests/oci');
    const accepted = manifestReq?.accept?.split(',').map((s) => s.trim()).sort();
    expect(accepted).toEqual([
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.oci.image.manifest.v1+json',
    ]);
  });

  it('names the registry, the path and the status when a tag or repository is missing', async () => {
    const err = await open(`${registry.host}/team/app:nope`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect((err as Error).message).toBe(`registry ${registry.host}: GET /v2/team/app/manifests/nope: HTTP 404: manifest nope of team/app not found (MANIFEST_UNKNOWN: manifest unknown)`);
    await expect(open(`${registry.host}/team/none:v1`)).rejects.toThrow(/GET \/v2\/team\/none\/manifests\/v1: HTTP 404/);
  });

  it('refuses a Docker schema 1 answer', async () => {
    const schema1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'team/app', tag: 'oci', architecture: 'amd64', fsLayers: [], history: [] }));
    proxy.faults.push({ kind: 'replace', times: 1, body: schema1, headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }, match: (_m, p) => p === '/v2/team/app/manifests/oci' });
    await expect(open(`${proxy.host}/team/app:oci`)).rejects.toThrow(/Docker schema 1 manifest .*not support/);
  });

  it('refuses a manifest whose Docker-Content-Digest does not match its bytes', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    proxy.faults.push({ kind: 'replace', times: 1, headers: { 'docker-content-digest': wrong }, match: (_m, p) => p === '/v2/team/app/manifests/oci' });
    await expect(open(`${proxy.host}/team/app:oci`)).rejects.toThrow(`manifest digest mismatch: Docker-Content-Digest says ${wrong}`);
  });

  it('refuses a manifest fetched by digest whose bytes hash differently', async () => {
    const digest = await withImage(`${registry.host}/team/app:oci`, async (img) => img.metadata.manifestDigest!);
    proxy.faults.push({ kind: 'replace', times: 1, body: Buffer.from('{"schemaVersion":2}'), match: (_m, p) => p.endsWith(`/manifests/${digest}`) });
    await expect(open(`${proxy.host}/team/app@${digest}`)).rejects.toThrow(/manifest digest mismatch: asked for sha256:/);
  });

  it('refuses a config blob that does not match its digest', async () => {
    const config = app.config.digest;
    proxy.faults.push({ kind: 'corrupt', times: 1, match: (_m, p) => p.endsWith(`/blobs/${config}`) });
    await expect(open(`${proxy.host}/team/app:oci`)).rejects.toThrow(/config blob sha256:\S+ digest mismatch/);
  });

  it('refuses plain HTTP to a registry that is not loopback nor named insecure', async () => {
    const ref = tryParseReference('registry.invalid/team/app:v1')!;
    const client = new RegistryClient(ref, { insecureRegistries: ['other.invalid'] });
    expect(client.base.protocol).toBe('https:');
    await client.close();
    const insecure = new RegistryClient(ref, { insecureRegistries: ['registry.invalid'] });
    expect(insecure.base.protocol).toBe('http:');
    await insecure.close();
    expect(() => insecure.transport.checkScheme(new URL('http://elsewhere.invalid/token'))).toThrow(PortcullisError);
  });
});

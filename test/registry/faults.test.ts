// Faults injected by a proxy in front of a real docker-registry: 5xx, 429 + Retry-After,
// connection resets (before and during a body), a stalled body (idle timeout), corrupt blobs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveImageSource } from '../../src/image/index.js';
import type { RegistryOptions } from '../../src/image/registry/index.js';
import { ImageError } from '../../src/errors.js';
import type { Image } from '../../src/model/image.js';
import type { BuiltImage } from '../image/build-layout.js';
import { runCli } from '../helpers/cli.js';
import { pushRaw, skopeoPush, startFaultProxy, startRegistry, type FaultProxy, type RunningRegistry } from './harness.js';
import { buildAppLayout, readLayers, readStream, tmp } from './images.js';

let work: string;
let registry: RunningRegistry;
let proxy: FaultProxy;
let app: BuiltImage;
let ref: string;
const FAST: RegistryOptions = { timeoutMs: 20_000, idleTimeoutMs: 1_000, retryBaseMs: 20, maxAttempts: 4 };

async function openWith(opts: RegistryOptions = FAST): Promise<Image> {
  return resolveImageSource(ref, { registry: opts }).open();
}

const manifestPath = (p: string): boolean => p === '/v2/team/app/manifests/v1';
const bigBlob = (): string => app.layers[1]!.digest;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-faults-'));
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.host);
  const layout = tmp(work, 'app');
  app = await buildAppLayout(layout);
  await skopeoPush(`oci:${layout}:v1`, `${registry.host}/team/app:v1`);
  const blob = (d: string): Buffer => readFileSync(join(layout, 'blobs', 'sha256', d.slice(7)));
  await pushRaw(registry.host, 'team/raw', 'v1', [...app.layers.map((l) => blob(l.digest)), blob(app.config.digest)], blob(app.manifest.digest), app.manifest.mediaType);
  ref = `${proxy.host}/team/app:v1`;
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

beforeEach(() => {
  proxy.faults.length = 0;
  proxy.log.length = 0;
});

async function expectIntact(img: Image): Promise<void> {
  const bytes = await readLayers(img);
  bytes.forEach((b, i) => expect(b.equals(app.layers[i]!.tar)).toBe(true));
}

describe('registry faults', () => {
  it('retries 5xx answers', async () => {
    proxy.faults.push({ kind: 'status', status: 503, times: 2, match: (_m, p) => manifestPath(p) });
    const img = await openWith();
    await expectIntact(img);
    await img.close();
    expect(proxy.log.filter((r) => manifestPath(r.path))).toHaveLength(3);
  });

  it('waits as long as Retry-After asks on 429 (delay-seconds and HTTP-date)', async () => {
    proxy.faults.push({ kind: 'status', status: 429, times: 1, headers: { 'retry-after': '1' }, match: (_m, p) => p.endsWith(`/blobs/${app.config.digest}`) });
    let started = Date.now();
    const img = await openWith({ ...FAST, retryBaseMs: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    await img.close();

    proxy.faults.push({ kind: 'status', status: 429, times: 1, headers: { 'retry-after': new Date(Date.now() + 2000).toUTCString() }, match: (_m, p) => manifestPath(p) });
    started = Date.now();
    const again = await openWith({ ...FAST, retryBaseMs: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await again.close();
  });

  it('retries connection resets', async () => {
    proxy.faults.push({ kind: 'reset', times: 2, match: (_m, p) => manifestPath(p) });
    const img = await openWith();
    await expectIntact(img);
    await img.close();
  });

  it('resumes a layer download that was reset mid-body, with a Range request', async () => {
    proxy.faults.push({ kind: 'reset-mid-body', times: 1, match: (m, p) => m === 'GET' && p.endsWith(`/blobs/${bigBlob()}`) });
    const img = await openWith();
    await expectIntact(img);
    await img.close();
    const blobReqs = proxy.log.filter((r) => r.path.endsWith(`/blobs/${bigBlob()}`));
    expect(blobReqs).toHaveLength(2);
    expect(blobReqs[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/=(\d+)-/.exec(blobReqs[1]!.range!)![1])).toBeGreaterThan(0);
  });

  it('retries a body that stalls past the idle timeout', async () => {
    proxy.faults.push({ kind: 'stall-body', times: 1, match: (m, p) => m === 'GET' && p.endsWith(`/blobs/${bigBlob()}`) });
    const started = Date.now();
    const img = await openWith({ ...FAST, idleTimeoutMs: 500 });
    await expectIntact(img);
    await img.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(proxy.log.filter((r) => r.path.endsWith(`/blobs/${bigBlob()}`)).length).toBe(2);
  });

  it('gives up with one line naming the registry, the path and the status', async () => {
    proxy.faults.push({ kind: 'status', status: 500, times: Infinity, match: (_m, p) => manifestPath(p) });
    const err = await openWith({ ...FAST, maxAttempts: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect((err as Error).message).toBe(`registry ${proxy.host}: GET /v2/team/app/manifests/v1: HTTP 500, gave up after 3 attempts`);
    expect(proxy.log.filter((r) => manifestPath(r.path))).toHaveLength(3);
  });

  it('is bounded by the overall timeout when a body keeps stalling', async () => {
    proxy.faults.push({ kind: 'stall-body', times: Infinity, match: (m, p) => m === 'GET' && p.endsWith(`/blobs/${bigBlob()}`) });
    const img = await openWith({ timeoutMs: 2_500, idleTimeoutMs: 400, retryBaseMs: 50, maxAttempts: 100 });
    const started = Date.now();
    const err = await readStream(await img.layers[1]!.open()).catch((e: unknown) => e);
    await img.close();
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(ImageError);
    expect((err as Error).message).toMatch(new RegExp(`^registry ${proxy.host}: GET /v2/team/app/blobs/${bigBlob()}: .*(timeout|timed out)`));
    expect((err as Error).message).not.toContain('\n');
    expect(took).toBeLessThan(5_000);
  });

  it('rejects a layer blob whose bytes do not match its digest (plain and gzip layers)', async () => {
    // Pushed byte for byte so the last layer stays an uncompressed tar (its digest is its diff_id).
    const raw = `${proxy.host}/team/raw:v1`;
    for (const index of [2, 0]) {
      proxy.faults.length = 0;
      proxy.faults.push({ kind: 'corrupt', times: Infinity, match: (m, p) => m === 'GET' && p.endsWith(`/blobs/${app.layers[index]!.digest}`) });
      const img = await resolveImageSource(raw, { registry: FAST }).open();
      expect(img.layers[2]!.digest).toBe(img.layers[2]!.diffId);
      const err = await readStream(await img.layers[index]!.open()).catch((e: unknown) => e);
      await img.close();
      expect(err).toBeInstanceOf(ImageError);
      expect((err as Error).message).toMatch(new RegExp(`layer ${index} .*(blob digest mismatch: expected sha256:|corrupt or truncated)`));
    }
  });

  it('a corrupt gzip layer blob fails the sbom command with exit 2', async () => {
    proxy.faults.push({ kind: 'corrupt', times: Infinity, match: (m, p) => m === 'GET' && p.endsWith(`/blobs/${bigBlob()}`) });
    const res = await runCli(['sbom', ref, '--quiet']);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/layer 1 .*(digest mismatch|corrupt or truncated)/);
  });
});

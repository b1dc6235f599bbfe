// Picking one image out of an index: by tag, digest, --platform, through nested indexes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortcullisError } from '../../src/errors.js';
import { normalisePlatform, parsePlatform, platformMatches } from '../../src/image/platform.js';
import { resolveImageSource } from '../../src/image/resolve.js';
import { tagged, writeImage, writeIndex, writeLayout, type BuiltImage } from './build-layout.js';

let work: string;
let multi: string;
const images: Record<string, BuiltImage> = {};

async function open(arg: string, platform?: string) {
  const img = await resolveImageSource(arg, platform ? { platform } : {}).open();
  await img.close();
  return img;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-image-select-'));
  multi = join(work, 'multi');
  const plat = [
    ['amd64', { os: 'linux', architecture: 'amd64' }],
    ['arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['armv7', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['armv6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
  ] as const;
  for (const [name, platform] of plat) {
    images[name] = await writeImage(multi, { platform, layers: [{ files: [{ path: 'arch', content: name }] }] });
  }
  images.other = await writeImage(multi, { layers: [{ files: [{ path: 'other', content: 'x' }] }] });
  // v1: a nested multi-arch index (index.json -> index -> manifests); other: a plain manifest.
  const inner = writeIndex(multi, [images.amd64!.manifest, images.arm64!.manifest, images.armv7!.manifest, images.armv6!.manifest]);
  const outer = writeIndex(multi, [inner]);
  // flat: the inner index directly (skopeo copies one level of manifest list, not nested ones).
  writeLayout(multi, [tagged(outer, 'v1'), tagged(images.other!.manifest, 'other'), tagged(inner, 'flat')]);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('index selection', () => {
  it('umoci reads an image of the multi-image layout', () => {
    const out = execFileSync('umoci', ['stat', '--image', `${multi}:other`], { encoding: 'utf8' });
    expect(out).toContain('layer 0');
  });

  it('picks by tag and platform through a nested index', async () => {
    expect((await open(`oci:${multi}:v1`)).metadata.manifestDigest).toBe(images.amd64!.manifest.digest);
    expect((await open(`oci:${multi}:v1`, 'linux/arm64')).metadata.manifestDigest).toBe(images.arm64!.manifest.digest);
    expect((await open(`oci:${multi}:v1`, 'linux/arm64/v8')).metadata.manifestDigest).toBe(images.arm64!.manifest.digest);
    expect((await open(`oci:${multi}:v1`, 'linux/arm/v6')).metadata.manifestDigest).toBe(images.armv6!.manifest.digest);
    // linux/arm means arm/v7 (the default variant), not v6.
    const arm = await open(`oci:${multi}:v1`, 'linux/arm');
    expect(arm.metadata.manifestDigest).toBe(images.armv7!.manifest.digest);
    expect(arm.metadata.config).toMatchObject({ architecture: 'arm', variant: 'v7' });
    expect(arm.metadata.tags).toEqual(['v1']);
  });

  it('picks by tag alone and by digest', async () => {
    const other = await open(`oci:${multi}:other`);
    expect(other.metadata.manifestDigest).toBe(images.other!.manifest.digest);
    expect(other.metadata.tags).toEqual(['other']);
    const byDigest = await open(`oci:${multi}@${images.armv6!.manifest.digest}`);
    expect(byDigest.metadata.config.variant).toBe('v6');
    expect((await open(`${multi}@${images.arm64!.manifest.digest}`)).metadata.config.architecture).toBe('arm64');
  });

  it('without a tag: several images for the default platform is an error listing them', async () => {
    const err = await open(multi).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortcullisError);
    expect((err as Error).message).toContain(multi);
    expect((err as Error).message).toMatch(/several images match linux\/amd64.*tag v1,flat.*tag other/);
  });

  it('a platform that is not there is an error listing what is', async () => {
    const err = await open(`oci:${multi}:v1`, 'linux/s390x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortcullisError);
    const msg = (err as Error).message;
    expect(msg).toContain('no image for platform linux/s390x');
    for (const p of ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7', 'linux/arm/v6']) expect(msg).toContain(p);
  });

  it('an unknown tag or digest names what is available', async () => {
    await expect(open(`oci:${multi}:nope`)).rejects.toThrow(/no image tagged "nope" \(available: v1, other, flat\)/);
    await expect(open(`oci:${multi}@sha256:${'0'.repeat(64)}`)).rejects.toThrow(/no manifest or index with digest sha256:0{64}/);
  });

  it('a single-image layout with another platform is an error for --platform', async () => {
    await expect(open(`oci:${multi}:other`, 'linux/arm64')).rejects.toThrow(/no image for platform linux\/arm64 \(available: linux\/amd64/);
  });

  it('the OCI archive of a multi-arch index (skopeo copy --all) selects the same way', async () => {
    const archive = join(work, 'multi-oci.tar');
    execFileSync('skopeo', ['--insecure-policy', 'copy', '-q', '--all', `oci:${multi}:flat`, `oci-archive:${archive}:v1`]);
    expect((await open(archive, 'linux/arm64')).metadata.manifestDigest).toBe(images.arm64!.manifest.digest);
    expect((await open(`oci-archive:${archive}:v1`, 'linux/arm/v6')).metadata.config.variant).toBe('v6');
  });

  it('learns the platform from the config when descriptors carry none', async () => {
    const dir = join(work, 'noplat');
    const a = await writeImage(dir, { platform: { os: 'linux', architecture: 'amd64' }, layers: [{ files: [{ path: 'a' }] }] });
    const b = await writeImage(dir, { platform: { os: 'linux', architecture: 'arm64' }, layers: [{ files: [{ path: 'b' }] }] });
    const strip = ({ platform: _p, ...d }: typeof a.manifest) => d;
    writeLayout(dir, [strip(a.manifest), strip(b.manifest)]);
    expect((await open(dir)).metadata.manifestDigest).toBe(a.manifest.digest);
    expect((await open(dir, 'linux/aarch64')).metadata.manifestDigest).toBe(b.manifest.digest);
  });
});

describe('platform parsing', () => {
  it('parses os/arch[/variant] and rejects the rest', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    for (const bad of ['amd64', 'linux/', 'a/b/c/d', 'linux amd64']) expect(() => parsePlatform(bad)).toThrow(/invalid platform/);
    expect(() => resolveImageSource('.', { platform: 'x' })).toThrow(PortcullisError);
  });

  it('normalises aliases and default variants', () => {
    expect(normalisePlatform({ os: 'Linux', architecture: 'x86_64' })).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(normalisePlatform({ os: 'linux', architecture: 'aarch64' })).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v6' })).toBe(false);
    expect(platformMatches(parsePlatform('linux/amd64'), { os: 'windows', architecture: 'amd64' })).toBe(false);
  });
});

// Small real images for the registry tests, built with test/image/build-layout.ts.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildOciLayout, tagged, writeImage, writeIndex, writeLayout, type BuiltImage } from '../image/build-layout.js';
import type { Image } from '../../src/model/image.js';

/** Three layers: a gzip layer, a ~1 MiB incompressible gzip layer (so bodies span many chunks), a plain tar. */
export async function buildAppLayout(dir: string): Promise<BuiltImage> {
  mkdirSync(dir, { recursive: true });
  return buildOciLayout(dir, {
    tag: 'v1',
    layers: [
      // A Debian with nothing installed: os-release and an empty dpkg status.
      { files: [{ path: 'etc/', type: 'directory' }, { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID=12\n' }, { path: 'var/lib/dpkg/status', content: '' }], compression: 'gzip' },
      { files: [{ path: 'opt/blob.bin', content: randomBytes(1 << 20) }], compression: 'gzip' },
      { files: [{ path: 'app/README', content: 'hello\n' }], compression: 'none' },
    ],
    config: { User: 'app', Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'], Labels: { team: 'gate' } },
  });
}

/** One layout holding an amd64 and an arm64 image under an index tagged `multi`. */
export async function buildMultiArchLayout(dir: string): Promise<{ amd64: BuiltImage; arm64: BuiltImage }> {
  mkdirSync(dir, { recursive: true });
  const amd64 = await writeImage(dir, { layers: [{ files: [{ path: 'arch', content: 'amd64\n' }] }], platform: { os: 'linux', architecture: 'amd64' } });
  const arm64 = await writeImage(dir, { layers: [{ files: [{ path: 'arch', content: 'arm64\n' }] }], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
  const index = writeIndex(dir, [amd64.manifest, arm64.manifest]);
  writeLayout(dir, [tagged(index, 'multi')]);
  return { amd64, arm64 };
}

export async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Every layer's uncompressed bytes, read through Layer.open(). */
export async function readLayers(image: Image): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const l of image.layers) out.push(await readStream(await l.open()));
  return out;
}

export function tmp(parent: string, name: string): string {
  const d = join(parent, name);
  mkdirSync(d, { recursive: true });
  return d;
}

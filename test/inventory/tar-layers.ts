// Builds in-memory layer tars with tar-stream and wraps them as Layer / Image objects for tests.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { Image, Layer } from '../../src/model/image.js';

export type Entry =
  | { name: string; type?: 'file'; data: string | Buffer; mode?: number; size?: number }
  | { name: string; type: 'symlink' | 'link'; linkname: string }
  | { name: string; type: 'directory' };

export async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    if (e.type === 'symlink' || e.type === 'link') pack.entry({ name: e.name, type: e.type, linkname: e.linkname });
    else if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory', mode: 0o755 });
    else if ('data' in e) {
      const data = typeof e.data === 'string' ? Buffer.from(e.data) : e.data;
      pack.entry({ name: e.name, mode: e.mode ?? 0o644, size: data.length }, data);
    }
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function layerOf(index: number, bytes: Buffer, createdBy?: string): Layer {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  return {
    index,
    digest,
    diffId: digest,
    ...(createdBy ? { createdBy } : {}),
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    size: bytes.length,
    open: async () => Readable.from([bytes]),
  };
}

export async function imageOf(layers: Entry[][]): Promise<Image> {
  const ls = await Promise.all(layers.map(async (e, i) => layerOf(i, await tarOf(e), `step ${i}`)));
  return {
    metadata: {
      source: 'test',
      sourceType: 'oci',
      configDigest: 'sha256:0',
      tags: [],
      config: { os: 'linux', architecture: 'amd64', env: [], labels: {}, history: [] },
    },
    layers: ls,
    close: async () => undefined,
  };
}

/** A raw ustar header (512 bytes) for a regular file `name` declaring `size`. */
export function tarHeader(name: string, size: number, mode = 0o644): Buffer {
  const h = Buffer.alloc(512, 0);
  h.write(name, 0, 'utf8');
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** A raw tar header (512 bytes) declaring `size` for `name`, followed by only `data`. */
export function truncatedTar(name: string, size: number, data: Buffer): Buffer {
  return Buffer.concat([tarHeader(name, size), data]);
}

/**
 * A layer whose tar is generated while it is read (never held whole): `count` files named by
 * `nameOf(i)`, each `size` bytes produced by `chunksOf(i)` (which must yield exactly `size`).
 */
export function streamedLayer(index: number, count: number, size: number, nameOf: (i: number) => string, chunksOf: (i: number) => Iterable<Buffer>): Layer {
  function* tarChunks(): Generator<Buffer> {
    for (let i = 0; i < count; i++) {
      yield tarHeader(nameOf(i), size, 0o755);
      yield* chunksOf(i);
      if (size % 512) yield Buffer.alloc(512 - (size % 512));
    }
    yield Buffer.alloc(1024);
  }
  const digest = `sha256:${index.toString(16).padStart(64, '0')}`;
  return {
    index,
    digest,
    diffId: digest,
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    size: 0,
    open: async () => Readable.from(tarChunks(), { objectMode: false }),
  };
}

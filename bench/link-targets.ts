// The walker's second pass (src/inventory/link-targets.ts) on the real Debian test image.
// Run: node --import tsx bench/link-targets.ts
// In-process inventories (best of BENCH_RUNS, runs interleaved), printed as ratios of one run:
//   * plain:  the debootstrap image as it is (no link leads a wanted name elsewhere: one pass);
//   * linked: the same image plus a small layer whose dpkg status.d entry is a hard link to a file
//     of the base layer that nobody asks for — the worst case: the whole base layer is read again.
//     (The target is a copyright file, so dpkg then reports that status.d entry as malformed: it
//     was read, which is the point; it is not a package stanza.)
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { resolveImageSource } from '../src/image/resolve.js';
import { inventoryImage } from '../src/inventory/inventory.js';
import type { Image, Layer } from '../src/model/image.js';
import { debianImage } from '../test/fixtures/debian-image.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
// A file of the base layer that no cataloger wants (a package's copyright file).
const TARGET = 'usr/share/doc/bash/copyright';

async function extraLayer(index: number): Promise<Layer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  pack.entry({ name: 'var/lib/dpkg/status.d/linked', type: 'link', linkname: TARGET });
  pack.finalize();
  await done;
  const bytes = Buffer.concat(chunks);
  return {
    index,
    digest: `sha256:${'e'.repeat(64)}`,
    diffId: `sha256:${'e'.repeat(64)}`,
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    size: bytes.length,
    open: async () => Readable.from([bytes]),
  };
}

async function timed(linked: boolean, archive: string): Promise<{ ms: number; packages: number; unread: string }> {
  const image: Image = await resolveImageSource(`docker-archive:${archive}`).open();
  try {
    if (linked) image.layers.push(await extraLayer(image.layers.length));
    const t0 = performance.now();
    const inv = await inventoryImage(image);
    return { ms: performance.now() - t0, packages: inv.packages.length, unread: JSON.stringify(inv.unread.map((u) => `${u.path} ${u.code}`)) };
  } finally {
    await image.close();
  }
}

const fx = await debianImage();
let plain = Infinity;
let linked = Infinity;
let shape = '';
for (let i = 0; i < RUNS; i++) {
  const a = await timed(false, fx.dockerArchive);
  const b = await timed(true, fx.dockerArchive);
  plain = Math.min(plain, a.ms);
  linked = Math.min(linked, b.ms);
  shape = `plain: ${a.packages} packages, ${a.unread} unread; linked: ${b.packages} packages, ${b.unread} unread`;
}
console.log(shape);
console.log(`inventory, best of ${RUNS}: plain ${plain.toFixed(0)} ms, linked ${linked.toFixed(0)} ms, linked/plain ${(linked / plain).toFixed(2)}x`);

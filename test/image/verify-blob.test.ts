// Layer.verify(), the check a layer-cache hit still runs: every stored byte of the blob hashed
// against its digest, the size checked. It reads the blob into its own reused buffers (the store's
// locate()), so the tests flip bytes on both sides of its read boundaries, in every local form,
// and check that a store without locate() (read through its stream) gives the same verdicts.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { flipByte } from '../helpers/flip-byte.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError } from '../../src/errors.js';
import { DirectoryStore, TarStore, type BlobStore } from '../../src/image/blob-store.js';
import { hashStoredBlob, VERIFY_CHUNK } from '../../src/image/layer.js';
import { resolveImageSource } from '../../src/image/resolve.js';
import { indexTar } from '../../src/image/tar-index.js';
import { buildOciLayout, layoutEntries, toClassicDockerArchive, toDocker25Archive, writeTarFile, type BuiltImage } from './build-layout.js';

const MiB = 1024 * 1024;
let work: string;
let layout: string;
let built: BuiltImage;
const forms: { name: string; arg: (path: string) => string; file: string; blobOf: (i: number) => string }[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-verify-blob-'));
  layout = join(work, 'layout');
  // Random content does not compress: both layer blobs span several reads (VERIFY_CHUNK, and the
  // streams' 1 MiB), and neither ends on one.
  built = await buildOciLayout(layout, {
    layers: [
      { files: [{ path: 'etc/os-release', content: 'ID=alpine\n' }, { path: 'opt/a.bin', content: randomBytes(2 * MiB + 4321) }], compression: 'none' },
      { files: [{ path: 'opt/b.bin', content: randomBytes(MiB + 77) }], compression: 'gzip' },
    ],
  });
  const ociArchive = join(work, 'oci.tar');
  await writeTarFile(ociArchive, layoutEntries(layout));
  const classic = join(work, 'classic.tar');
  await toClassicDockerArchive(built, classic, 'test/verify:1');
  const docker25 = join(work, 'docker25.tar');
  await toDocker25Archive(layout, built, docker25, 'test/verify:1');
  const blobName = (i: number) => `blobs/sha256/${built.layers[i]!.digest.slice(7)}`;
  const index = async (file: string) => [...(await indexTar(file)).entries()];
  const classicLayers = (await index(classic)).filter(([n]) => n.endsWith('/layer.tar')).map(([n]) => n);
  forms.push(
    { name: 'OCI layout', arg: (p) => `oci:${p}`, file: layout, blobOf: blobName },
    { name: 'oci-archive', arg: (p) => `oci-archive:${p}`, file: ociArchive, blobOf: blobName },
    { name: 'docker-archive (Docker 25+)', arg: (p) => `docker-archive:${p}`, file: docker25, blobOf: blobName },
    // Classic layer.tar: the uncompressed tar of each layer, checked against its diff_id; the gzip
    // layer is stored uncompressed here too (that is what the classic format holds).
    { name: 'docker-archive (classic)', arg: (p) => `docker-archive:${p}`, file: classic, blobOf: (i) => classicLayers.find((n) => n.includes(`${sha256Id(i)}/`))! },
  );
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The directory name toClassicDockerArchive gives layer i. */
function sha256Id(i: number): string {
  return createHash('sha256').update(`${i}:${built.layers[i]!.diffId}`).digest('hex');
}

const flip = (file: string, at: number) => flipByte(file, at);

/** Where blob `name` of a form lies: its file and offset (a layout's blob file, or an archive's entry). */
async function whereIs(form: (typeof forms)[number], file: string, name: string): Promise<{ file: string; offset: number; size: number }> {
  if (form.name === 'OCI layout') {
    const store = new DirectoryStore(file);
    return { file: join(file, name), offset: 0, size: (await store.size(name))! };
  }
  const entry = (await TarStore.open(file)).entries.get(name)!;
  return { file, offset: entry.offset, size: entry.size };
}

async function verifyAll(arg: string): Promise<void> {
  const img = await resolveImageSource(arg, {}).open();
  try {
    for (const l of img.layers) await l.verify!();
  } finally {
    await img.close();
  }
}

function copyForm(form: (typeof forms)[number], tag: string): string {
  const out = join(work, `${tag}-${form.name.replace(/\W+/g, '-')}`);
  if (form.name === 'OCI layout') cpSync(form.file, out, { recursive: true });
  else copyFileSync(form.file, out);
  return out;
}

describe('Layer.verify() on every local form', () => {
  it('passes on the untouched image, and a flipped byte at any read boundary of either layer is a digest mismatch', async () => {
    for (const form of forms) {
      await verifyAll(form.arg(form.file));
      for (const layer of [0, 1]) {
        const name = form.blobOf(layer);
        const { size } = await whereIs(form, form.file, name);
        expect(size, `${form.name} layer ${layer}`).toBeGreaterThan(MiB);
        for (const at of [0, VERIFY_CHUNK - 1, VERIFY_CHUNK, MiB - 1, MiB, size - 1]) {
          const copy = copyForm(form, `flip-${layer}-${at}`);
          const where = await whereIs(form, copy, name);
          flip(where.file, where.offset + at);
          const err = await verifyAll(form.arg(copy)).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, `${form.name}, layer ${layer}, byte ${at}`).toBeInstanceOf(ImageError);
          expect((err as Error).message).toMatch(new RegExp(`^${copy}: layer ${layer} \\(${name}\\) blob digest mismatch: expected sha256:`));
          rmSync(copy, { recursive: true, force: true });
        }
      }
    }
  }, 300_000);

  it('fails at once, without waiting on it, when a layer blob of a layout becomes a FIFO after the open', async () => {
    // The lookups and reads are synchronous calls on the main thread: a blob that became a FIFO
    // (nothing writes to it) must be an error, never a wait (the reads open without blocking).
    const form = forms[0]!;
    const copy = copyForm(form, 'fifo');
    const img = await resolveImageSource(form.arg(copy), {}).open();
    try {
      const blob = join(copy, form.blobOf(0));
      rmSync(blob);
      execFileSync('mkfifo', [blob]);
      const started = Date.now();
      const err = await img.layers[0]!.verify!().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ImageError);
      expect((err as Error).message).toMatch(/missing layer blob|bytes, its descriptor says|digest mismatch/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await img.close();
      rmSync(copy, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('hashStoredBlob', () => {
  /** The same store without locate(): the blob is read through its stream. */
  const streamOnly = (store: BlobStore): BlobStore => ({
    location: store.location,
    size: (n) => store.size(n),
    has: (n) => store.has(n),
    open: (n, r, o) => store.open(n, r, o),
    read: (n, m) => store.read(n, m),
  });

  it('reads a located blob that is a FIFO without waiting for a writer: an error naming the blob', async () => {
    // What locate() said was a file may be swapped for a FIFO before the read: the open does not
    // block (a blocking open on the main thread would hang the scan with no timer left to fire).
    const fifo = join(work, 'blob.fifo');
    execFileSync('mkfifo', [fifo]);
    const dir = new DirectoryStore(layout);
    const swapped: BlobStore = { ...streamOnly(dir), locate: async () => ({ path: fifo, offset: 0, length: undefined }) };
    const layer = built.layers[0]!;
    const err = await hashStoredBlob(swapped, 'x', layer.digest, layer.descriptor.size, 'the blob', layout).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImageError);
    expect((err as Error).message).toBe(`${layout}: the blob: cannot read it (ESPIPE)`);
  });

  it('gives the same verdicts read into its own buffers as through the stream: match, flipped byte, longer, shorter', async () => {
    const dir = new DirectoryStore(layout);
    const archive = await TarStore.open(forms[1]!.file);
    const layer = built.layers[0]!;
    const name = `blobs/sha256/${layer.digest.slice(7)}`;
    const size = layer.descriptor.size;
    const run = (store: BlobStore, expected: string, expectedSize: number) =>
      hashStoredBlob(store, name, expected, expectedSize, 'the blob', store.location).then(
        () => 'ok',
        (e: unknown) => (e instanceof ImageError ? e.message.replace(`${store.location}: `, '') : `not an ImageError: ${String(e)}`),
      );
    const other = `sha256:${'0'.repeat(64)}`;
    for (const store of [dir, archive]) {
      const cases: [string, number][] = [
        [layer.digest, size],
        [other, size],
        [layer.digest, size - 1],
        [layer.digest, size + 1],
        [layer.digest, 0],
      ];
      const own = await Promise.all(cases.map(([d, s]) => run(store, d, s)));
      const streamed = await Promise.all(cases.map(([d, s]) => run(streamOnly(store), d, s)));
      expect(own).toEqual(streamed);
      expect(own).toEqual([
        'ok',
        `the blob digest mismatch: expected ${other}, got ${layer.digest}`,
        `the blob has more than ${size - 1} bytes, its descriptor says ${size - 1}`,
        `the blob has ${size} bytes, its descriptor says ${size + 1}`,
        `the blob has more than 0 bytes, its descriptor says 0`,
      ]);
    }
  });

  it('checks blobs verified at the same time, each read hashed before the shared buffer is read into again', async () => {
    // The reads are synchronous into one buffer and give the event loop a turn every 8 MiB: a big
    // blob's check lets a small one's run in between. Both must still hash their own bytes.
    expect(VERIFY_CHUNK).toBeLessThan(MiB);
    const root = join(work, 'two-blobs');
    mkdirSync(join(root, 'blobs', 'sha256'), { recursive: true });
    const blobs = [randomBytes(20 * MiB + 123), randomBytes(MiB + 5)].map((data) => {
      const hex = createHash('sha256').update(data).digest('hex');
      writeFileSync(join(root, 'blobs', 'sha256', hex), data);
      return { name: `blobs/sha256/${hex}`, digest: `sha256:${hex}`, size: data.length };
    });
    const store = new DirectoryStore(root);
    const finished: string[] = [];
    const check = (b: (typeof blobs)[number], tag: string) =>
      hashStoredBlob(store, b.name, b.digest, b.size, tag, root).then(
        () => finished.push(`${tag} ok`),
        (e: unknown) => finished.push(`${tag} ${e instanceof ImageError ? 'mismatch' : String(e)}`),
      );
    await Promise.all([check(blobs[0]!, 'big'), check(blobs[1]!, 'small')]);
    // The small blob's check ran while the big one's waited for its turn, and ended first.
    expect(finished).toEqual(['small ok', 'big ok']);
    // A byte flipped past the big blob's first turn fails it alone.
    flip(join(root, blobs[0]!.name), 9 * MiB + 7);
    finished.length = 0;
    await Promise.all([check(blobs[0]!, 'big'), check(blobs[1]!, 'small')]);
    expect(finished).toEqual(['small ok', 'big mismatch']);
  });
});

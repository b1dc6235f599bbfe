// A wanted file's bytes read straight into the buffer that keeps them (tar-reader.ts DirectSource,
// layer-file.ts readInto): the same delta as the chunked read of the same layer, with every byte
// still hashed, so damage inside such a file still fails the walk. The layer is GNU tar's, of real
// files: a Go tool (its buildinfo distilled), a C binary, this machine's dpkg status (kept whole).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError } from '../../src/errors.js';
import { LAYER_READ_CHUNK, layerFileChunks } from '../../src/image/layer-file.js';
import type { LayerFileSource } from '../../src/model/image.js';
import { registryWanters } from '../../src/inventory/walk-job.js';
import { walkLayer } from '../../src/inventory/walk-layer.js';
import { flipByte } from '../helpers/flip-byte.js';

const GO_TOOL = join(execFileSync('go', ['env', 'GOTOOLDIR'], { encoding: 'utf8' }).trim(), 'pack');
const wanters = registryWanters();
let dir: string;
let layer: string;
let src: LayerFileSource;

/** Where a member's data starts in the tar, by GNU tar's own block listing (`-R`: block of the header). */
function dataOffset(tarPath: string, member: string): number {
  const line = execFileSync('tar', ['-tRvf', tarPath], { encoding: 'utf8' })
    .split('\n')
    .find((l) => l.endsWith(` ${member}`))!;
  return (Number(/^block (\d+):/.exec(line)![1]) + 1) * 512;
}

function sourceOf(path: string, digestOf = path): LayerFileSource {
  const digest = `sha256:${createHash('sha256').update(readFileSync(digestOf)).digest('hex')}`;
  return { path, start: 0, size: statSync(digestOf).size, digest, diffId: digest, verifyBlobDigest: true, compressed: false, label: 'layer 0 (test)', subject: path };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-direct-reads-'));
  const root = join(dir, 'root');
  for (const d of ['usr/local/bin', 'usr/bin', 'var/lib/dpkg', 'srv']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(GO_TOOL, join(root, 'usr/local/bin/pack'));
  copyFileSync('/bin/ls', join(root, 'usr/bin/ls'));
  copyFileSync('/var/lib/dpkg/status', join(root, 'var/lib/dpkg/status'));
  writeFileSync(join(root, 'srv/blob'), Buffer.alloc(3 * 1024 * 1024, 7)); // wanted by nobody
  layer = join(dir, 'layer.tar');
  execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-C', root, '-cf', layer, '.']);
  src = sourceOf(layer);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Walks `source` through layerFileChunks, counting the bytes its readInto() delivered. */
async function walkDirect(source: LayerFileSource): Promise<{ delta: Awaited<ReturnType<typeof walkLayer>>; direct: number }> {
  const chunks = (await layerFileChunks(source))!;
  const readInto = chunks.readInto!;
  let direct = 0;
  chunks.readInto = async (target: Buffer) => {
    const n = await readInto(target);
    direct += n;
    return n;
  };
  return { delta: await walkLayer(chunks, wanters, 'layer 0'), direct };
}

describe('direct reads of wanted files', () => {
  it('give the delta the chunked read of the same bytes gives, and carry most of the wanted bytes', async () => {
    const { delta, direct } = await walkDirect(src);
    const bytes = readFileSync(layer);
    const pieces = Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536));
    const chunked = await walkLayer(Readable.from(pieces), wanters, 'layer 0');
    expect(delta).toEqual(chunked);
    // Read straight in: at least the Go tool's bytes past the read chunk its header was in.
    expect(direct).toBeGreaterThanOrEqual(statSync(GO_TOOL).size - LAYER_READ_CHUNK);
    expect(statSync(GO_TOOL).size - LAYER_READ_CHUNK).toBeGreaterThan(128 * 1024);
    // Not an empty walk: the Go tool's buildinfo and the whole status file are in the delta.
    const byPath = new Map(delta.files.map((f) => [f.path, f]));
    expect(byPath.get('/usr/local/bin/pack')?.distilled?.['go-binary']?.toString()).toContain('"goVersion"');
    expect(byPath.get('/var/lib/dpkg/status')?.data.equals(readFileSync('/var/lib/dpkg/status'))).toBe(true);
  });

  it('still hash every byte: one flipped inside a directly read file fails the walk (diff_id)', async () => {
    const bad = join(dir, 'flipped.tar');
    copyFileSync(layer, bad);
    const at = dataOffset(layer, './usr/local/bin/pack') + 700_000;
    flipByte(bad, at, 0xff);
    const walk = walkDirect({ ...src, path: bad });
    await expect(walk).rejects.toThrow(ImageError);
    await expect(walk).rejects.toThrow(/digest mismatch/);
  });

  it('a blob that ends inside a directly read file fails with its size, never a short file', async () => {
    const cut = join(dir, 'cut.tar');
    copyFileSync(layer, cut);
    truncateSync(cut, dataOffset(layer, './usr/local/bin/pack') + 900_000);
    await expect(walkDirect({ ...src, path: cut })).rejects.toThrow(/bytes, its descriptor says/);
    // Without a size to hold it to (a blob checked by diff_id only), the diff_id catches it.
    await expect(walkDirect({ ...sourceOf(cut, layer), path: cut, verifyBlobDigest: false })).rejects.toThrow(/digest mismatch/);
  });
});

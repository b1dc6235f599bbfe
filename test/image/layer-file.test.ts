// src/image/layer-file.ts reads a local blob synchronously: a thread that has other work (the main
// thread: the walker threads' deltas and next layers, the cache's round trips) asks for turns of its
// event loop as it reads; a walker thread does not. The blob here is a real uncompressed tar.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LayerFileSource } from '../../src/model/image.js';
import { layerFileChunks } from '../../src/image/layer-file.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-layer-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 24 MiB uncompressed tar of three files, as a LayerFileSource whose digest and diff_id are its sha256. */
function plainTar(): LayerFileSource {
  const files = join(dir, 'files');
  execFileSync('mkdir', ['-p', files]);
  for (const n of ['a', 'b', 'c']) writeFileSync(join(files, n), Buffer.alloc(8 * 1024 * 1024, n));
  const path = join(dir, 'layer.tar');
  execFileSync('tar', ['-C', files, '-cf', path, 'a', 'b', 'c']);
  const digest = `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
  return { path, start: 0, size: statSync(path).size, digest, diffId: digest, verifyBlobDigest: true, compressed: false, label: 'layer 0 (test)', subject: path };
}

/**
 * Reads every chunk, counting the setImmediate callbacks the event loop ran until the last chunk
 * came (closing the file afterwards is asynchronous and lets the loop spin: not counted).
 */
async function turnsWhileReading(src: LayerFileSource, turnEvery?: number): Promise<{ turns: number; bytes: number }> {
  const chunks = await layerFileChunks(src, undefined, turnEvery);
  expect(chunks).toBeDefined();
  let turns = 0;
  let on = true;
  const tick = (): void => {
    if (!on) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  let bytes = 0;
  let untilLast = 0;
  for await (const c of chunks!) {
    bytes += c.length;
    untilLast = turns;
  }
  on = false;
  return { turns: untilLast, bytes };
}

describe('layerFileChunks', () => {
  const src = plainTar();
  it('with turnEvery, the event loop runs as the blob is read (about once per turnEvery bytes)', async () => {
    const { turns, bytes } = await turnsWhileReading(src, 4 * 1024 * 1024);
    expect(bytes).toBe(src.size);
    expect(turns).toBeGreaterThanOrEqual(Math.floor(src.size / (4 * 1024 * 1024)) - 1);
  });

  it('without, a walker thread reads to the end in one go (the loop never turns)', async () => {
    const { turns, bytes } = await turnsWhileReading(src);
    expect(bytes).toBe(src.size);
    expect(turns).toBe(0);
  });

  it('still checks the blob: a wrong digest fails the read with an ImageError', async () => {
    const wrong = { ...src, digest: `sha256:${'0'.repeat(64)}`, diffId: `sha256:${'0'.repeat(64)}` };
    await expect(turnsWhileReading(wrong, 4 * 1024 * 1024)).rejects.toThrow(/digest/);
  });
});

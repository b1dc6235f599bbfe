// Checking a layer's stored bytes (verifyLayers / verifyLayerBytes), as the memo path runs it: started
// while the memo is looked up, stopped when it misses. A stopped check must never pass for a done
// one, and only a layer checked in full is spared a second hash. Real layers: the Debian test image's
// OCI layout (one 60 MB blob), copied so that a byte of it can be changed.
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveImageSource } from '../../src/image/resolve.js';
import { verifyLayerBytes, verifyLayers } from '../../src/inventory/layer-keys.js';
import { debianImage } from '../fixtures/debian-image.js';
import { flipByte } from '../helpers/flip-byte.js';

let work: string;
let layout: string;
let biggest: string;

beforeAll(async () => {
  const fx = await debianImage();
  work = mkdtempSync(join(tmpdir(), 'portcullis-layer-keys-'));
  layout = join(work, 'oci');
  cpSync(fx.ociDir, layout, { recursive: true });
  const blobs = join(layout, 'blobs', 'sha256');
  biggest = readdirSync(blobs).map((n) => join(blobs, n)).sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  chmodSync(biggest, 0o644);
}, 1_800_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const openImage = () => resolveImageSource(`oci:${layout}:test`).open();
const tamper = () => flipByte(biggest, Math.floor(statSync(biggest).size / 2));

describe('checking the layers of a memo hit', () => {
  it('a stopped check rejects (never resolves), and the layer it stopped in is hashed again', async () => {
    const image = await openImage();
    try {
      expect(statSync(biggest).size).toBeGreaterThan(32 * 1024 * 1024); // many reads: the stop lands inside
      const stop = new AbortController();
      const checking = verifyLayers(image.layers, undefined, stop.signal);
      setImmediate(() => stop.abort());
      await expect(checking).rejects.toMatchObject({ name: 'AbortError' });
      // Stopped before its end: not taken as checked. With a byte changed, the next check finds it.
      tamper();
      try {
        await expect(verifyLayers(image.layers)).rejects.toThrow(/digest mismatch/);
      } finally {
        tamper(); // back as it was
      }
      // A signal aborted before the start: rejects at once, checks nothing.
      await expect(verifyLayers(image.layers, undefined, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await image.close();
    }
  }, 120_000);

  it('a layer checked in full is not hashed again in the same run; a new run checks again', async () => {
    const image = await openImage();
    try {
      await verifyLayers(image.layers);
      tamper();
      try {
        // The same Layer objects (this run): already checked, nothing read.
        for (const layer of image.layers) await verifyLayerBytes(layer);
        // A new open of the image (the next run): the change is found.
        const again = await openImage();
        try {
          await expect(verifyLayers(again.layers)).rejects.toThrow(/digest mismatch/);
        } finally {
          await again.close();
        }
      } finally {
        tamper();
      }
    } finally {
      await image.close();
    }
  }, 120_000);
});

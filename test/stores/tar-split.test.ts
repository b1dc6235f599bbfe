// tar-split rebuilds (src/image/stores/tar-split.ts) on a real containers-storage vfs store written
// by skopeo: the pulled, reused-buffer form and the stream form give the same verified tar; a
// record in another JSON spelling than tar-split's own (read by JSON.parse, not the segment fast
// path) rebuilds the same bytes; what JSON would refuse is refused; a changed byte fails the diff_id.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError } from '../../src/errors.js';
import { openTarSplitLayer, tarSplitChunks } from '../../src/image/stores/tar-split.js';
import { debianImage } from '../fixtures/debian-image.js';
import { hasCommand } from './daemons.js';

const run = promisify(execFile);
const TIMEOUT = 20 * 60_000;

interface StoredLayer {
  record: string;
  root: string;
  diffId: string;
}

/** Hashes what a rebuild yields, as its consumer would see it, and counts the chunks. */
async function digestOf(chunks: AsyncIterable<Buffer>): Promise<{ digest: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of chunks) {
    h.update(c);
    bytes += c.length;
  }
  return { digest: `sha256:${h.digest('hex')}`, bytes };
}

/** The rejection of a rebuild, as an ImageError message. */
async function failureOf(chunks: AsyncIterable<Buffer>): Promise<string> {
  try {
    await digestOf(chunks);
  } catch (err) {
    expect(err).toBeInstanceOf(ImageError);
    return (err as Error).message;
  }
  throw new Error('the rebuild did not fail');
}

describe.skipIf(!hasCommand('skopeo'))('tar-split rebuild (vfs store written by skopeo)', () => {
  let dir: string;
  let layers: StoredLayer[];
  beforeAll(async () => {
    const fx = await debianImage();
    dir = mkdtempSync('/tmp/pcs-tarsplit-');
    const graphroot = join(dir, 'g');
    await run('skopeo', ['copy', '-q', `oci-archive:${fx.ociArchive}`, `containers-storage:[vfs@${graphroot}+${join(dir, 'r')}]localhost/deb:ts`], { maxBuffer: 16 * 1024 * 1024 });
    const list = JSON.parse(readFileSync(join(graphroot, 'vfs-layers', 'layers.json'), 'utf8')) as { id: string; 'diff-digest': string }[];
    layers = list.map((l) => ({ record: join(graphroot, 'vfs-layers', `${l.id}.tar-split.gz`), root: join(graphroot, 'vfs', 'dir', l.id), diffId: l['diff-digest'] }));
    expect(layers.length).toBeGreaterThanOrEqual(3);
  }, TIMEOUT);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the pulled form (one reused buffer) and the stream give the diff_id\'s bytes', async () => {
    for (const l of layers) {
      const pulled = await digestOf(tarSplitChunks(l.record, l.root, l.diffId, 'layer', dir));
      expect(pulled.digest).toBe(l.diffId);
      const streamed = await digestOf(openTarSplitLayer(l.record, l.root, l.diffId, 'layer', dir));
      expect(streamed).toEqual(pulled);
    }
  }, TIMEOUT);

  it('a record in another JSON spelling rebuilds the same tar; a number JSON refuses is refused', async () => {
    const big = layers.reduce((a, b) => (readFileSync(a.record).length >= readFileSync(b.record).length ? a : b));
    const lines = gunzipSync(readFileSync(big.record)).toString('utf8').split('\n').filter((s) => s !== '');
    const segments = lines.filter((s) => s.startsWith('{"type":2,"payload":"'));
    // tar-split's own spelling is what the fast path reads: the real record is mostly that.
    expect(segments.length).toBeGreaterThan(lines.length / 3);

    // Keys reordered and spaced: every line goes through JSON.parse instead.
    const respelled = lines.map((s) => {
      const r = JSON.parse(s) as Record<string, unknown>;
      return `{ "position" : ${String(r.position)}, ${Object.entries(r).filter(([k]) => k !== 'position').map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')} }`;
    });
    const other = join(dir, 'respelled.tar-split.gz');
    writeFileSync(other, gzipSync(`${respelled.join('\n')}\n`));
    expect((await digestOf(tarSplitChunks(other, big.root, big.diffId, 'layer', dir))).digest).toBe(big.diffId);

    // A leading zero is not JSON: the fast path must not accept what JSON.parse refuses.
    const first = lines.findIndex((s) => s.startsWith('{"type":2,"payload":"'));
    const bad = [...lines];
    bad[first] = bad[first]!.replace(/"position":(\d+)}$/, '"position":0$1}');
    writeFileSync(other, gzipSync(`${bad.join('\n')}\n`));
    expect(await failureOf(tarSplitChunks(other, big.root, big.diffId, 'layer', dir))).toBe(`${other}: tar-split record ${first + 1} is not JSON (corrupt store)`);
  }, TIMEOUT);

  it('one changed header byte in the record fails the diff_id, pulled or streamed', async () => {
    const l = layers[0]!;
    const lines = gunzipSync(readFileSync(l.record)).toString('utf8').split('\n');
    const at = lines.findIndex((s) => s.startsWith('{"type":2,"payload":"'));
    const payload = Buffer.from(JSON.parse(lines[at]!).payload as string, 'base64');
    payload[0] = payload[0]! ^ 0x01;
    lines[at] = lines[at]!.replace(/"payload":"[^"]*"/, `"payload":"${payload.toString('base64')}"`);
    const changed = join(dir, 'changed.tar-split.gz');
    writeFileSync(changed, gzipSync(lines.join('\n')));
    const expected = new RegExp(`^${dir}: layer 0 uncompressed content \\(diff_id\\) digest mismatch: expected ${l.diffId}, got sha256:[0-9a-f]{64}$`);
    expect(await failureOf(tarSplitChunks(changed, l.root, l.diffId, 'layer 0', dir))).toMatch(expected);
    expect(await failureOf(openTarSplitLayer(changed, l.root, l.diffId, 'layer 0', dir))).toMatch(expected);
  }, TIMEOUT);
});

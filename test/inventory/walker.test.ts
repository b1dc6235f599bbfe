import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { ImageError } from '../../src/errors.js';
import { walkLayer, type FileWanter } from '../../src/inventory/walk-layer.js';
import { walkLayers } from '../../src/inventory/walker.js';
import { filesFor } from '../../src/inventory/view.js';
import type { ScanWarning } from '../../src/model/warning.js';
import { imageOf, layerOf, tarOf, truncatedTar, type Entry } from './tar-layers.js';

const wantEtc: FileWanter = { name: 'etc', wants: (p) => p.startsWith('/etc/') || p === '/usr/lib/os-release' };

async function view(layers: Entry[][], wanter: FileWanter = wantEtc) {
  const image = await imageOf(layers);
  const { fs, warnings } = await walkLayers(image.layers, [wanter]);
  const warned: ScanWarning[] = [...warnings];
  const files = filesFor(fs, wanter, (w) => warned.push(w));
  return { fs, files, warned, byPath: new Map(files.map((f) => [f.path, f])) };
}

describe('walkLayer', () => {
  it('buffers only wanted files and records links, whiteouts and opaque dirs', async () => {
    const bytes = await tarOf([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', data: 'root:x:0:0' },
      { name: 'usr/bin/big', data: Buffer.alloc(100_000, 1) },
      { name: 'etc/alt', type: 'symlink', linkname: '/usr/bin/big' },
      { name: 'etc/hard', type: 'link', linkname: 'etc/passwd' },
      { name: 'var/.wh.cache', data: '' },
      { name: 'opt/.wh..wh..opq', data: '' },
    ]);
    const seen: string[] = [];
    const spy: FileWanter = { name: 'spy', wants: (p, size) => (seen.push(`${p}:${size}`), p.startsWith('/etc/')) };
    const d = await walkLayer(Readable.from([bytes]), [spy], 'layer 0');
    expect(d.files.map((f) => [f.path, f.data.toString()])).toEqual([['/etc/passwd', 'root:x:0:0']]);
    // /usr/bin/big is also asked for under its usr-merge alias /bin/big, and once more at the
    // wanter's size limit (would it hide an earlier copy?).
    const max = 64 * 1024 * 1024;
    expect(seen).toEqual(['/etc/passwd:10', '/usr/bin/big:100000', '/bin/big:100000', `/usr/bin/big:${max}`, `/bin/big:${max}`]);
    expect(d.links).toEqual([
      { path: '/etc/alt', target: '/usr/bin/big', kind: 'symlink' },
      { path: '/etc/hard', target: '/etc/passwd', kind: 'hardlink' },
    ]);
    expect(d.whiteouts).toEqual(['/var/cache']);
    expect(d.opaqueDirs).toEqual(['/opt']);
  });

  it('is a pure function of the layer bytes and wants', async () => {
    const bytes = await tarOf([{ name: 'etc/a', data: 'x' }, { name: 'etc/b', type: 'symlink', linkname: 'a' }]);
    const a = await walkLayer(Readable.from([bytes]), [wantEtc], 'l');
    const b = await walkLayer(Readable.from([bytes]), [wantEtc], 'l');
    expect(a).toEqual(b);
  });

  it.each(['../escape', 'etc/../../escape', './a/../../../x'])('rejects entry %s that escapes the root', async (name) => {
    const bytes = await tarOf([{ name, data: 'x' }]);
    const err = await walkLayer(Readable.from([bytes]), [wantEtc], 'layer 3 (sha256:abc)').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect((err as Error).message).toContain('layer 3 (sha256:abc)');
    expect((err as Error).message).toContain(name);
  });

  it('rejects a hard link whose target escapes the root', async () => {
    const bytes = await tarOf([{ name: 'etc/x', type: 'link', linkname: '../../etc/shadow' }]);
    await expect(walkLayer(Readable.from([bytes]), [wantEtc], 'layer 0')).rejects.toThrow(/escapes the image root/);
  });

  it('accepts absolute entry names inside the root', async () => {
    const bytes = await tarOf([{ name: '/etc/abs', data: 'x' }]);
    const d = await walkLayer(Readable.from([bytes]), [wantEtc], 'l');
    expect(d.files[0].path).toBe('/etc/abs');
  });

  it('a huge declared size with little data is an ImageError, not an allocation', async () => {
    const bytes = truncatedTar('etc/huge', 2 ** 33 - 1, Buffer.from('tiny'));
    await expect(walkLayer(Readable.from([bytes]), [{ ...wantEtc, maxFileSize: 2 ** 40 }], 'layer 0')).rejects.toThrow(ImageError);
  });

  it('does not buffer a wanted file over maxFileSize and warns', async () => {
    const bytes = await tarOf([{ name: 'etc/big', data: Buffer.alloc(2048) }]);
    const d = await walkLayer(Readable.from([bytes]), [{ ...wantEtc, maxFileSize: 1024 }], 'l');
    expect(d.files).toEqual([]);
    expect(d.dropped).toEqual(['/etc/big']);
    expect(d.warnings[0].code).toBe('walker.file-too-large');
  });

  // Two header shapes tar-stream never finishes: the walk must end with an ImageError, not hang.
  it.each([
    ['a directory declaring content', (h: Buffer) => h.write('00000002000\0', 124, 'latin1'), /directory entry "etc\/" declares 1024 bytes/],
    ['a size field that is neither octal nor base-256', (h: Buffer) => void (h[124] = 0xd1), /entry "etc\/" has an unreadable size field/],
  ])('%s is an ImageError', async (_what, mutate, message) => {
    const bytes = Buffer.from(await tarOf([{ name: 'etc/', type: 'directory' }, { name: 'etc/passwd', data: 'root:x:0:0' }]));
    mutate(bytes);
    // Recompute the header checksum so tar-stream takes the block as a header.
    bytes.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += bytes[i]!;
    bytes.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const err = await Promise.race([
      walkLayer(Readable.from([bytes]), [wantEtc], 'layer 0').catch((e: unknown) => e),
      new Promise((r) => setTimeout(() => r(new Error('walkLayer did not settle in 5 s')), 5000)),
    ]);
    expect(err).toBeInstanceOf(ImageError);
    expect((err as Error).message).toMatch(message);
  });

  it('keeps the last of duplicate entries in one layer', async () => {
    const bytes = await tarOf([{ name: 'etc/dup', data: 'first' }, { name: 'etc/dup', data: 'second' }]);
    const d = await walkLayer(Readable.from([bytes]), [wantEtc], 'l');
    expect(d.files.map((f) => f.data.toString())).toEqual(['second']);
  });

  it('fails with an ImageError naming the layer on a corrupt tar', async () => {
    const garbage = Buffer.alloc(1024, 0x41);
    await expect(walkLayer(Readable.from([garbage]), [wantEtc], 'layer 7 (sha256:dead)')).rejects.toThrow(/layer 7/);
  });
});

describe('merging layers', () => {
  it('a whiteout removes the earlier file and everything below a whited-out directory', async () => {
    const { byPath } = await view([
      [{ name: 'etc/a', data: 'a' }, { name: 'etc/sub/b', data: 'b' }, { name: 'etc/sub/c', data: 'c' }, { name: 'etc/keep', data: 'k' }],
      [{ name: 'etc/.wh.a', data: '' }, { name: 'etc/.wh.sub', data: '' }],
    ]);
    expect([...byPath.keys()]).toEqual(['/etc/keep']);
  });

  it('an opaque dir hides earlier children but keeps the same layer’s', async () => {
    const { byPath } = await view([
      [{ name: 'etc/app/old', data: 'o' }, { name: 'etc/other', data: 'x' }],
      [{ name: 'etc/app/.wh..wh..opq', data: '' }, { name: 'etc/app/new', data: 'n' }],
    ]);
    expect([...byPath.keys()].sort()).toEqual(['/etc/app/new', '/etc/other']);
  });

  it('a file re-added after a whiteout comes back, attributed to the later layer', async () => {
    const { byPath } = await view([
      [{ name: 'etc/f', data: 'v1' }],
      [{ name: 'etc/.wh.f', data: '' }],
      [{ name: 'etc/f', data: 'v3' }],
    ]);
    expect(byPath.get('/etc/f')?.data.toString()).toBe('v3');
    expect(byPath.get('/etc/f')?.layer.index).toBe(2);
  });

  it('each file carries the layer that last wrote it', async () => {
    const { byPath } = await view([
      [{ name: 'etc/a', data: 'a0' }, { name: 'etc/b', data: 'b0' }],
      [{ name: 'etc/b', data: 'b1' }],
    ]);
    expect(byPath.get('/etc/a')?.layer.index).toBe(0);
    expect(byPath.get('/etc/b')?.layer.index).toBe(1);
    expect(byPath.get('/etc/b')?.layer.createdBy).toBe('step 1');
    expect(byPath.get('/etc/b')?.data.toString()).toBe('b1');
  });

  it('a wanted symlinked file resolves to its captured target (relative, across layers)', async () => {
    const { byPath } = await view([
      [{ name: 'usr/lib/os-release', data: 'ID=debian' }],
      [{ name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' }],
    ]);
    expect(byPath.get('/etc/os-release')?.data.toString()).toBe('ID=debian');
    expect(byPath.get('/etc/os-release')?.layer.index).toBe(0);
  });

  it('a symlink pointing out of the root is clamped at /', async () => {
    const { byPath } = await view([
      [{ name: 'usr/lib/os-release', data: 'ID=alpine' }, { name: 'etc/os-release', type: 'symlink', linkname: '../../../../../usr/lib/os-release' }],
    ]);
    expect(byPath.get('/etc/os-release')?.data.toString()).toBe('ID=alpine');
  });

  it('an absolute symlink target is taken inside the image root, never the host', async () => {
    const { byPath } = await view([[{ name: 'etc/hostfile', type: 'symlink', linkname: '/etc/hostname' }]]);
    // /etc/hostname exists on the host but not in the image: nothing is read.
    expect(byPath.has('/etc/hostfile')).toBe(false);
  });

  it('resolves through symlinked directories', async () => {
    const lib = { name: 'lib', type: 'symlink', linkname: 'usr/lib' } as const;
    const apkWanter: FileWanter = { name: 'apk', wants: (p) => p === '/lib/apk/db/installed' };
    const { byPath } = await view([[lib, { name: 'usr/lib/apk/db/installed', data: 'P:x' }]], apkWanter);
    expect(byPath.get('/lib/apk/db/installed')?.data.toString()).toBe('P:x');
  });

  it('a symlink loop is bounded and warned about', async () => {
    const { byPath, warned } = await view([
      [{ name: 'etc/a', type: 'symlink', linkname: 'b' }, { name: 'etc/b', type: 'symlink', linkname: 'a' }],
    ]);
    expect(byPath.size).toBe(0);
    expect(warned.filter((w) => w.code === 'walker.link-loop').map((w) => w.path).sort()).toEqual(['/etc/a', '/etc/b']);
  });

  it('a hard link gives the target’s content', async () => {
    const { byPath } = await view([[{ name: 'etc/orig', data: 'same' }, { name: 'etc/copy', type: 'link', linkname: 'etc/orig' }]]);
    expect(byPath.get('/etc/copy')?.data.toString()).toBe('same');
  });

  it('a later file too small to be wanted still hides the earlier wanted one', async () => {
    const bigOnly: FileWanter = { name: 'big', wants: (p, size) => p === '/usr/local/bin/app' && size >= 100 };
    const { files } = await view(
      [[{ name: 'usr/local/bin/app', data: Buffer.alloc(200, 7) }], [{ name: 'usr/local/bin/app', data: '#!/bin/sh\n' }]],
      bigOnly,
    );
    expect(files).toEqual([]);
    const kept = await view([[{ name: 'usr/local/bin/app', data: Buffer.alloc(200, 7) }], [{ name: 'usr/local/bin/other', data: 'x' }]], bigOnly);
    expect(kept.files.map((f) => [f.path, f.layer.index])).toEqual([['/usr/local/bin/app', 0]]);
  });

  it('a later symlink replaces an earlier file and vice versa', async () => {
    const { byPath } = await view([
      [{ name: 'etc/x', data: 'file' }, { name: 'etc/y', type: 'symlink', linkname: 'x' }, { name: 'etc/t', data: 'target' }],
      [{ name: 'etc/x', type: 'symlink', linkname: 't' }, { name: 'etc/y', data: 'now a file' }],
    ]);
    expect(byPath.get('/etc/x')?.data.toString()).toBe('target');
    expect(byPath.get('/etc/y')?.data.toString()).toBe('now a file');
  });

  it('walks the next layer while merging in order, and a later layer’s failure is the walk’s error', async () => {
    const a = layerOf(0, await tarOf([{ name: 'etc/a', data: 'a0' }]));
    const b = layerOf(1, await tarOf([{ name: 'etc/a', data: 'a1' }]));
    const bad = { ...layerOf(2, Buffer.alloc(1024, 0x41)) };
    const order: number[] = [];
    const { fs } = await walkLayers([a, b], [wantEtc], { onLayer: (_v, ref) => order.push(ref.index) });
    expect(order).toEqual([0, 1]);
    expect(fs.files.get('/etc/a')?.data.toString()).toBe('a1');
    await expect(walkLayers([a, b, bad], [wantEtc])).rejects.toThrow(/layer 2/);
  });

  it('reads each layer exactly once', async () => {
    const bytes = await tarOf([{ name: 'etc/a', data: 'a' }]);
    let opens = 0;
    const l = layerOf(0, bytes);
    const counted = { ...l, open: async () => (opens++, l.open()) };
    await walkLayers([counted], [wantEtc]);
    expect(opens).toBe(1);
  });
});

// The walker's optional cataloger hooks: sniff() (skip files by their first bytes) and distill()
// (keep only what parse needs). Synthetic wanters pin the contract; the real Go cataloger on real
// ELF files (a Go tool from golang-go, a C binary of the host) pins the catalogers that use it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Cataloger, WalkedFile } from '../../src/inventory/cataloger.js';
import { inventoryImage } from '../../src/inventory/inventory.js';
import { goBinaryCataloger } from '../../src/inventory/lang/golang.js';
import { filesFor } from '../../src/inventory/view.js';
import { walkLayer, type FileWanter } from '../../src/inventory/walk-layer.js';
import { walkLayers } from '../../src/inventory/walker.js';
import { imageOf, tarOf } from './tar-layers.js';

/** Wants /app/*, keeps the first line of a file, or nothing when it has no `pkg=` line. */
const firstLine: FileWanter = {
  name: 'first-line',
  wants: (p) => p.startsWith('/app/'),
  distill: (_p, data) => {
    const text = data.toString('utf8');
    return text.startsWith('pkg=') ? Buffer.from(text.split('\n')[0]!) : null;
  },
};

const GO_TOOL = join(execFileSync('go', ['env', 'GOTOOLDIR'], { encoding: 'utf8' }).trim(), 'pack');
const C_BINARY = '/bin/ls';

describe('distill()', () => {
  it('stores only the distilled bytes in the delta, and drops a file it returns null for', async () => {
    const bytes = await tarOf([
      { name: 'app/a', data: `pkg=a@1\n${'x'.repeat(100_000)}` },
      { name: 'app/b', data: 'not a package file' },
    ]);
    const d = await walkLayer(Readable.from([bytes]), [firstLine], 'l');
    expect(d.files).toHaveLength(1);
    expect(d.files[0]!.path).toBe('/app/a');
    expect(d.files[0]!.size).toBe(100_008);
    expect(d.files[0]!.data.length).toBe(0);
    expect(d.files[0]!.distilled?.['first-line']?.toString()).toBe('pkg=a@1');
    // null: the path is a write that hides earlier copies, but nothing of it is kept.
    expect(d.dropped).toEqual(['/app/b']);
  });

  it('is still a pure function of the layer bytes (the reused buffer never leaks into the delta)', async () => {
    const keepAll: FileWanter = { name: 'keep', wants: (p) => p.startsWith('/app/'), distill: (_p, data) => data.subarray(0, 8) };
    const bytes = await tarOf([
      { name: 'app/one', data: Buffer.alloc(4096, 1) },
      { name: 'app/two', data: Buffer.alloc(4096, 2) },
      { name: 'app/three', data: Buffer.alloc(64, 3) },
    ]);
    const a = await walkLayer(Readable.from([bytes]), [keepAll], 'l');
    const b = await walkLayer(Readable.from([bytes]), [keepAll], 'l');
    expect(a).toEqual(b);
    // A distill result that is a view of the walker's buffer is copied: later files do not overwrite it.
    expect(a.files.map((f) => [...f.distilled!['keep']!])).toEqual([Array(8).fill(1), Array(8).fill(2), Array(8).fill(3)]);
  });

  it('a wanter without distill still gets the whole file beside a distilling one', async () => {
    const raw: FileWanter = { name: 'raw', wants: (p) => p === '/app/a' };
    const image = await imageOf([[{ name: 'app/a', data: 'pkg=a@1\nmore' }]]);
    const { fs } = await walkLayers(image.layers, [firstLine, raw]);
    const forRaw = filesFor(fs, raw);
    const forFirst = filesFor(fs, firstLine);
    expect(forRaw.map((f) => [f.data.toString(), f.distilled])).toEqual([['pkg=a@1\nmore', undefined]]);
    expect(forFirst.map((f) => [f.data.toString(), f.distilled])).toEqual([['pkg=a@1', true]]);
  });

  it('whiteouts, opaque dirs and later rewrites apply to distilled files', async () => {
    const image = await imageOf([
      [{ name: 'app/gone', data: 'pkg=gone@1' }, { name: 'app/sub/x', data: 'pkg=x@1' }, { name: 'app/kept', data: 'pkg=kept@1' }, { name: 'app/redone', data: 'pkg=redone@1' }],
      [{ name: 'app/.wh.gone', data: '' }, { name: 'app/sub/.wh..wh..opq', data: '' }, { name: 'app/redone', data: 'now something else' }],
    ]);
    const { fs } = await walkLayers(image.layers, [firstLine]);
    const files = filesFor(fs, firstLine);
    // /app/redone was rewritten by layer 1 with a file distill rejects: the old version is hidden.
    expect(files.map((f) => [f.path, f.data.toString(), f.layer.index])).toEqual([['/app/kept', 'pkg=kept@1', 0]]);
  });

  it('a distilled file reached through a symlink is seen under the link', async () => {
    const image = await imageOf([[{ name: 'app/real', data: 'pkg=r@1' }, { name: 'app/link', type: 'symlink', linkname: 'real' }]]);
    const { fs } = await walkLayers(image.layers, [firstLine]);
    expect(filesFor(fs, firstLine).map((f) => [f.path, f.data.toString()])).toEqual([['/app/link', 'pkg=r@1'], ['/app/real', 'pkg=r@1']]);
  });

  it('a throwing distill is a warning, not a failed walk', async () => {
    const bad: FileWanter = { name: 'bad', wants: (p) => p === '/app/a', distill: () => { throw new Error('nope'); } };
    const d = await walkLayer(Readable.from([await tarOf([{ name: 'app/a', data: 'x' }])]), [bad], 'l');
    expect(d.files).toEqual([]);
    expect(d.dropped).toEqual(['/app/a']);
    expect(d.warnings.map((w) => [w.code, w.path])).toEqual([['cataloger.error', '/app/a']]);
    expect(d.warnings[0]!.message).toContain('nope');
  });

  it('history attribution is unchanged for a distilling history cataloger', async () => {
    // A db cataloger that distills its db to the package lines only.
    const db: Cataloger = {
      name: 'lines-db', version: 1, kind: 'os', attribution: 'history',
      wants: (p) => p === '/db',
      distill: (_p, data) => Buffer.from(data.toString().split('\n').filter((l) => l.startsWith('pkg ')).join('\n')),
      parse: (files: WalkedFile[]) =>
        files.flatMap((f) => f.data.toString().split('\n').filter((l) => l).map((l) => {
          const [, name, version] = l.split(' ');
          return { name: name!, version: version!, type: 'deb' as const, ecosystem: '', purl: `pkg:generic/${name}@${version}`, path: f.path, layer: f.layer, foundBy: 'lines-db' };
        })),
    };
    const image = await imageOf([
      [{ name: 'db', data: 'pkg a 1\n# noise\npkg b 1\n' }],
      [{ name: 'other', data: 'x' }],
      [{ name: 'db', data: 'pkg a 1\npkg b 2\n# more noise\n' }],
    ]);
    const inv = await inventoryImage(image, { catalogers: [db] });
    expect(inv.packages.map((p) => [p.name, p.version, p.layer.index])).toEqual([['a', '1', 0], ['b', '2', 2]]);
  });
});

describe('sniff()', () => {
  it('skips the rest of a file every wanter refuses by its first bytes, without distilling it', async () => {
    const heads: number[] = [];
    let distilled = 0;
    const elfOnly: FileWanter = {
      name: 'elf',
      wants: (p) => p.startsWith('/bin/'),
      sniff: (_p, head) => (heads.push(head.length), head.subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1'))),
      distill: (_p, data) => (distilled++, data.subarray(0, 4)),
    };
    const bytes = await tarOf([
      { name: 'bin/random', data: Buffer.alloc(1 << 20, 0x42) },
      { name: 'bin/elf', data: Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.alloc(1000)]) },
      { name: 'bin/tiny', data: 'ab' },
    ]);
    const d = await walkLayer(Readable.from([bytes]), [elfOnly], 'l');
    expect(heads).toEqual([64, 64, 2]);
    expect(distilled).toBe(1);
    expect(d.files.map((f) => f.path)).toEqual(['/bin/elf']);
    expect(d.dropped.sort()).toEqual(['/bin/random', '/bin/tiny']);
  });

  it('a sniff-refused file over the size limit gives no too-large warning', async () => {
    const elfOnly: FileWanter = { name: 'elf', wants: () => true, maxFileSize: 1000, sniff: (_p, h) => h[0] === 0x7f, distill: (_p, d) => d };
    const d = await walkLayer(Readable.from([await tarOf([{ name: 'big.bin', data: Buffer.alloc(5000) }, { name: 'big.elf', data: Buffer.alloc(5000, 0x7f) }])]), [elfOnly], 'l');
    expect(d.warnings.map((w) => [w.code, w.path])).toEqual([['walker.file-too-large', '/big.elf']]);
    expect(d.dropped.sort()).toEqual(['/big.bin', '/big.elf']);
  });
});

describe('the Go cataloger through the walker', () => {
  it('keeps a Go binary’s buildinfo (not the binary) and drops a C binary', async () => {
    const go = readFileSync(GO_TOOL);
    // Padded past the Go cataloger's 512 KiB minimum: still a valid ELF, with no buildinfo.
    const c = Buffer.concat([readFileSync(C_BINARY), Buffer.alloc(600 * 1024)]);
    const image = await imageOf([[{ name: 'usr/local/bin/pack', data: go, mode: 0o755 }, { name: 'usr/local/bin/ls', data: c, mode: 0o755 }]]);
    const delta = await walkLayer(await image.layers[0]!.open(), [goBinaryCataloger], 'l');
    expect(delta.dropped).toEqual(['/usr/local/bin/ls']);
    expect(delta.files).toHaveLength(1);
    const kept = delta.files[0]!.distilled!['go-binary']!;
    expect(kept.length).toBeLessThan(16 * 1024);
    expect(delta.files[0]!.data.length).toBe(0);

    // The same packages as parsing the whole binary directly.
    const inv = await inventoryImage(image, { catalogers: [goBinaryCataloger] });
    const direct = await goBinaryCataloger.parse([{ path: '/usr/local/bin/pack', layer: inv.packages[0]!.layer, size: go.length, mode: 0o755, data: go }], { osEcosystem: '', warn: () => undefined });
    expect(inv.packages.map((p) => p.purl).sort()).toEqual(direct.map((p) => p.purl).sort());
    expect(inv.packages.some((p) => p.name === 'stdlib')).toBe(true);
  });
});

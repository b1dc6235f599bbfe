// The walker's tar reader (src/inventory/tar-reader.ts) against two references on real layers:
// GNU tar's own listing (names, types, sizes, link targets) and tar-stream (the reader it replaced:
// the same entries with the same bytes), whole and cut into odd chunks.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, linkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTar, TarFormatError, type TarHeader } from '../../src/inventory/tar-reader.js';
import { debianImage } from '../fixtures/debian-image.js';

interface Listed {
  name: string;
  type: string;
  size: number;
  mode?: number | null;
  linkname: string | null;
  sha?: string;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Our reader: every entry, with the sha256 of its data. */
async function ours(chunks: Iterable<Buffer>): Promise<Listed[]> {
  const out: Listed[] = [];
  await readTar(Readable.from(chunks), (h: TarHeader) => {
    const e: Listed = { name: h.name, type: String(h.type), size: h.size ?? -1, mode: h.mode, linkname: h.linkname };
    out.push(e);
    const hash = createHash('sha256');
    return { data: (c) => void hash.update(c), end: () => void (e.sha = hash.digest('hex')) };
  });
  return out;
}

/** tar-stream, the reader the walker used before. */
async function theirs(bytes: Buffer): Promise<Listed[]> {
  const out: Listed[] = [];
  const ex = tar.extract();
  ex.on('entry', (h, stream, next) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: unknown) => void parts.push(c as Buffer));
    stream.on('end', () => {
      out.push({ name: h.name, type: String(h.type), size: h.size ?? -1, mode: h.mode ?? null, linkname: h.linkname ?? null, sha: sha(Buffer.concat(parts)) });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  Readable.from([bytes]).pipe(ex);
  await done;
  return out;
}

/** Cuts `bytes` into chunks of the given sizes, cycling (headers and data straddle the cuts). */
function cut(bytes: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0, i = 0; off < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(bytes.subarray(off, off + n));
    off += n;
  }
  return out;
}

const GNU_TYPE: Record<string, string> = { '-': 'file', d: 'directory', l: 'symlink', h: 'link', c: 'character-device', b: 'block-device', p: 'fifo' };

/** GNU tar's verbose listing, parsed: type letter, size, name, and link target. */
function gnuList(file: string): { name: string; type: string; size: number; linkname: string | null }[] {
  const text = execFileSync('tar', ['--list', '--verbose', '--numeric-owner', '--quoting-style=literal', '--full-time', '-f', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      // -rw-r--r-- 0/0  123 2024-01-01 00:00:00.000000000 name[ -> target| link to target]
      const m = /^(\S)\S+ \S+\s+(\d+)(?:,\s*\d+)? \S+ \S+ (.*)$/.exec(l);
      if (!m) throw new Error(`unparsed GNU tar line: ${l}`);
      let type = GNU_TYPE[m[1]!]!;
      let name = m[3]!;
      let linkname: string | null = null;
      const sym = name.indexOf(' -> ');
      const hard = name.indexOf(' link to ');
      if (m[1] === 'l' && sym >= 0) [name, linkname] = [name.slice(0, sym), name.slice(sym + 4)];
      if (m[1] === 'h' || (m[1] === '-' && hard >= 0)) {
        type = 'link';
        [name, linkname] = [name.slice(0, hard), name.slice(hard + 9)];
      }
      // Devices show `major,minor` where files show a size; directories may lose their `/`.
      const size = type === 'character-device' || type === 'block-device' ? 0 : Number(m[2]);
      return { name: type === 'directory' ? name.replace(/\/$/, '') : name, type, size, linkname };
    });
}

/** Our listing in GNU tar's terms: a hard link's size is 0 there (it has no data). */
function asGnu(list: Listed[]): { name: string; type: string; size: number; linkname: string | null }[] {
  const noData = new Set(['link', 'symlink', 'directory', 'character-device', 'block-device', 'fifo']);
  return list.map((e) => ({ name: e.type === 'directory' ? e.name.replace(/\/$/, '') : e.name, type: e.type, size: noData.has(e.type) ? 0 : e.size, linkname: e.linkname }));
}

describe('tar reader: GNU tar and tar-stream agree with it', () => {
  let dir: string;
  const layers: { what: string; file: string }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pc-tar-reader-'));
    // A tree with what real layers carry: names over 100 bytes (GNU `L` records, PAX `path`), a
    // symlink target over 100 bytes (`K`, PAX `linkpath`), UTF-8 names, hard links, whiteouts, an
    // opaque marker, empty files and files of exactly one block.
    const root = join(dir, 'root');
    const deep = join(root, 'srv', 'app', 'node_modules', '@opentelemetry', 'configuration', 'node_modules', '@opentelemetry', 'core', 'build', 'esm', 'trace');
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'TraceState.d.ts'), 'export declare class TraceState {}\n');
    writeFileSync(join(deep, 'x'.repeat(120)), Buffer.alloc(512, 7));
    writeFileSync(join(root, 'srv', 'empty'), '');
    writeFileSync(join(root, 'srv', 'grüße-☃.txt'), 'utf-8 name\n');
    writeFileSync(join(root, 'srv', '.wh.gone'), '');
    writeFileSync(join(root, 'srv', 'app', '.wh..wh..opq'), '');
    linkSync(join(deep, 'TraceState.d.ts'), join(root, 'srv', 'hardlink'));
    symlinkSync(join('/srv/app/node_modules/@opentelemetry/configuration/node_modules/@opentelemetry/core/build/esm/trace', 'x'.repeat(120)), join(root, 'srv', 'longlink'));
    symlinkSync('../etc/os-release', join(root, 'srv', 'short'));
    for (const format of ['gnu', 'posix', 'ustar']) {
      const file = join(dir, `${format}.tar`);
      try {
        execFileSync('tar', [`--format=${format}`, '--sort=name', '-C', root, '-cf', file, '.'], { stdio: 'pipe' });
        layers.push({ what: `GNU tar --format=${format}`, file });
      } catch (err) {
        // ustar cannot hold the 120-byte base name: that is GNU tar's refusal, not ours to test.
        if (format !== 'ustar') throw err;
      }
    }
    // The Debian test image's layers (debootstrap through umoci, then skopeo).
    const fx = await debianImage();
    const names = JSON.parse(execFileSync('tar', ['-xOf', fx.dockerArchive, 'manifest.json'], { encoding: 'utf8' })) as { Layers: string[] }[];
    for (const l of names[0]!.Layers) {
      const file = join(dir, l.replace(/\//g, '_'));
      writeFileSync(file, execFileSync('tar', ['-xOf', fx.dockerArchive, l], { maxBuffer: 1024 * 1024 * 1024 }));
      layers.push({ what: `Debian image layer ${l.slice(0, 12)}`, file });
    }
  }, 30 * 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists every entry of every layer as GNU tar does', async () => {
    expect(layers.length).toBeGreaterThanOrEqual(5);
    for (const l of layers) {
      const got = asGnu(await ours([readFileSync(l.file)]));
      const want = gnuList(l.file);
      expect(got.length, l.what).toBeGreaterThan(2);
      expect(got, l.what).toEqual(want);
    }
  });

  it('reads the same entries and bytes as tar-stream, however the stream is cut', async () => {
    for (const l of layers) {
      const bytes = readFileSync(l.file);
      const want = await theirs(bytes);
      expect(await ours([bytes]), l.what).toEqual(want);
      expect(await ours(cut(bytes, [1000, 7, 512, 65536 + 3])), `${l.what}, odd chunks`).toEqual(want);
    }
  });

  it('reads a small layer cut into single bytes', async () => {
    const gnu = layers.find((l) => l.what.endsWith('--format=gnu'))!;
    const bytes = readFileSync(gnu.file);
    expect(await ours(cut(bytes, [1]))).toEqual(await theirs(bytes));
  });

  it('reads numeric fields written in every way tar-stream reads them', async () => {
    // The first header's mode and size fields rewritten (checksum fixed) and read by both readers:
    // padded with spaces or NULs, cut short by a NUL, a non-octal byte after the digits, and a
    // field that starts with no digit at all.
    const bytes = readFileSync(layers.find((l) => l.what.endsWith('--format=gnu'))!.file);
    const modes = ['0000644\x00', '    644\x00', '\x00\x000644 \x00', '644\x00\x00\x00\x00\x00', '00006448', ' +644   ', '\x00\x00\x00\x00\x00\x00\x00\x00', '7777777\x00'];
    for (const mode of modes) {
      const b = Buffer.from(bytes);
      b.write(mode, 100, 8, 'latin1');
      b.fill(0x20, 148, 156);
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += b[i]!;
      b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
      const got = await ours([b]);
      const want = await theirs(b);
      expect(got[0]!.mode, JSON.stringify(mode)).toEqual(want[0]!.mode);
      expect(got, JSON.stringify(mode)).toEqual(want);
    }
  });

  it('refuses a truncated layer, a bad checksum and trailing bytes', async () => {
    const bytes = readFileSync(layers.find((l) => l.what.endsWith('--format=posix'))!.file);
    await expect(ours([bytes.subarray(0, 2048 + 100)])).rejects.toThrow(TarFormatError);
    const bad = Buffer.from(bytes);
    bad[0] = bad[0]! ^ 1;
    await expect(ours([bad])).rejects.toThrow(/Invalid tar header/);
    await expect(ours([Buffer.concat([bytes, Buffer.alloc(100)])])).rejects.toThrow(/Unexpected end of data/);
  });
});

// The in-place tar indexer on archives made by tar-stream and by GNU tar: long names (pax and GNU
// `L` records), links between entries, byte-range reads.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarStore } from '../../src/image/blob-store.js';
import { indexTar } from '../../src/image/tar-index.js';
import { readAll, writeTarFile } from './build-layout.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-tar-index-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const LONG = `${'d'.repeat(120)}/${'e'.repeat(90)}/file-with-a-long-name.txt`;

describe('tar index', () => {
  it('indexes tar-stream archives with pax long names and reads entries as byte ranges', async () => {
    const tar = join(work, 'pax.tar');
    await writeTarFile(tar, [
      { path: 'a.txt', content: 'alpha' },
      { path: LONG, content: 'long one' },
      { path: 'dir/', type: 'directory' },
      { path: 'dir/link', type: 'symlink', linkname: '../a.txt' },
      { path: 'big.bin', content: Buffer.alloc(70_000, 3) },
    ]);
    const entries = await indexTar(tar);
    expect([...entries.keys()]).toEqual(['a.txt', LONG, 'dir', 'dir/link', 'big.bin']);
    const store = await TarStore.open(tar);
    expect((await readAll(await store.open(LONG))).toString()).toBe('long one');
    expect((await readAll(await store.open('dir/link'))).toString()).toBe('alpha');
    expect(await store.size('big.bin')).toBe(70_000);
    expect((await readAll(await store.open('big.bin', { start: 69_998, end: 70_100 }))).length).toBe(2);
    expect(await store.has('missing')).toBe(false);
  });

  it('indexes GNU tar archives with GNU long names (L records) and ./ prefixes', async () => {
    const src = join(work, 'gnu-src');
    mkdirSync(join(src, 'd'.repeat(120)), { recursive: true });
    writeFileSync(join(src, 'd'.repeat(120), 'x'.repeat(80)), 'gnu long');
    writeFileSync(join(src, 'manifest.json'), '[]');
    const tar = join(work, 'gnu.tar');
    execFileSync('tar', ['--format=gnu', '-cf', tar, '-C', src, '.']);
    const store = await TarStore.open(tar);
    expect(await store.has('manifest.json')).toBe(true);
    expect((await readAll(await store.open(`${'d'.repeat(120)}/${'x'.repeat(80)}`))).toString()).toBe('gnu long');
    const posixTar = join(work, 'posix.tar');
    execFileSync('tar', ['--format=posix', '-cf', posixTar, '-C', src, '.']);
    expect((await (await TarStore.open(posixTar)).read(`${'d'.repeat(120)}/${'x'.repeat(80)}`, 100)).toString()).toBe('gnu long');
  });

  it('a symlink between entries that leaves the archive is refused', async () => {
    const tar = join(work, 'link-out.tar');
    await writeTarFile(tar, [{ path: 'a/link', type: 'symlink', linkname: '../../etc/passwd' }]);
    const store = await TarStore.open(tar);
    await expect(store.open('a/link')).rejects.toThrow(/escapes the archive root/);
  });
  it('gives the event loop turns while it reads the headers of an archive of many entries', async () => {
    // 12,000 empty files: ~6 MiB of headers, read synchronously; a cache connection's handshake
    // (or anything else waiting on the loop) must not wait for the whole index.
    const tar = join(work, 'many.tar');
    await writeTarFile(tar, Array.from({ length: 12_000 }, (_, i) => ({ path: `f/${i}`, content: '' })));
    let turns = 0;
    let stop = false;
    const spin = (): void => {
      if (stop) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const entries = await indexTar(tar);
    stop = true;
    expect(entries.size).toBe(12_000);
    expect(turns).toBeGreaterThanOrEqual(2);
  });
});

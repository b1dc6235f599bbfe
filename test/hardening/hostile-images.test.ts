// A hostile-image corpus, generated here (nothing checked in), each case run through the real CLI
// (`portcullis scan`, separate process) in a sandbox, with its expected outcome. See harness.ts for
// what every case must satisfy whatever its outcome (no crash, no hang, RSS, no stray files).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEBIAN_OS_RELEASE, dpkgStanza, runScanCase, type ScanCase, suiteDb } from './fixtures.js';
import { imageOfTar, rawTar, sha256, writeRawImage } from './harness.js';

const osRelease = { name: 'etc/os-release', data: Buffer.from(DEBIAN_OS_RELEASE) };
const status = (text: string) => ({ name: 'var/lib/dpkg/status', data: Buffer.from(text) });
const tarImage = (entries: Parameters<typeof rawTar>[0]) => (sb: { input: string }) => imageOfTar(sb.input, rawTar(entries));

const CASES: ScanCase[] = [
  {
    name: 'entry ../ escapes the root',
    build: tarImage([osRelease, { name: '../escaped.txt', data: Buffer.from('x') }]),
    expected: { kind: 'error', match: /escapes the image root/ },
  },
  {
    name: 'entry a/../../x escapes the root',
    build: tarImage([{ name: 'a/../../../out/escaped.txt', data: Buffer.from('x') }]),
    expected: { kind: 'error', match: /escapes the image root/ },
  },
  {
    name: 'absolute entry names are taken inside the root',
    build: tarImage([{ ...osRelease, name: '/etc/os-release' }, status(dpkgStanza('hello', '1.0-1'))]),
    expected: { kind: 'ok' },
    check: (rep) => {
      expect(rep.os?.id).toBe('debian');
      expect(rep.packages?.map((p) => p.name)).toEqual(['hello']);
    },
  },
  {
    name: 'symlinks pointing outside the root never reach host files',
    // The host has /etc/os-release and a dpkg status; the image must not report either.
    build: tarImage([
      { name: 'etc/os-release', type: '2', linkname: '../../../../../../etc/os-release' },
      { name: 'var/lib/dpkg/status', type: '2', linkname: '/../../../../var/lib/dpkg/status' },
      { name: 'usr/lib/os-release', type: '2', linkname: '/etc/os-release' },
    ]),
    // The dpkg status is a link to nothing in the image: a package db that cannot be read is an
    // incomplete scan (exit 2), never a pass with 0 packages.
    expected: { kind: 'incomplete', match: /var\/lib\/dpkg\/status \(dpkg\) was not read \(link/ },
    check: (rep) => {
      expect(rep.os).toBeUndefined();
      expect(rep.packages ?? []).toEqual([]);
    },
  },
  {
    name: 'symlink loops end with a warning',
    build: tarImage([
      { name: 'etc/a', type: '2', linkname: 'b' },
      { name: 'etc/b', type: '2', linkname: 'a' },
      { name: 'etc/os-release', type: '2', linkname: 'a' },
      { name: 'var/lib/dpkg', type: '2', linkname: 'dpkg' },
      status(dpkgStanza('hello', '1.0-1')),
    ]),
    expected: { kind: 'ok' },
  },
  {
    name: 'hard link to a missing target',
    build: tarImage([{ name: 'etc/os-release', type: '1', linkname: 'etc/nowhere' }, status(dpkgStanza('hello', '1.0-1'))]),
    // The packages are read; with no os-release they cannot be matched (os-unknown): exit 2.
    expected: { kind: 'incomplete', match: /os-unknown/ },
    check: (rep) => expect(rep.packages?.map((p) => p.name)).toEqual(['hello']),
  },
  {
    name: 'hard link escaping the root',
    build: tarImage([{ name: 'etc/passwd', type: '1', linkname: '../../etc/passwd' }]),
    expected: { kind: 'error', match: /escapes the image root/ },
  },
  {
    name: 'a whiteout of / in a later layer',
    build: (sb) => {
      const base = rawTar([osRelease, status(dpkgStanza('hello', '1.0-1'))]);
      const wipe = rawTar([{ name: '.wh.', data: Buffer.alloc(0) }, { name: '.wh..wh..opq', data: Buffer.alloc(0) }]);
      return writeRawImage(sb.input, [
        { blob: base, diffId: sha256(base) },
        { blob: wipe, diffId: sha256(wipe) },
      ]);
    },
    expected: { kind: 'ok' },
  },
  {
    name: 'a tar header declaring 1 TiB with 10 bytes of data',
    build: tarImage([osRelease, { name: 'big.bin', size: 2 ** 40, data: Buffer.from('0123456789') }]),
    expected: { kind: 'error', match: /layer|tar|truncat/i },
  },
  {
    name: 'a wanted file declaring 8 GiB (base-256 size) with little data',
    build: tarImage([osRelease, { name: 'var/lib/dpkg/status', size: 8 * 2 ** 30, data: Buffer.from('Package: x\n') }]),
    expected: { kind: 'error', match: /layer|tar|truncat/i },
  },
  {
    name: 'invalid UTF-8 and NUL bytes in names and fields',
    build: tarImage([
      osRelease,
      { name: Buffer.from([0x65, 0x74, 0x63, 0x2f, 0xff, 0xfe, 0xc3, 0x28]), data: Buffer.from('x') },
      { name: Buffer.from('etc/x\0hidden/../../../escape'), data: Buffer.from('y') },
      {
        name: 'var/lib/dpkg/status',
        data: Buffer.concat([
          Buffer.from(dpkgStanza('hello', '1.0-1')),
          Buffer.from('Package: b\xff\xfead\0name\nStatus: install ok installed\nVersion: 1\0.0\nArchitecture: \xc3\x28\n\n', 'latin1'),
          Buffer.from(dpkgStanza('after', '2.0')),
        ]),
      },
    ]),
    expected: { kind: 'ok' },
    check: (rep) => {
      const names = rep.packages?.map((p) => p.name) ?? [];
      expect(names).toContain('hello');
      expect(names).toContain('after');
    },
  },
  {
    name: 'duplicate entries: the last one wins',
    build: tarImage([
      { name: 'etc/os-release', data: Buffer.from('ID=alpine\nVERSION_ID=3.20.0\n') },
      status(dpkgStanza('first', '1.0')),
      osRelease,
      status(dpkgStanza('second', '1.0')),
    ]),
    expected: { kind: 'ok' },
    check: (rep) => {
      expect(rep.os?.id).toBe('debian');
      expect(rep.packages?.map((p) => p.name)).toEqual(['second']);
    },
  },
  {
    name: 'manifest pointing at a missing layer blob',
    build: (sb) => {
      const t = rawTar([osRelease]);
      return writeRawImage(sb.input, [{ blobFile: { path: '', digest: sha256('not there'), size: 1234 }, diffId: sha256(t) }]);
    },
    expected: { kind: 'error', match: /missing|not found|no such/i },
  },
  {
    name: 'layer blob whose bytes do not match its digest',
    build: (sb) => {
      const t = rawTar([osRelease, status(dpkgStanza('hello', '1.0-1'))]);
      const image = imageOfTar(sb.input, t);
      const file = join(sb.input, 'blobs', 'sha256', sha256(t).slice(7));
      const tampered = Buffer.from(t);
      tampered[600] ^= 0x01; // same size, one bit flipped inside os-release's data
      writeFileSync(file, tampered);
      return image;
    },
    expected: { kind: 'error', match: /digest|sha256/i },
  },
  {
    name: 'config whose diff_id does not match the layer',
    build: (sb) => {
      const t = rawTar([osRelease]);
      const gz = gzipSync(t);
      return writeRawImage(sb.input, [{ blob: gz, diffId: sha256('other'), compression: 'gzip' }]);
    },
    expected: { kind: 'error', match: /diff_id/i },
  },
  {
    name: 'manifest JSON that is not JSON',
    build: (sb) => {
      const image = imageOfTar(sb.input, rawTar([osRelease]));
      const index = JSON.parse(readFileSync(join(sb.input, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      const file = join(sb.input, 'blobs', 'sha256', index.manifests[0]!.digest.slice(7));
      rmSync(file);
      writeFileSync(file, '{"schemaVersion": 2, "layers": [');
      return image;
    },
    expected: { kind: 'error' },
  },
  {
    name: 'a 50 MB single-line dpkg status',
    build: (sb) => {
      const line = Buffer.alloc(50 * 1024 * 1024, 0x61);
      Buffer.from('Package: ').copy(line, 0);
      return imageOfTar(sb.input, rawTar([osRelease, { name: 'var/lib/dpkg/status', data: line }]));
    },
    expected: { kind: 'ok' },
    timeoutMs: 60_000,
  },
  {
    name: 'a dpkg package with a 10,000-digit version is matched correctly',
    build: tarImage([
      osRelease,
      status(dpkgStanza('bigver', `1.${'9'.repeat(9_999)}8`) + dpkgStanza('bigver2', `1.${'9'.repeat(10_000)}`, 'Source: bigver\n')),
    ]),
    expected: { kind: 'ok' },
    check: (rep) => {
      // fixed = 1.(10,000 nines): 1.(9,999 nines)8 is below it (affected); equal is fixed.
      expect(rep.findings?.map((f) => `${f.id} ${f.package.name}`)).toEqual(['DEBIAN-CVE-2099-0002 bigver']);
    },
  },
];

describe('hostile images through the real CLI', () => {
  const db = suiteDb('hostile-images');

  for (const c of CASES) {
    it.concurrent(c.name, async () => {
      await runScanCase(c, db.db);
    }, 120_000);
  }
});

// Property-based robustness of the layer walker (fast-check, fixed seeds, bounded runs): valid small
// layer tars (built with tar-stream: dpkg status, apk db, os-release, npm/python manifests, a fake
// jar and ELF, links, whiteouts, a pax long name) are mutated — bytes flipped (anywhere, or in the
// header fields: name, size, checksum, type, magic), truncated, bytes inserted or deleted, blocks
// overwritten — and read by walkLayer with the REAL catalogers, and by inventoryImage (walk + every
// cataloger's parse). The only acceptable outcomes: a result (with warnings), or an ImageError /
// PortcullisError with a one-line message. Never another exception, never a hang (each case runs
// under a timeout). Seed 1101 first found two walker hangs here (a directory entry declaring a
// size; a size field tar-stream decodes as null), fixed in walk-layer.ts (5a7563d).
import { Readable } from 'node:stream';
import fc from 'fast-check';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortcullisError } from '../../src/errors.js';
import type { Image, Layer } from '../../src/model/image.js';
import { inventoryImage } from '../../src/inventory/inventory.js';
import { CATALOGERS } from '../../src/inventory/registry.js';
import { walkLayer } from '../../src/inventory/walk-layer.js';
import { figures } from './harness.js';

const CASE_TIMEOUT_MS = Number(process.env.PROPERTIES_CASE_TIMEOUT_MS ?? 10_000);

interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  body?: string | Buffer;
}

const DPKG_STATUS = [
  'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc (2.36-9)\nVersion: 2.36-9+deb12u4\nDepends: libgcc-s1\nDescription: GNU C Library\n shared libraries\n',
  'Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n',
  'Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n',
].join('\n');
const APK_INSTALLED = 'C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nL:MIT\nD:so:libc.musl-x86_64.so.1\nF:lib\nR:ld-musl-x86_64.so.1\n\nP:busybox\nV:1.36.1-r15\nA:x86_64\nD:musl>=1.2\n';
const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12"\n';
const PACKAGE_JSON = JSON.stringify({ name: 'left-pad', version: '1.3.0', license: 'WTFPL' });
const PY_METADATA = 'Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache-2.0\n\nbody\n';
// A "jar" that is a zip local-file header and then garbage, and an ELF header and then garbage:
// the java and Go catalogers' distill() see broken archives / binaries.
const FAKE_JAR = Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'), Buffer.alloc(200, 0x41)]);
const FAKE_ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(600, 0x00), Buffer.from('\xff Go buildinf:', 'latin1'), Buffer.alloc(100, 0x07)]);

const BASE_ENTRIES: Entry[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/os-release', body: OS_RELEASE },
  { name: 'var/lib/dpkg/status', body: DPKG_STATUS },
  { name: 'var/lib/dpkg/status.d/base', body: 'Package: base-files\nVersion: 12.4\nArchitecture: amd64\n' },
  { name: 'lib/apk/db/installed', body: APK_INSTALLED },
  { name: 'usr/lib/node_modules/left-pad/package.json', body: PACKAGE_JSON },
  { name: 'usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA', body: PY_METADATA },
  { name: 'opt/app/lib/app.jar', body: FAKE_JAR },
  { name: 'usr/local/bin/tool', body: FAKE_ELF },
  { name: 'usr/bin/sh', type: 'symlink', linkname: '../../bin/busybox' },
  { name: 'usr/lib/os-release', type: 'link', linkname: 'etc/os-release' },
  { name: 'var/cache/.wh.old', body: '' },
  { name: 'opt/.wh..wh..opq', body: '' },
  { name: `opt/${'deep/'.repeat(30)}long-name-needs-a-pax-header.txt`, body: 'x' },
];

/** A tar of `entries`, written by tar-stream (so it is a valid tar to start from). */
async function buildTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const ended = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = e.body === undefined ? undefined : Buffer.isBuffer(e.body) ? e.body : Buffer.from(e.body);
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, type, mode: type === 'directory' ? 0o755 : 0o644, mtime: new Date(0), ...(e.linkname ? { linkname: e.linkname } : {}) };
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (type === 'file') pack.entry({ ...header, size: body?.length ?? 0 }, body ?? Buffer.alloc(0), cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** Offsets of every 512-byte header block (walking the valid tar's size fields). */
function headerOffsets(t: Buffer): number[] {
  const out: number[] = [];
  for (let off = 0; off + 512 <= t.length; ) {
    const block = t.subarray(off, off + 512);
    if (block.every((b) => b === 0)) break;
    out.push(off);
    const size = parseInt(block.subarray(124, 136).toString('latin1').replace(/\0.*$/, '').trim() || '0', 8);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

type Mutation =
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'header'; entry: number; field: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'block'; at: number; bytes: Uint8Array };

// Header field offsets: name, mode, size (124..135), mtime, checksum (148..155), typeflag (156),
// linkname, magic (257..262), version, prefix (345..).
const HEADER_FIELDS = [0, 5, 99, 100, 124, 125, 130, 134, 135, 136, 148, 150, 155, 156, 157, 257, 262, 263, 345, 400];
const interesting = fc.constantFrom(0x00, 0x20, 0x30, 0x37, 0x39, 0x2f, 0x2e, 0x4c, 0x4b, 0x78, 0x67, 0x80, 0xff);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('header' as const), entry: fc.nat(), field: fc.constantFrom(...HEADER_FIELDS), value: fc.oneof(interesting, fc.integer({ min: 0, max: 255 })) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 700 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 700 }) }),
  fc.record({ kind: fc.constant('block' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 512, maxLength: 512 }) }),
);

function applyMutations(base: Buffer, headers: number[], ms: Mutation[]): Buffer {
  let b = Buffer.from(base);
  for (const m of ms) {
    const at = (n: number) => (b.length === 0 ? 0 : n % b.length);
    switch (m.kind) {
      case 'flip':
        if (b.length) b[at(m.at)] = m.value;
        break;
      case 'header': {
        const pos = headers[m.entry % headers.length]! + m.field;
        if (pos < b.length) b[pos] = m.value;
        break;
      }
      case 'truncate':
        b = b.subarray(0, at(m.at));
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at(m.at)), m.bytes, b.subarray(at(m.at))]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at(m.at)), b.subarray(at(m.at) + m.count)]);
        break;
      case 'block': {
        const p = at(m.at) - (at(m.at) % 512);
        b = Buffer.concat([b.subarray(0, p), m.bytes, b.subarray(p + 512)]);
        break;
      }
    }
  }
  return b;
}

/**
 * Recomputes the checksum of every block that looks like a ustar header, so mutated header fields
 * get past tar-stream's checksum test and reach the code behind it.
 */
function fixChecksums(b: Buffer): Buffer {
  const out = Buffer.from(b);
  for (let off = 0; off + 512 <= out.length; off += 512) {
    if (out.toString('latin1', off + 257, off + 262) !== 'ustar') continue;
    out.fill(0x20, off + 148, off + 156);
    let sum = 0;
    for (let i = off; i < off + 512; i++) sum += out[i]!;
    out.write(`${sum.toString(8).padStart(6, '0')}\0 `, off + 148, 'latin1');
  }
  return out;
}

/** The bytes as a stream in chunks of the given sizes (the parser must not care where chunks end). */
function streamOf(bytes: Buffer, chunkSizes: number[]): Readable {
  const chunks: Buffer[] = [];
  let off = 0;
  for (let i = 0; off < bytes.length; i++) {
    const n = chunkSizes.length ? Math.max(1, chunkSizes[i % chunkSizes.length]!) : bytes.length;
    chunks.push(bytes.subarray(off, off + n));
    off += n;
  }
  return Readable.from(chunks, { objectMode: false });
}

/** The input being tried, for the hang message (fast-check prints the shrunk one too). */
let current = '';

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`HANG: ${what} did not settle in ${CASE_TIMEOUT_MS} ms on ${current}`)), CASE_TIMEOUT_MS)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Settles `p`; a rejection must be a PortcullisError (ImageError is one) with a one-line message. */
/** Outcomes per property, printed so a run shows the inputs reached both branches. */
const tally: Record<string, { results: number; errors: number; withWarnings: number}> = {};
const count = (what: string) => (tally[what] ??= { results: 0, errors: 0, withWarnings: 0 });

async function outcome<T extends { warnings: unknown[] }>(p: Promise<T>, what: string): Promise<T | undefined> {
  try {
    const r = await withTimeout(p, what);
    count(what).results++;
    if (r.warnings.length > 0) count(what).withWarnings++;
    return r;
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('HANG:')) throw err;
    count(what).errors++;
    if (process.env.PROPERTIES_SHOW_ERRORS) console.log(what, (err as Error).message);
    expect(err, `${what}: ${String((err as Error)?.stack ?? err)}`).toBeInstanceOf(PortcullisError);
    expect((err as Error).message, 'one-line message').not.toContain('\n');
    return undefined;
  }
}

function memoryLayer(index: number, bytes: Buffer, chunkSizes: number[]): Layer {
  const digest = `sha256:${index.toString(16).padStart(64, '0')}`;
  return { index, digest, diffId: digest, mediaType: 'application/vnd.oci.image.layer.v1.tar', size: bytes.length, open: async () => streamOf(bytes, chunkSizes) };
}

function memoryImage(layers: Layer[]): Image {
  return {
    metadata: { source: 'memory', sourceType: 'memory', configDigest: `sha256:${'c'.repeat(64)}`, tags: [], config: { os: 'linux', architecture: 'amd64', env: [], labels: {}, history: [] } },
    layers,
    close: async () => undefined,
  };
}

const chunking = fc.array(fc.integer({ min: 1, max: 2048 }), { maxLength: 4 });

describe('properties: mutated layer tars through the walker and catalogers', () => {
  let base: Buffer;
  let headers: number[];
  beforeAll(async () => {
    base = await buildTar(BASE_ENTRIES);
    headers = headerOffsets(base);
  });
  afterAll(() => figures('properties-tar', tally));

  it('the unmutated layer is read as built (control)', async () => {
    const delta = await walkLayer(streamOf(base, []), CATALOGERS, 'layer 0');
    const paths = delta.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['/var/lib/dpkg/status', '/lib/apk/db/installed', '/usr/lib/node_modules/left-pad/package.json']));
    expect(delta.whiteouts).toContain('/var/cache/old');
    expect(delta.opaqueDirs).toContain('/opt');
    expect(headers.length).toBeGreaterThanOrEqual(BASE_ENTRIES.length);
    const inv = await inventoryImage(memoryImage([memoryLayer(0, base, [])]));
    expect(inv.os?.id).toBe('debian');
    expect(inv.packages.map((p) => `${p.foundBy}:${p.name}`)).toEqual(expect.arrayContaining(['dpkg:libc6', 'dpkg:zlib1g', 'dpkg:base-files', 'apk:musl', 'apk:busybox']));
  });

  it('walkLayer on mutated tars (seed 1101, 2000 runs): a LayerDelta or an ImageError, never a hang', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 5 }), fc.boolean(), chunking, async (ms, fix, chunks) => {
        current = JSON.stringify({ ms, fix, chunks });
        const mutated = applyMutations(base, headers, ms);
        const bytes = fix ? fixChecksums(mutated) : mutated;
        const delta = await outcome(walkLayer(streamOf(bytes, chunks), CATALOGERS, 'layer 0'), fix ? 'walkLayer-mutated+checksums' : 'walkLayer-mutated');
        if (!delta) return;
        for (const k of ['files', 'whiteouts', 'opaqueDirs', 'links', 'dropped', 'warnings'] as const) expect(Array.isArray(delta[k])).toBe(true);
        for (const f of delta.files) expect(f.path.startsWith('/')).toBe(true);
      }),
      { seed: 1101, numRuns: 2000, endOnFailure: !!process.env.PROPERTIES_NO_SHRINK },
    );
  }, 120_000);

  it('walkLayer on random bytes and on a valid header followed by random bytes (seed 1102, 1000 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.uint8Array({ maxLength: 4096 }), chunking, async (keepHeader, random, chunks) => {
        const bytes = keepHeader ? Buffer.concat([base.subarray(0, 512), random]) : Buffer.from(random);
        await outcome(walkLayer(streamOf(bytes, chunks), CATALOGERS, 'layer 0'), keepHeader ? 'walkLayer-header+random' : 'walkLayer-random');
      }),
      { seed: 1102, numRuns: 1000 },
    );
  }, 120_000);

  it('inventoryImage (walk + every cataloger parse) on a valid base layer under a mutated one (seed 1103, 1000 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), chunking, async (ms, chunks) => {
        current = JSON.stringify({ ms, chunks });
        const bytes = fixChecksums(applyMutations(base, headers, ms));
        const inv = await outcome(inventoryImage(memoryImage([memoryLayer(0, base, []), memoryLayer(1, bytes, chunks)])), 'inventoryImage');
        if (!inv) return;
        for (const p of inv.packages) {
          expect(typeof p.name === 'string' && p.name !== '', `package name in ${JSON.stringify(p)}`).toBe(true);
          expect(typeof p.version).toBe('string');
        }
        for (const w of inv.warnings) expect(typeof w.code).toBe('string');
      }),
      { seed: 1103, numRuns: 1000, endOnFailure: !!process.env.PROPERTIES_NO_SHRINK },
    );
  }, 120_000);
});

// Decompression bombs and scale through the real CLI: a ≥ 2 GiB gzip bomb layer, zip-bomb jars,
// jars nested 100 deep, a million empty files, all bounded in time and in RSS (≤ 300 MiB).
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEBIAN_OS_RELEASE, runScanCase, suiteDb } from './fixtures.js';
import { rawTar, sha256, writeRawImage } from './harness.js';
import { nestedJar, pomProperties, writeGzipBomb, writeManyFilesTar, zipOf } from './bombs.js';

const GiB = 2 ** 30;
const osRelease = { name: 'etc/os-release', data: Buffer.from(DEBIAN_OS_RELEASE) };
// 1,000,000 by default; HARDENING_FILES scales it (CI on 2 slow cores may set 200000).
const MANY = Number(process.env.HARDENING_FILES ?? 1_000_000);
const seen: Record<string, unknown> = {};

/** Moves a blob file written at `tmp` into the layout's blob store under its digest. */
function adopt(dir: string, tmp: string, digest: string): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  renameSync(tmp, join(dir, 'blobs', 'sha256', digest.slice(7)));
}

describe('bombs and scale through the real CLI', () => {
  const db = suiteDb('bombs', () => ({ ...seen }));

  it('a gzip bomb layer (2 GiB + of zeros from ~2 MB) is streamed, bounded in time and memory', async () => {
    let info: ReturnType<typeof writeGzipBomb> | undefined;
    const r = await runScanCase(
      {
        name: 'gzip bomb',
        timeoutMs: 180_000,
        build: (sb) => {
          const base = rawTar([osRelease]);
          const tmp = join(sb.input, 'bomb.gz');
          // One unwanted 1 GiB file and a wanted one (dpkg status) over the size limit.
          info = writeGzipBomb(tmp, [
            { name: 'big/zeros.bin', bytes: GiB },
            { name: 'var/lib/dpkg/status', bytes: GiB + 512 },
          ]);
          adopt(sb.input, tmp, info.digest);
          return writeRawImage(sb.input, [
            { blob: base, diffId: sha256(base) },
            { blobFile: { path: '', digest: info.digest, size: info.size }, diffId: info.diffId, compression: 'gzip' },
          ]);
        },
        // The dpkg status is over its size limit: an OS package db not read is an incomplete scan.
        expected: { kind: 'incomplete', match: /var\/lib\/dpkg\/status \(dpkg\) was not read \(too-large/ },
        check: (rep) => expect((rep.warnings ?? []).map((w) => w.code)).toContain('walker.file-too-large'),
      },
      db.db,
    );
    expect(info!.uncompressed).toBeGreaterThanOrEqual(2 * GiB);
    seen.gzipBomb = { compressedBytes: info!.size, uncompressedBytes: info!.uncompressed, ms: r.ms, maxRssMb: Math.round(r.maxRssMb) };
  }, 240_000);

  it('a zip-bomb jar: nested entries inflating to 1.5 GiB stop at the inflation budget', async () => {
    const zeros = Buffer.alloc(150 * 1024 * 1024);
    const entries = [{ name: 'META-INF/maven/org.bomb/bomb/pom.properties', data: pomProperties('org.bomb', 'bomb', '1.0') }];
    const jar = await zipOf([
      ...entries,
      ...Array.from({ length: 10 }, (_, i) => ({ name: `lib/bomb-${i}.jar`, data: zeros })),
    ]);
    const r = await runScanCase(
      {
        name: 'zip bomb jar',
        timeoutMs: 120_000,
        build: (sb) => {
          const t = rawTar([osRelease, { name: 'app/bomb.jar', data: jar }]);
          return writeRawImage(sb.input, [{ blob: t, diffId: sha256(t) }]);
        },
        extraArgs: ['--allow-uncovered'],
        expected: { kind: 'warn', code: /^java\./ },
        // The java cataloger stops reading an archive that blows its inflation budget (a warning).
        check: (rep) => expect(JSON.stringify(rep.warnings)).toMatch(/bomb|limit|budget/),
      },
      db.db,
    );
    seen.zipBomb = { jarBytes: jar.length, inflatesTo: 10 * zeros.length, ms: r.ms, maxRssMb: Math.round(r.maxRssMb) };
  }, 240_000);

  it('jars nested 100 deep: read to the depth limit, with a warning', async () => {
    const jar = await nestedJar(100);
    const r = await runScanCase(
      {
        name: 'jars nested 100 deep',
        build: (sb) => {
          const t = rawTar([osRelease, { name: 'app/deep.jar', data: jar }]);
          return writeRawImage(sb.input, [{ blob: t, diffId: sha256(t) }]);
        },
        // The DB holds Debian data only: the Maven packages are accepted as not covered.
        extraArgs: ['--allow-uncovered'],
        expected: { kind: 'warn', code: /^java\.nesting$/ },
        check: (rep) => {
          const names = (rep.packages ?? []).map((p) => p.name);
          expect(names).toContain('org.deep:level-0');
          expect(names).not.toContain('org.deep:level-bottom');
        },
      },
      db.db,
    );
    seen.nestedJars = { depth: 100, ms: r.ms, maxRssMb: Math.round(r.maxRssMb) };
  }, 120_000);

  it(`${MANY.toLocaleString('en')} empty files in one layer: the walk stays bounded`, async () => {
    const r = await runScanCase(
      {
        name: 'many files',
        timeoutMs: 120_000,
        build: (sb) => {
          const tmp = join(sb.input, 'many.tar');
          // A Debian with nothing installed (an empty dpkg status) and a million other files.
          const t = writeManyFilesTar(tmp, MANY, [osRelease, { name: 'var/lib/dpkg/status', data: Buffer.alloc(0) }]);
          adopt(sb.input, tmp, t.digest);
          return writeRawImage(sb.input, [{ blobFile: { path: '', digest: t.digest, size: t.size }, diffId: t.digest }]);
        },
        expected: { kind: 'ok' },
        check: (rep) => expect(rep.os?.id).toBe('debian'),
      },
      db.db,
    );
    expect(r.ms).toBeLessThan(60_000);
    seen.manyFiles = { files: MANY, ms: r.ms, maxRssMb: Math.round(r.maxRssMb) };
  }, 240_000);
});

// Layers (tar, gzip, zstd) truncated at ~30 offsets each, through the real CLI. A truncated blob
// no longer matches its digest, so the honest outcome is a one-line exit 2; to exercise the
// decompressors and the tar reader on short input (not just the digest check), the descriptor is
// rewritten to describe the truncated bytes (so only diff_id / the formats can notice).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'vitest';
import { DEBIAN_OS_RELEASE, dpkgStanza, runScanCase, suiteDb } from './fixtures.js';
import { rawTar, sha256, writeRawImage } from './harness.js';

const TAR = rawTar([
  { name: 'etc/os-release', data: Buffer.from(DEBIAN_OS_RELEASE) },
  { name: 'var/lib/dpkg/status', data: Buffer.from(Array.from({ length: 200 }, (_, i) => dpkgStanza(`pkg${i}`, `1.${i}-1`)).join('')) },
  { name: 'usr/share/doc/readme', data: Buffer.alloc(20_000, 0x61) },
]);
const FORMS = {
  none: TAR,
  gzip: gzipSync(TAR),
  zstd: execFileSync('zstd', ['-q', '-c', '-3'], { input: TAR }),
} as const;
const OFFSETS = 30;

/** ~30 offsets spread over the blob, always including the first bytes and the last byte. */
function offsets(len: number): number[] {
  const set = new Set<number>([0, 1, 2, 4, 10, len - 1]);
  for (let i = 1; set.size < OFFSETS; i++) set.add(Math.floor((len * i) / (OFFSETS - 5)) % len);
  return [...set].sort((a, b) => a - b);
}

describe('truncated layers through the real CLI', () => {
  const db = suiteDb('truncation', () => ({ offsetsPerForm: OFFSETS, forms: Object.keys(FORMS) }));

  for (const [form, blob] of Object.entries(FORMS) as [keyof typeof FORMS, Buffer][]) {
    const cuts = offsets(blob.length);
    it.concurrent(`${form}: truncated at ${cuts.length} offsets, descriptor honest about the short blob`, async () => {
      for (const cut of cuts) {
        const short = blob.subarray(0, cut);
        await runScanCase(
          {
            name: `${form} cut at ${cut}/${blob.length}`,
            // diff_id stays that of the whole tar: whatever the short blob yields cannot match it.
            build: (sb) => writeRawImage(sb.input, [{ blob: short, diffId: sha256(TAR), compression: form }]),
            expected: { kind: 'error' },
          },
          db.db,
        );
      }
    }, 300_000);
    it.concurrent(`${form}: truncated blob under the original descriptor (digest and size check)`, async () => {
      for (const cut of cuts.filter((_, i) => i % 5 === 0)) {
        await runScanCase(
          {
            name: `${form} cut at ${cut} (original descriptor)`,
            build: (sb) => {
              const image = writeRawImage(sb.input, [{ blob: blob.subarray(0, cut), diffId: sha256(TAR), compression: form }], {
                mutateManifest: (m) => {
                  m.layers[0]!.digest = sha256(blob);
                  m.layers[0]!.size = blob.length;
                },
              });
              // The short bytes stored under the whole blob's name, as a cut-off download leaves them.
              writeFileSync(join(sb.input, 'blobs', 'sha256', sha256(blob).slice(7)), blob.subarray(0, cut));
              return image;
            },
            expected: { kind: 'error' },
          },
          db.db,
        );
      }
    }, 300_000);
  }
});

// The Debian test image grown about tenfold with filler layers (for the flat-memory check).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cachedFixture } from '../../test/fixtures/cache.js';
import type { DebianImageFixture } from '../../test/fixtures/debian-image.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./big-image.sh', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const DEBIAN_SCRIPT = fileURLToPath(new URL('../../test/fixtures/debian-image.sh', import.meta.url));

/** 9 filler layers of 170 MiB each on top of the ~170 MiB base: ~10x the uncompressed size. */
export async function bigDebianImage(base: DebianImageFixture): Promise<{ ociRef: string; dockerArchive: string }> {
  const dir = await cachedFixture('debian-image-10x', [SCRIPT, SELF, DEBIAN_SCRIPT], async (out) => {
    await run('sh', [SCRIPT, base.ociDir, out, '9', '170'], { timeout: 60 * 60_000, maxBuffer: 64 * 1024 * 1024 });
  });
  return { ociRef: `${join(dir, 'oci')}:test`, dockerArchive: join(dir, 'image.tar') };
}

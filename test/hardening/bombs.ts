// Generators of big hostile inputs, streamed (never the whole thing in memory): a gzip bomb layer
// (concatenated gzip members of zeros), zip-bomb jars (yazl), jars nested N deep, a tar of a
// million empty files written to a file in batches.
import { createHash } from 'node:crypto';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { zipOf } from '../helpers/zip.js';
import { rawTar, sha256, tarHeader } from './harness.js';

/**
 * A gzip layer whose tar holds `files` entries of `bytesEach` zeros. Gzip members concatenate:
 * one member of 64 MiB of zeros is compressed once and repeated, so 2 GiB costs ~2 MB and a second.
 */
export function writeGzipBomb(path: string, files: { name: string; bytes: number }[]): { digest: string; size: number; diffId: string; uncompressed: number } {
  const CHUNK = 64 * 1024 * 1024;
  const zeros = Buffer.alloc(CHUNK);
  const zerosGz = gzipSync(zeros, { level: 9 });
  const fd = openSync(path, 'w');
  const blobHash = createHash('sha256');
  const tarHash = createHash('sha256');
  let uncompressed = 0;
  const put = (gz: Buffer, raw: Buffer | null, rawLen: number) => {
    writeSync(fd, gz);
    blobHash.update(gz);
    if (raw) tarHash.update(raw);
    uncompressed += rawLen;
  };
  const zerosRaw = (n: number) => {
    for (let left = n; left > 0; left -= CHUNK) {
      if (left >= CHUNK) {
        put(zerosGz, zeros, CHUNK);
      } else {
        const tail = Buffer.alloc(left);
        put(gzipSync(tail), tail, left);
      }
    }
  };
  for (const f of files) {
    if (f.bytes % 512 !== 0) throw new Error('bomb entries are whole tar blocks');
    const h = tarHeader({ name: f.name, size: f.bytes });
    put(gzipSync(h), h, 512);
    zerosRaw(f.bytes);
  }
  zerosRaw(1024); // end of archive
  closeSync(fd);
  return { digest: `sha256:${blobHash.digest('hex')}`, size: statSync(path).size, diffId: `sha256:${tarHash.digest('hex')}`, uncompressed };
}

export { zipOf };

export function pomProperties(group: string, artifact: string, version: string): Buffer {
  return Buffer.from(`groupId=${group}\nartifactId=${artifact}\nversion=${version}\n`);
}

/** A jar nested `depth` levels deep: each level holds the next as `lib/level-N.jar` plus its own pom.properties. */
export async function nestedJar(depth: number): Promise<Buffer> {
  let inner = await zipOf([{ name: 'META-INF/maven/org.deep/level-bottom/pom.properties', data: pomProperties('org.deep', 'level-bottom', '1.0') }]);
  for (let i = depth - 1; i >= 0; i--) {
    inner = await zipOf([
      { name: `META-INF/maven/org.deep/level-${i}/pom.properties`, data: pomProperties('org.deep', `level-${i}`, '1.0') },
      { name: `lib/level-${i + 1}.jar`, data: inner, compress: false },
    ]);
  }
  return inner;
}

/**
 * Writes an uncompressed tar of `count` empty files (`d/NNN/fNNNNNNN`), in batches, plus an
 * os-release; returns its digest. 512 bytes per entry.
 */
export function writeManyFilesTar(path: string, count: number, extra: Parameters<typeof rawTar>[0] = []): { digest: string; size: number } {
  const fd = openSync(path, 'w');
  const hash = createHash('sha256');
  const write = (b: Buffer) => {
    writeSync(fd, b);
    hash.update(b);
  };
  write(rawTar(extra, { end: false }));
  const BATCH = 4096;
  for (let i = 0; i < count; i += BATCH) {
    const n = Math.min(BATCH, count - i);
    const buf = Buffer.alloc(n * 512);
    for (let j = 0; j < n; j++) tarHeader({ name: `d/${Math.floor((i + j) / 1000)}/f${i + j}` }).copy(buf, j * 512);
    write(buf);
  }
  write(Buffer.alloc(1024));
  closeSync(fd);
  return { digest: `sha256:${hash.digest('hex')}`, size: statSync(path).size };
}

export { sha256 };

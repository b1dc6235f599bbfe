// Layer decompression chosen by the blob's magic bytes (compression.ts). Node 20's zlib has no
// zstd, so zstd goes through fzstd's streaming decoder.
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Decompress } from 'fzstd';
import { lazyRequire } from '../util/lazy-require.js';
import type { Compression } from './compression.js';

const fzstd = lazyRequire<typeof import('fzstd')>('fzstd');

/** Input is fed to fzstd in bounded slices so one chunk never expands unboundedly at once. */
const ZSTD_SLICE = 16 * 1024;

class ZstdDecompressStream extends Transform {
  private readonly decoder: Decompress;

  constructor() {
    super();
    // fzstd may reuse its output buffer: copy each chunk before handing it on.
    this.decoder = new (fzstd().Decompress)((data) => {
      this.push(Buffer.from(data));
    });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      for (let i = 0; i < chunk.length; i += ZSTD_SLICE) this.decoder.push(chunk.subarray(i, i + ZSTD_SLICE));
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.decoder.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

export function decompressor(kind: Compression): Transform | undefined {
  // 256 KiB output chunks: with zlib's default 16 KiB, the round trips to zlib's thread pool left
  // the main thread idle about half the time (bench/sbom.ts: 1.5x gzip -dc -> about 1.1x).
  if (kind === 'gzip') return createGunzip({ chunkSize: 256 * 1024 });
  if (kind === 'zstd') return new ZstdDecompressStream();
  return undefined;
}

// A layer blob's compression, from its magic bytes (media types lie: Docker calls gzip layers
// `.tar.gzip` even when uncompressed, and foreign tools mislabel zstd). Apart from the
// decompressors (decompress.ts) so that checking a blob's digest loads no zlib.
export type Compression = 'gzip' | 'zstd' | 'none';

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

// Public surface of the image sources.
export { resolveImageSource, type ResolveOptions } from './resolve.js';
export { parsePlatform, formatPlatform, normalisePlatform, platformMatches, DEFAULT_PLATFORM, type Platform } from './platform.js';
export { selectManifest, type Selector, type Candidate } from './select.js';
export { makeLayer, type LayerSpec } from './layer.js';
export { parseImageConfig } from './config.js';
export { detectCompression, type Compression } from './compression.js';
export { decompressor } from './decompress.js';
export { VerifyStream } from './verify-stream.js';
export type { Descriptor } from './descriptor.js';
export type { BlobStore } from './blob-store.js';

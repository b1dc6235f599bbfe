import type { Readable } from 'node:stream';
import type { LayerRef } from './package.js';

/** A filesystem layer of an image: read once, as a stream of the (decompressed) tar. */
export interface Layer extends LayerRef {
  mediaType: string;
  /** Compressed size as the descriptor states it (0 when unknown). */
  size: number;
  /**
   * Opens the layer as an uncompressed tar stream. The stream verifies the blob digest (and diffId
   * where known) as it is read and fails with an ImageError on mismatch, so a consumer that reads
   * to the end has only seen verified bytes once the stream ends without error.
   */
  open(): Promise<Readable>;
  /**
   * Checks the stored bytes against the layer's digests without parsing them (a layer-cache hit
   * is trusted only for bytes that hash to the digests the entry was made from): a sequential
   * read and a hash of the stored blob, no decompression. Rejects with an ImageError on mismatch.
   * Optional: for a source without it the cache drains `open()` instead (slower, as safe).
   */
  verify?(): Promise<void>;
  /**
   * Where the stored blob lies on disk and what its bytes must hash to: plain data from which
   * another thread opens the same verified stream (openLayerFile in src/image/layer.ts). Absent or
   * undefined for a source whose bytes cannot be re-opened by path (registry, daemon stream).
   */
  fileSource?(): Promise<LayerFileSource | undefined>;
  /**
   * The same verified tar as open(), pulled chunk by chunk, for a source that rebuilds it into one
   * reused buffer (a layer stored as files: tar-split). The consumer is done with a chunk when it
   * asks for the next and copies what it keeps; the iteration ends normally only when every check
   * passed, else it throws the ImageError open()'s stream would fail with.
   */
  chunks?(): Promise<AsyncIterable<Buffer>>;
}

/** A layer blob on disk and its claims, as plain data (see Layer.fileSource). */
export interface LayerFileSource {
  path: string;
  /** Byte offset of the blob in `path` and its stored size (> 0). */
  start: number;
  size: number;
  digest: string;
  diffId: string;
  verifyBlobDigest: boolean;
  /** Whether the blob is compressed (by its magic bytes): the walker threads only plain tar by default. */
  compressed: boolean;
  /** The layer in errors (`layer 2 (blobs/sha256/…)`) and the archive or directory they are about. */
  label: string;
  subject: string;
}

export interface HistoryStep {
  created?: string;
  createdBy?: string;
  comment?: string;
  emptyLayer: boolean;
  /** Index of the filesystem layer this step made, when it made one. */
  layerIndex?: number;
}

export interface ImageConfig {
  os: string;
  architecture: string;
  variant?: string;
  user?: string;
  env: string[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  exposedPorts?: string[];
  labels: Record<string, string>;
  created?: string;
  history: HistoryStep[];
}

export interface ImageMetadata {
  /** What the user named (path, reference). */
  source: string;
  /** docker-archive | oci | oci-archive | registry */
  sourceType: string;
  /** Manifest digest where there is one (OCI, registry); docker-archive: config digest. */
  manifestDigest?: string;
  configDigest: string;
  /** Tags / ref names the source recorded for the image. */
  tags: string[];
  /** e.g. `registry.example.com/team/app` when known (registry source, docker-archive RepoTags). */
  repository?: string;
  config: ImageConfig;
}

/** One layer blob as a read-once stream (a daemon's image export) delivers it. */
export interface ArrivingLayer {
  /** The blob's name in the stream (`blobs/sha256/…`, `<id>/layer.tar`). */
  name: string;
  /** Its uncompressed tar; must be read to the end before the next arrival is asked for. */
  stream: Readable;
}

/**
 * Layers that can only be read together, in the order a stream carries them, which need not be
 * layer order (a `docker save` stream names the order in manifest.json, at its end). The reader
 * walks each arrival as it comes; only `finish()` says which arrival is which layer, after checking
 * every arrival's digests against the verified config: nothing read is trusted before it resolves.
 */
export interface StreamedLayers {
  arrivals(): AsyncIterable<ArrivingLayer>;
  /**
   * After every arrival was read: verifies them, updates the image's `metadata` and `layers` in place,
   * and returns, per layer index, the name of the arrival that holds it.
   */
  finish(): Promise<string[]>;
}

/** An opened image: metadata plus its layers in order (base first). */
export interface Image {
  metadata: ImageMetadata;
  layers: Layer[];
  /**
   * Set when the layers arrive in one read-once stream: the walker reads them through this and
   * never calls `Layer.open()`. `metadata` and `layers` are provisional until `finish()` resolves.
   */
  streamed?: StreamedLayers;
  /** Releases file handles, sockets, temp state. Always called, also on error. */
  close(): Promise<void>;
}

/** Something that can be opened as an Image (a path, a layout, a registry reference). */
export interface ImageSource {
  readonly description: string;
  open(): Promise<Image>;
}

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

/** An opened image: metadata plus its layers in order (base first). */
export interface Image {
  metadata: ImageMetadata;
  layers: Layer[];
  /** Releases file handles, sockets, temp state. Always called, also on error. */
  close(): Promise<void>;
}

/** Something that can be opened as an Image (a path, a layout, a registry reference). */
export interface ImageSource {
  readonly description: string;
  open(): Promise<Image>;
}

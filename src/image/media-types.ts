// Media types portcullis understands, and how a descriptor's media type is classified.

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_SCHEMA1 = [
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
];
/** What a docker-archive layer is when nothing better is known. */
export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';

export type ManifestKind = 'index' | 'manifest';

/** index / manifest / undefined (unknown, decide from the content); throws for schema1 callers check. */
export function manifestKind(mediaType: string | undefined): ManifestKind | 'schema1' | 'unknown' {
  if (mediaType === undefined || mediaType === '') return 'unknown';
  if (mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST) return 'index';
  if (mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST) return 'manifest';
  if (DOCKER_SCHEMA1.includes(mediaType)) return 'schema1';
  return 'unknown';
}

export function isConfigMediaType(mediaType: string | undefined): boolean {
  return mediaType === undefined || mediaType === OCI_CONFIG || mediaType === DOCKER_CONFIG;
}

/**
 * Filesystem layer media types (OCI, Docker, their non-distributable / foreign variants). The
 * compression itself is detected from the blob's magic bytes, not from this string.
 */
export function isLayerMediaType(mediaType: string): boolean {
  return (
    /^application\/vnd\.oci\.image\.layer\.(nondistributable\.)?v1\.tar(\+gzip|\+zstd)?$/.test(mediaType) ||
    /^application\/vnd\.docker\.image\.rootfs\.(foreign\.)?diff\.tar(\.gzip|\.zstd)?$/.test(mediaType)
  );
}

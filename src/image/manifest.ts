// An image manifest as both OCI layouts and registries read it: verified against its descriptor,
// media types checked, then its config parsed and checked against it.
import { ImageError, PortcullisError } from '../errors.js';
import type { ImageConfig } from '../model/image.js';
import type { BlobStore } from './blob-store.js';
import type { ParsedConfig } from './config.js';
import { parseDescriptor, parseDescriptorList, type Descriptor } from './descriptor.js';
import { isConfigMediaType, isLayerMediaType, manifestKind } from './media-types.js';
import { formatPlatform, platformMatches, type Platform } from './platform.js';
import { shownMediaType } from './select.js';
import { readVerifiedJson } from './verified-blob.js';

export interface ReadManifest {
  config: Descriptor;
  layers: Descriptor[];
}

export async function readManifest(store: BlobStore, d: Descriptor): Promise<ReadManifest> {
  const where = store.location;
  const json = await readVerifiedJson(store, d, 'manifest');
  if (json.schemaVersion === 1) throw new ImageError(`unsupported Docker schema 1 manifest ${d.digest}`, { subject: where });
  const mt = typeof json.mediaType === 'string' ? json.mediaType : d.mediaType;
  const kind = manifestKind(mt);
  if (kind !== 'manifest' && kind !== 'unknown') throw new ImageError(`unsupported media type ${shownMediaType(mt ?? '')} for manifest ${d.digest}`, { subject: where });
  const config = parseDescriptor(json.config, `manifest ${d.digest} config`, where);
  if (!isConfigMediaType(config.mediaType)) {
    throw new ImageError(`unsupported config media type ${shownMediaType(config.mediaType ?? '')} in manifest ${d.digest} (not a container image)`, { subject: where });
  }
  const layers = parseDescriptorList(json.layers, `manifest ${d.digest} layers`, where);
  for (const l of layers) {
    if (l.mediaType !== undefined && !isLayerMediaType(l.mediaType)) {
      throw new ImageError(`unsupported layer media type ${shownMediaType(l.mediaType)} for ${l.digest}`, { subject: where });
    }
  }
  return { config, layers };
}

/** The platform an image config declares. */
export function configPlatform(c: ImageConfig): Platform {
  return { os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) };
}

export interface ManifestWithConfig {
  manifest: ReadManifest;
  parsed: ParsedConfig;
}

/**
 * Reads a manifest and its config once per manifest digest: platform selection may need an
 * entry's config, and the entry it selects is then read for real.
 */
export function manifestReader(
  store: BlobStore,
  readConfig: (m: ReadManifest) => Promise<ParsedConfig>,
): (d: Descriptor) => Promise<ManifestWithConfig> {
  const seen = new Map<string, Promise<ManifestWithConfig>>();
  return (d) => {
    let p = seen.get(d.digest);
    if (!p) {
      p = (async () => {
        const manifest = await readManifest(store, d);
        return { manifest, parsed: await readConfig(manifest) };
      })();
      seen.set(d.digest, p);
    }
    return p;
  };
}

/** The selected image's config must describe its manifest's layers, and the platform asked for. */
export function checkSelectedImage(
  { manifest, parsed }: ManifestWithConfig,
  manifestDigest: string,
  wanted: Platform | undefined,
  where: string,
  source: string,
): void {
  if (parsed.diffIds.length !== manifest.layers.length) {
    throw new ImageError(`manifest ${manifestDigest} has ${manifest.layers.length} layers but its config lists ${parsed.diffIds.length} diff_ids`, { subject: where });
  }
  const actual = configPlatform(parsed.config);
  if (wanted && !platformMatches(wanted, actual)) {
    throw new PortcullisError(`the selected image is ${formatPlatform(actual)}, not ${formatPlatform(wanted)}`, { subject: source });
  }
}

// Opening a registry image: resolves a reference to one image manifest (an index is narrowed by
// the same selection rules as local layouts: select.ts / platform.ts), reads and verifies the
// manifest and config, and hands out layers that stream from the registry.
import { ImageError, PortcullisError } from '../../errors.js';
import type { Image, ImageMetadata } from '../../model/image.js';
import type { BlobStore } from '../blob-store.js';
import { parseImageConfig, parseJson } from '../config.js';
import { parseDescriptor, parseDescriptorList, type Descriptor } from '../descriptor.js';
import { digestFromPath } from '../digest.js';
import { isConfigMediaType, isLayerMediaType, manifestKind, REF_NAME_ANNOTATION } from '../media-types.js';
import { formatPlatform, platformMatches, type Platform } from '../platform.js';
import { selectManifest } from '../select.js';
import { readVerifiedJson } from '../verified-blob.js';
import { RegistryClient, type RegistryOptions } from './client.js';
import { makeRegistryLayer } from './layer.js';
import { formatReference, type RegistryReference } from './reference.js';

/**
 * Manifests and indexes of one repository seen as a BlobStore (`blobs/<alg>/<hex>` → GET
 * manifests/<digest>), so select.ts walks a registry index exactly as it walks index.json.
 * Fetched manifests are kept (they are small and read more than once).
 */
class ManifestStore implements BlobStore {
  private readonly cache = new Map<string, Buffer>();
  readonly location: string;

  constructor(private readonly client: RegistryClient) {
    this.location = formatReference(client.ref);
  }

  seed(digest: string, body: Buffer): void {
    this.cache.set(digest, body);
  }

  private async fetch(name: string): Promise<Buffer> {
    const digest = digestFromPath(name);
    if (!digest) throw new ImageError(`not a manifest name: ${name}`, { subject: this.location });
    let body = this.cache.get(digest);
    if (!body) {
      body = (await this.client.getManifest(digest)).body;
      this.cache.set(digest, body);
    }
    return body;
  }

  async size(name: string): Promise<number | undefined> {
    return (await this.fetch(name)).length;
  }

  async has(name: string): Promise<boolean> {
    return (await this.size(name)) !== undefined;
  }

  async open(): Promise<never> {
    throw new ImageError('manifests are read whole', { subject: this.location });
  }

  async read(name: string, maxBytes: number): Promise<Buffer> {
    const body = await this.fetch(name);
    if (body.length > maxBytes) throw new ImageError(`${name} is too large (${body.length} bytes, limit ${maxBytes})`, { subject: this.location });
    return body;
  }
}

interface ReadManifest {
  config: Descriptor;
  layers: Descriptor[];
}

async function readManifest(store: ManifestStore, d: Descriptor): Promise<ReadManifest> {
  const where = store.location;
  const json = await readVerifiedJson(store, d, 'manifest');
  if (json.schemaVersion === 1) throw new ImageError(`unsupported Docker schema 1 manifest ${d.digest}`, { subject: where });
  const mt = typeof json.mediaType === 'string' ? json.mediaType : d.mediaType;
  const kind = manifestKind(mt);
  if (kind !== 'manifest' && kind !== 'unknown') throw new ImageError(`unsupported media type ${mt} for manifest ${d.digest}`, { subject: where });
  const config = parseDescriptor(json.config, `manifest ${d.digest} config`, where);
  if (!isConfigMediaType(config.mediaType)) {
    throw new ImageError(`unsupported config media type ${config.mediaType} in manifest ${d.digest} (not a container image)`, { subject: where });
  }
  const layers = parseDescriptorList(json.layers, `manifest ${d.digest} layers`, where);
  for (const l of layers) {
    if (l.mediaType !== undefined && !isLayerMediaType(l.mediaType)) {
      throw new ImageError(`unsupported layer media type ${l.mediaType} for ${l.digest}`, { subject: where });
    }
  }
  return { config, layers };
}

export async function openRegistryImage(source: string, ref: RegistryReference, platform: Platform | undefined, opts: RegistryOptions): Promise<Image> {
  const client = new RegistryClient(ref, opts);
  try {
    const store = new ManifestStore(client);
    const where = store.location;
    const top = await client.getManifest(ref.digest ?? ref.tag!);
    store.seed(top.digest, top.body);
    const topDesc: Descriptor = {
      digest: top.digest,
      size: top.body.length,
      ...(top.mediaType ? { mediaType: top.mediaType } : {}),
      annotations: ref.tag !== undefined ? { [REF_NAME_ANNOTATION]: ref.tag } : {},
    };
    const configOf = async (m: ReadManifest) =>
      parseImageConfig(parseJson(await client.getBlob(m.config.digest, m.config.size, 'config'), `config ${m.config.digest}`, where), `config ${m.config.digest}`, where);
    const platformOf = async (d: Descriptor): Promise<Platform> => {
      const cfg = (await configOf(await readManifest(store, d))).config;
      return { os: cfg.os, architecture: cfg.architecture, ...(cfg.variant ? { variant: cfg.variant } : {}) };
    };
    const chosen = await selectManifest(store, [topDesc], platform ? { platform } : {}, platformOf, source);
    const manifest = await readManifest(store, chosen.descriptor);
    const parsed = await configOf(manifest);
    if (parsed.diffIds.length !== manifest.layers.length) {
      throw new ImageError(`manifest ${chosen.descriptor.digest} has ${manifest.layers.length} layers but its config lists ${parsed.diffIds.length} diff_ids`, { subject: where });
    }
    const actual = { os: parsed.config.os, architecture: parsed.config.architecture, ...(parsed.config.variant ? { variant: parsed.config.variant } : {}) };
    if (platform && !platformMatches(platform, actual)) {
      throw new PortcullisError(`the selected image is ${formatPlatform(actual)}, not ${formatPlatform(platform)}`, { subject: source });
    }
    const layers = manifest.layers.map((l, i) =>
      makeRegistryLayer({
        client,
        index: i,
        digest: l.digest,
        diffId: parsed.diffIds[i]!,
        mediaType: l.mediaType ?? 'application/vnd.oci.image.layer.v1.tar',
        size: l.size,
        ...(parsed.layerCreatedBy[i] !== undefined ? { createdBy: parsed.layerCreatedBy[i] } : {}),
      }),
    );
    const metadata: ImageMetadata = {
      source,
      sourceType: 'registry',
      manifestDigest: chosen.descriptor.digest,
      configDigest: manifest.config.digest,
      tags: ref.tag !== undefined ? [ref.tag] : [],
      repository: `${ref.registry}/${ref.repository}`,
      config: parsed.config,
    };
    return { metadata, layers, close: () => client.close() };
  } catch (err) {
    await client.close();
    throw err;
  }
}

// Opening a registry image: resolves a reference to one image manifest (an index is narrowed by
// the same selection rules as local layouts: select.ts / platform.ts), reads and verifies the
// manifest and config, and hands out layers that stream from the registry.
import { ImageError } from '../../errors.js';
import type { Image, ImageMetadata } from '../../model/image.js';
import type { BlobStore } from '../blob-store.js';
import { parseImageConfig, parseJson } from '../config.js';
import type { Descriptor } from '../descriptor.js';
import { digestFromPath } from '../digest.js';
import { checkSelectedImage, configPlatform, manifestReader } from '../manifest.js';
import { REF_NAME_ANNOTATION } from '../media-types.js';
import type { Platform } from '../platform.js';
import { selectManifest } from '../select.js';
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
    const read = manifestReader(store, async (m) =>
      parseImageConfig(parseJson(await client.getBlob(m.config.digest, m.config.size, 'config'), `config ${m.config.digest}`, where), `config ${m.config.digest}`, where),
    );
    const chosen = await selectManifest(store, [topDesc], platform ? { platform } : {}, async (d) => configPlatform((await read(d)).parsed.config), source);
    const selected = await read(chosen.descriptor);
    checkSelectedImage(selected, chosen.descriptor.digest, platform, where, source);
    const { manifest, parsed } = selected;
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

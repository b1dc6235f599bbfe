// Reads an image from an OCI image layout held in a BlobStore (a directory or an archive of one).
// Every index / manifest / config blob is checked against its descriptor before it is used.
import { ImageError } from '../errors.js';
import type { Image, ImageMetadata } from '../model/image.js';
import type { BlobStore } from './blob-store.js';
import { parseImageConfig, parseJson } from './config.js';
import { parseDescriptorList } from './descriptor.js';
import { blobPath } from './digest.js';
import { makeLayer } from './layer.js';
import { checkSelectedImage, configPlatform, manifestReader } from './manifest.js';
import { CONTAINERD_NAME_ANNOTATION, manifestKind } from './media-types.js';
import { selectManifest, type Selector } from './select.js';
import { readVerifiedJson } from './verified-blob.js';

export interface OciOpenOptions {
  /** What the user named, for metadata and messages. */
  source: string;
  sourceType: 'oci' | 'oci-archive';
  selector: Selector;
}

const MAX_INDEX_JSON = 16 * 1024 * 1024;

function repositoryOf(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const at = ref.indexOf('@');
  const base = at >= 0 ? ref.slice(0, at) : ref;
  const slash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  const repo = colon > slash ? base.slice(0, colon) : base;
  // A bare tag (`1.0`) names no repository.
  return repo.includes('/') || (at >= 0 || colon > slash) ? repo : undefined;
}

export async function openOciImage(store: BlobStore, opts: OciOpenOptions): Promise<Image> {
  const where = store.location;
  if (!(await store.has('oci-layout'))) throw new ImageError('missing oci-layout (not an OCI image layout)', { subject: where });
  const layoutFile = parseJson(await store.read('oci-layout', 64 * 1024), 'oci-layout', where);
  if (typeof layoutFile.imageLayoutVersion !== 'string') throw new ImageError('oci-layout has no imageLayoutVersion', { subject: where });
  if (!(await store.has('index.json'))) throw new ImageError('missing index.json (not an OCI image layout)', { subject: where });
  const index = parseJson(await store.read('index.json', MAX_INDEX_JSON), 'index.json', where);
  if (manifestKind(typeof index.mediaType === 'string' ? index.mediaType : undefined) === 'manifest') {
    throw new ImageError('index.json is a manifest, not an index', { subject: where });
  }
  const top = parseDescriptorList(index.manifests, 'index.json manifests', where);

  const read = manifestReader(store, async (m) => parseImageConfig(await readVerifiedJson(store, m.config, 'config'), `config ${m.config.digest}`, where));
  const chosen = await selectManifest(store, top, opts.selector, async (d) => configPlatform((await read(d)).parsed.config), opts.source);
  const selected = await read(chosen.descriptor);
  checkSelectedImage(selected, chosen.descriptor.digest, opts.selector.platform, where, opts.source);
  const { manifest, parsed } = selected;

  const layers = manifest.layers.map((l, i) =>
    makeLayer({
      store,
      name: blobPath(l.digest),
      index: i,
      digest: l.digest,
      diffId: parsed.diffIds[i]!,
      mediaType: l.mediaType ?? 'application/vnd.oci.image.layer.v1.tar',
      size: l.size,
      createdBy: parsed.layerCreatedBy[i],
      verifyBlobDigest: true,
    }),
  );
  const fullName = chosen.topAnnotations[CONTAINERD_NAME_ANNOTATION];
  const repository = repositoryOf(fullName) ?? chosen.refNames.map(repositoryOf).find((r) => r !== undefined);
  const metadata: ImageMetadata = {
    source: opts.source,
    sourceType: opts.sourceType,
    manifestDigest: chosen.descriptor.digest,
    configDigest: manifest.config.digest,
    tags: chosen.refNames,
    ...(repository ? { repository } : {}),
    config: parsed.config,
  };
  return { metadata, layers, close: async () => {} };
}

// Reads a `docker save` tarball (also what `skopeo copy … docker-archive:` writes) in place.
// manifest.json lists, per image, the Config file and the Layers files in order. Classic Docker
// names layers `<id>/layer.tar` (uncompressed; the config's diff_ids are their digests); Docker 25+
// stores everything under `blobs/sha256/<hex>` beside an OCI index, so names carry digests to check.
import { ImageError, PortcullisError } from '../errors.js';
import type { Image, ImageMetadata } from '../model/image.js';
import { parseJsonOr } from '../util/json-error.js';
import { readHead, type TarStore } from './blob-store.js';
import { parseImageConfig, parseJson } from './config.js';
import { detectCompression } from './compression.js';
import { checkDigest, digestAlgorithm, digestFromPath, digestOf, isDigest } from './digest.js';
import { makeLayer } from './layer.js';
import { configPlatform } from './manifest.js';
import { DOCKER_LAYER_TAR } from './media-types.js';
import { formatPlatform, platformMatches, type Platform } from './platform.js';
import { MAX_METADATA_BLOB } from './verified-blob.js';

export interface DockerArchiveOptions {
  source: string;
  /** `name:tag` from RepoTags, or `@N` (0-based entry of manifest.json), as skopeo spells it. */
  ref?: string;
  platform?: Platform;
}

export interface ManifestEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
  LayerSources: Record<string, { mediaType?: string; size?: number; digest?: string }>;
}

export const LAYER_MEDIA_TYPE = {
  none: DOCKER_LAYER_TAR,
  gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  zstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
} as const;

export function parseManifest(data: Buffer, where: string): ManifestEntry[] {
  const value = parseJsonOr(data.toString('utf8'), (at, problem) => new ImageError(`manifest.json is not valid JSON (at ${at}: ${problem})`, { subject: where }));
  if (!Array.isArray(value) || value.length === 0) throw new ImageError('manifest.json lists no images', { subject: where });
  return value.map((e: unknown, i) => {
    const o = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
    if (typeof o.Config !== 'string' || !Array.isArray(o.Layers) || !o.Layers.every((l) => typeof l === 'string')) {
      throw new ImageError(`manifest.json entry ${i} has no Config or Layers`, { subject: where });
    }
    const tags = Array.isArray(o.RepoTags) ? o.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    const sources = typeof o.LayerSources === 'object' && o.LayerSources !== null ? (o.LayerSources as ManifestEntry['LayerSources']) : {};
    return { Config: o.Config, RepoTags: tags, Layers: o.Layers as string[], LayerSources: sources };
  });
}

function pick(entries: ManifestEntry[], ref: string | undefined, where: string): ManifestEntry {
  const listing = () => entries.map((e, i) => (e.RepoTags.length ? e.RepoTags.join(',') : `@${i}`)).join('; ');
  if (ref === undefined) {
    if (entries.length === 1) return entries[0]!;
    throw new PortcullisError(`archive holds ${entries.length} images; name one as docker-archive:PATH:NAME:TAG or :@N (available: ${listing()})`, { subject: where });
  }
  const n = /^@(\d+)$/.exec(ref);
  if (n) {
    const e = entries[Number(n[1])];
    if (!e) throw new PortcullisError(`no image ${ref} in the archive (available: ${listing()})`, { subject: where });
    return e;
  }
  const withTag = /:[^/:]+$/.test(ref) ? ref : `${ref}:latest`;
  const e = entries.find((x) => x.RepoTags.includes(ref) || x.RepoTags.includes(withTag));
  if (!e) throw new PortcullisError(`no image tagged ${ref} in the archive (available: ${listing()})`, { subject: where });
  return e;
}

export function repositoryOf(tag: string | undefined): string | undefined {
  if (!tag) return undefined;
  const slash = tag.lastIndexOf('/');
  const colon = tag.lastIndexOf(':');
  return colon > slash ? tag.slice(0, colon) : tag;
}

export async function openDockerArchive(store: TarStore, opts: DockerArchiveOptions): Promise<Image> {
  const where = store.location;
  if (!(await store.has('manifest.json'))) throw new ImageError('missing manifest.json (not a docker-archive)', { subject: where });
  const entry = pick(parseManifest(await store.read('manifest.json', MAX_METADATA_BLOB), where), opts.ref, where);

  if (!(await store.has(entry.Config))) throw new ImageError(`missing config ${entry.Config} named by manifest.json`, { subject: where });
  const configData = await store.read(entry.Config, MAX_METADATA_BLOB);
  const named = digestFromPath(entry.Config);
  let configDigest: string;
  if (named) {
    configDigest = digestOf(configData, digestAlgorithm(named));
    if (configDigest !== named) throw new ImageError(`config ${entry.Config} digest mismatch (content hashes to ${configDigest})`, { subject: where });
  } else {
    configDigest = digestOf(configData);
  }
  const parsed = parseImageConfig(parseJson(configData, `config ${entry.Config}`, where), `config ${entry.Config}`, where);
  if (parsed.diffIds.length !== entry.Layers.length) {
    throw new ImageError(`manifest.json lists ${entry.Layers.length} layers but config ${entry.Config} has ${parsed.diffIds.length} diff_ids`, { subject: where });
  }
  const actual = configPlatform(parsed.config);
  if (opts.platform && !platformMatches(opts.platform, actual)) {
    throw new PortcullisError(`the image is ${formatPlatform(actual)}, not ${formatPlatform(opts.platform)}`, { subject: opts.source });
  }

  const layers = [];
  for (let i = 0; i < entry.Layers.length; i++) {
    const name = entry.Layers[i]!;
    const diffId = parsed.diffIds[i]!;
    const size = await store.size(name);
    if (size === undefined) throw new ImageError(`missing layer ${name} named by manifest.json`, { subject: where });
    const source = entry.LayerSources[diffId];
    const fromName = digestFromPath(name);
    const declared = source?.digest !== undefined ? checkDigest(source.digest, where, `LayerSources ${diffId}`) : fromName;
    const compression = detectCompression(await readHead(store, name, 4));
    layers.push(
      makeLayer({
        store,
        name,
        index: i,
        // Without a digest in the name (classic `<id>/layer.tar`) the stored blob is the
        // uncompressed tar, so its digest is the diff_id and the diff_id check covers it.
        digest: declared !== undefined && isDigest(declared) ? declared : diffId,
        diffId,
        mediaType: source?.mediaType ?? LAYER_MEDIA_TYPE[compression],
        size,
        createdBy: parsed.layerCreatedBy[i],
        verifyBlobDigest: declared !== undefined,
      }),
    );
  }
  const repository = repositoryOf(entry.RepoTags[0]);
  const metadata: ImageMetadata = {
    source: opts.source,
    sourceType: 'docker-archive',
    manifestDigest: configDigest,
    configDigest,
    tags: entry.RepoTags,
    ...(repository ? { repository } : {}),
    config: parsed.config,
  };
  return { metadata, layers, close: async () => {} };
}

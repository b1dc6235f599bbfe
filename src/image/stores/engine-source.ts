// `docker:NAME` / `podman:NAME`: an image in a Docker Engine (or podman's Docker-compatible
// service), read from its export stream once. Inspect first (a missing image is a clear error
// before anything streams, and says how many layers to expect), then the export: each layer blob
// is walked as it arrives, and at the end every blob is checked against the config named by
// manifest.json, whose digest must be the image ID the daemon reported.
import type { IncomingMessage } from 'node:http';
import { ImageError, PortcullisError } from '../../errors.js';
import type { Image, ImageConfig, ImageMetadata, ImageSource, Layer } from '../../model/image.js';
import { parseImageConfig, parseJson } from '../config.js';
import { digestFromPath, digestOf, isDigest } from '../digest.js';
import { LAYER_MEDIA_TYPE, parseManifest, repositoryOf, type ManifestEntry } from '../docker-archive.js';
import { configPlatform } from '../manifest.js';
import { formatPlatform, platformMatches, type Platform } from '../platform.js';
import { openDockerLocal } from './docker-local.js';
import { EngineClient, NotInStore, imagePath } from './engine-api.js';
import { ExportStream } from './export-stream.js';

interface Inspect {
  id: string;
  tags: string[];
  diffIds: string[];
  config: ImageConfig;
}

function parseInspect(body: unknown, subject: string): Inspect {
  const o = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const rootfs = (o.RootFS ?? {}) as { Layers?: unknown };
  if (!isDigest(o.Id) || !Array.isArray(rootfs.Layers) || !rootfs.Layers.every(isDigest)) {
    throw new ImageError('daemon answered the image inspect without an Id or RootFS.Layers', { subject });
  }
  const cfg = (o.Config ?? {}) as Record<string, unknown>;
  const labels: Record<string, string> = {};
  if (typeof cfg.Labels === 'object' && cfg.Labels !== null) for (const [k, v] of Object.entries(cfg.Labels)) if (typeof v === 'string') labels[k] = v;
  const config: ImageConfig = {
    os: typeof o.Os === 'string' ? o.Os : '',
    architecture: typeof o.Architecture === 'string' ? o.Architecture : '',
    env: Array.isArray(cfg.Env) ? cfg.Env.filter((e): e is string => typeof e === 'string') : [],
    labels,
    history: [],
  };
  if (typeof o.Variant === 'string' && o.Variant) config.variant = o.Variant;
  const tags = Array.isArray(o.RepoTags) ? o.RepoTags.filter((t): t is string => typeof t === 'string' && t !== '<none>:<none>') : [];
  return { id: o.Id, tags, diffIds: rootfs.Layers, config };
}

function unreadable(subject: string): () => Promise<never> {
  return async () => {
    throw new ImageError('a daemon export is read once, all layers together: this layer cannot be opened on its own', { subject });
  };
}

export class EngineImageSource implements ImageSource {
  readonly description: string;

  constructor(
    private readonly source: string,
    private readonly client: EngineClient,
    private readonly name: string,
    private readonly platform: Platform | undefined,
    /** Docker only: read the image from the engine's data root when this process can (docker-local.ts). */
    private readonly direct = false,
  ) {
    this.description = `${client.endpoint.store} image ${name} (${client.endpoint.address})`;
  }

  private get store(): string {
    return this.client.endpoint.store;
  }

  /** The image as the daemon describes it; NotInStore when it has none by that name. */
  async inspect(): Promise<Inspect> {
    const answer = await this.client.getJson(`/images/${imagePath(this.name)}/json`);
    if (answer.status === 404) throw new NotInStore(`image ${this.name} not found in ${this.store} (${this.client.endpoint.address})`, { subject: this.source });
    if (answer.status !== 200) throw new PortcullisError(`${this.store} daemon refused to inspect ${this.name}: HTTP ${answer.status} ${answer.message}`, { subject: this.source });
    return parseInspect(answer.body, this.source);
  }

  async open(): Promise<Image> {
    const found = await this.inspect();
    if (this.platform && !platformMatches(this.platform, configPlatform(found.config))) {
      throw new PortcullisError(`the image is ${formatPlatform(configPlatform(found.config))}, not ${formatPlatform(this.platform)}`, { subject: this.source });
    }
    if (this.direct && this.store === 'docker') {
      const local = await openDockerLocal(this.client, found, this.source);
      if (local) return local;
    }
    const subject = this.source;
    const metadata: ImageMetadata = { source: this.source, sourceType: this.store, manifestDigest: found.id, configDigest: found.id, tags: found.tags, config: found.config };
    const layers: Layer[] = found.diffIds.map((diffId, index) => ({ index, digest: diffId, diffId, mediaType: LAYER_MEDIA_TYPE.none, size: 0, open: unreadable(subject) }));
    let exported: ExportStream | undefined;
    let response: IncomingMessage | undefined;
    const image: Image = {
      metadata,
      layers,
      close: async () => {
        response?.destroy();
      },
      streamed: {
        arrivals: () => {
          const self = this;
          return (async function* () {
            response = await self.exportResponse();
            exported = new ExportStream(response, subject);
            yield* exported.arrivals();
          })();
        },
        finish: async () => {
          if (!exported) throw new ImageError('the export stream was not read', { subject });
          return this.finish(exported, found, image);
        },
      },
    };
    return image;
  }

  private async exportResponse(): Promise<IncomingMessage> {
    const res = await this.client.get(`${await this.client.apiPrefix()}/images/${imagePath(this.name)}/get`);
    if (res.statusCode !== 200) {
      res.resume();
      throw new PortcullisError(`${this.store} daemon refused to export ${this.name}: HTTP ${res.statusCode}`, { subject: this.source });
    }
    return res;
  }

  /** Checks every arrival against manifest.json and the config; returns the blob name per layer. */
  private finish(exported: ExportStream, found: Inspect, image: Image): string[] {
    const where = `${this.source} (export)`;
    const manifestData = exported.metadata.get('manifest.json');
    if (!manifestData) throw new ImageError('the export has no manifest.json', { subject: where });
    const entries = parseManifest(manifestData, where);
    const entry: ManifestEntry | undefined =
      entries.find((e) => digestFromPath(e.Config) === found.id) ?? (entries.length === 1 ? entries[0] : undefined);
    if (!entry) throw new ImageError(`manifest.json lists no image with config ${found.id}`, { subject: where });

    const configData = exported.metadata.get(entry.Config);
    if (!configData) throw new ImageError(`the export has no config ${entry.Config}`, { subject: where });
    const configDigest = digestOf(configData);
    if (configDigest !== found.id) {
      throw new ImageError(`config ${entry.Config} hashes to ${configDigest}, but the daemon says the image is ${found.id}`, { subject: where });
    }
    const parsed = parseImageConfig(parseJson(configData, `config ${entry.Config}`, where), `config ${entry.Config}`, where);
    if (parsed.diffIds.length !== entry.Layers.length) {
      throw new ImageError(`manifest.json lists ${entry.Layers.length} layers but the config has ${parsed.diffIds.length} diff_ids`, { subject: where });
    }

    const order: string[] = [];
    const layers: Layer[] = entry.Layers.map((listed, i) => {
      const name = this.follow(exported, listed, where);
      const got = exported.digests.get(name);
      if (!got) throw new ImageError(`the export has no layer blob ${listed} (layer ${i})`, { subject: where });
      const diffId = parsed.diffIds[i]!;
      if (got.diffId !== diffId) {
        throw new ImageError(`layer ${i} (${listed}) uncompressed content (diff_id) digest mismatch: expected ${diffId}, got ${got.diffId}`, { subject: where });
      }
      const declared = entry.LayerSources[diffId]?.digest ?? digestFromPath(name);
      if (declared !== undefined && declared !== got.digest) {
        throw new ImageError(`layer ${i} (${listed}) blob digest mismatch: expected ${declared}, got ${got.digest}`, { subject: where });
      }
      order.push(name);
      return {
        index: i,
        // A blob named by its digest keeps that digest; a classic `<id>/layer.tar` is the
        // uncompressed tar, so its digest is the diff_id (as for a docker-archive file).
        digest: declared ?? diffId,
        diffId,
        mediaType: entry.LayerSources[diffId]?.mediaType ?? LAYER_MEDIA_TYPE[got.compression],
        size: got.size,
        ...(parsed.layerCreatedBy[i] !== undefined ? { createdBy: parsed.layerCreatedBy[i] } : {}),
        open: unreadable(this.source),
      };
    });
    image.layers.splice(0, image.layers.length, ...layers);
    const repository = repositoryOf(entry.RepoTags[0] ?? found.tags[0]);
    Object.assign(image.metadata, {
      configDigest,
      manifestDigest: configDigest,
      tags: entry.RepoTags.length ? entry.RepoTags : found.tags,
      config: parsed.config,
      ...(repository ? { repository } : {}),
    });
    return order;
  }

  /** Resolves symlinked entries (a repeated layer in a classic export), a few hops at most. */
  private follow(exported: ExportStream, name: string, where: string): string {
    let at = name;
    for (let hops = 0; hops < 8; hops++) {
      const next = exported.links.get(at);
      if (next === undefined) return at;
      at = next;
    }
    throw new ImageError(`export entry ${name} is a symlink loop`, { subject: where });
  }
}

// `docker:NAME` read where the engine keeps it, when it can be: a daemon on this machine (unix
// socket) with the overlay2 or vfs driver, whose data root (`/info` DockerRootDir) this process may
// read — typically CI as root next to its own dockerd. Each layer's tar is rebuilt from the tar-split
// record the engine keeps (`image/<driver>/layerdb/sha256/<chain id>/tar-split.json.gz`) and the
// layer's files, exactly as containers-storage's are (tar-split.ts), and checked against its diff_id.
// The config is read from the image store and must hash to the image ID the daemon reported. Any
// doubt before reading (another machine's paths, no access, another driver, a record that does not
// name this image's layers) returns undefined: the caller reads the export stream instead. Once a
// layer is read, a difference is an ImageError like any other source's, never a fallback.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageError } from '../../errors.js';
import type { Image, ImageMetadata, Layer } from '../../model/image.js';
import { parseImageConfig, parseJson } from '../config.js';
import { digestOf } from '../digest.js';
import { LAYER_MEDIA_TYPE, repositoryOf } from '../docker-archive.js';
import { MAX_METADATA_BLOB } from '../verified-blob.js';
import type { EngineClient } from './engine-api.js';
import { tarSplitLayerReads } from './tar-split.js';

/** What the daemon said about the image (engine-source.ts's inspect). */
export interface InspectedImage {
  id: string;
  tags: string[];
  diffIds: string[];
}

const DRIVERS = ['overlay2', 'vfs'] as const;
type Driver = (typeof DRIVERS)[number];

/** The chain ID of each layer (the layerdb's key): the first diff_id, then sha256 of "parent diff". */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}

const readText = (path: string): Promise<string | undefined> => readFile(path, 'utf8').then((t) => t.trim(), () => undefined);

async function dataRoot(client: EngineClient): Promise<{ root: string; driver: Driver } | undefined> {
  const info = await client.getJson('/info').catch(() => undefined);
  if (!info || info.status !== 200 || typeof info.body !== 'object' || info.body === null) return undefined;
  const { DockerRootDir: root, Driver: driver } = info.body as { DockerRootDir?: unknown; Driver?: unknown };
  if (typeof root !== 'string' || !root.startsWith('/') || !(DRIVERS as readonly string[]).includes(driver as string)) return undefined;
  const st = await stat(join(root, 'image', driver as string, 'layerdb')).catch(() => undefined);
  return st?.isDirectory() ? { root, driver: driver as Driver } : undefined;
}

/** The image from the engine's data root, or undefined when it cannot be read from there (see above). */
export async function openDockerLocal(client: EngineClient, found: InspectedImage, source: string): Promise<Image | undefined> {
  if (!client.endpoint.socketPath) return undefined;
  const at = await dataRoot(client);
  if (!at) return undefined;
  const { root, driver } = at;
  const where = `${source} (${driver} at ${root})`;
  const hex = found.id.slice('sha256:'.length);
  const configData = await readFile(join(root, 'image', driver, 'imagedb', 'content', 'sha256', hex)).catch(() => undefined);
  // Not this daemon's image store (or not readable): the export stream decides.
  if (!configData || configData.length > MAX_METADATA_BLOB || digestOf(configData) !== found.id) return undefined;
  const parsed = parseImageConfig(parseJson(configData, `config ${found.id}`, where), `config ${found.id}`, where);
  if (parsed.diffIds.length !== found.diffIds.length || parsed.diffIds.some((d, i) => d !== found.diffIds[i])) return undefined;

  const chains = chainIds(parsed.diffIds);
  const layerdb = join(root, 'image', driver, 'layerdb', 'sha256');
  const layers: Layer[] = [];
  for (const [index, diffId] of parsed.diffIds.entries()) {
    const dir = join(layerdb, chains[index]!.slice('sha256:'.length));
    const [recorded, cacheId] = await Promise.all([readText(join(dir, 'diff')), readText(join(dir, 'cache-id'))]);
    if (recorded !== diffId || !cacheId || !/^[A-Za-z0-9]+$/.test(cacheId)) return undefined;
    const tarSplit = join(dir, 'tar-split.json.gz');
    const files = driver === 'overlay2' ? join(root, 'overlay2', cacheId, 'diff') : join(root, 'vfs', 'dir', cacheId);
    if (!(await stat(tarSplit).catch(() => undefined)) || !(await stat(files).catch(() => undefined))?.isDirectory()) return undefined;
    const label = `layer ${index} (${cacheId.slice(0, 12)})`;
    const present = async (): Promise<void> => {
      if (!(await stat(tarSplit).catch(() => undefined))) throw new ImageError(`${label} has no tar-split data ${tarSplit} (the engine removed the layer?)`, { subject: where });
    };
    layers.push({
      index,
      // The stored layer is its files: what is verified is the rebuilt tar, whose digest is the diff_id.
      digest: diffId,
      diffId,
      mediaType: LAYER_MEDIA_TYPE.none,
      size: 0,
      ...(parsed.layerCreatedBy[index] !== undefined ? { createdBy: parsed.layerCreatedBy[index] } : {}),
      ...tarSplitLayerReads(tarSplit, files, diffId, label, where, present),
    });
  }
  const repository = repositoryOf(found.tags[0]);
  const metadata: ImageMetadata = {
    source,
    sourceType: 'docker',
    manifestDigest: found.id,
    configDigest: found.id,
    tags: found.tags,
    ...(repository ? { repository } : {}),
    config: parsed.config,
  };
  return { metadata, layers, close: async () => {} };
}

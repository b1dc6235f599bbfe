// `containers-storage:NAME`: an image in containers/storage (buildah, podman, CRI-O) read in
// place, no daemon. `<driver>-images/images.json` names the image and its top layer, the config
// is the image's big-data item keyed by its digest (checked), `<driver>-layers/layers.json` links
// each layer to its parent and records its diff_id, and each layer's tar is rebuilt from its
// tar-split record and its files (overlay: `overlay/<id>/diff`, vfs: `vfs/dir/<id>`), then
// verified against the config's diff_id like any other layer.
//
// No lock is taken: containers/storage replaces its JSON files by rename, so a read sees one whole
// version, and a layer changed while it is read fails its diff_id check.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageError, PortcullisError } from '../../errors.js';
import type { Image, ImageMetadata, ImageSource, Layer } from '../../model/image.js';
import { parseImageConfig, parseJson } from '../config.js';
import { digestOf, isDigest } from '../digest.js';
import { LAYER_MEDIA_TYPE } from '../docker-archive.js';
import { configPlatform } from '../manifest.js';
import { formatPlatform, platformMatches, type Platform } from '../platform.js';
import { MAX_METADATA_BLOB } from '../verified-blob.js';
import { NotInStore, StoreUnreachable } from './store-errors.js';
import { candidateNames } from './names.js';
import { SUPPORTED_DRIVERS, splitStorageSpec, storageLocation, type StorageLocation } from './storage-conf.js';
import { tarSplitLayerReads } from './tar-split.js';

export interface StorageSpec {
  location: StorageLocation;
  name: string;
}

export function parseStorageSpec(spec: string, env: NodeJS.ProcessEnv): StorageSpec {
  const { location, name } = splitStorageSpec(spec);
  return { location: location ? { ...location, from: 'the name' } : storageLocation(env), name };
}

interface ImageRecord {
  id: string;
  digest?: string;
  names?: string[];
  layer?: string;
  'big-data-names'?: string[];
}

interface LayerRecord {
  id: string;
  parent?: string;
  'diff-digest'?: string;
  'diff-size'?: number;
  flags?: Record<string, unknown>;
}

/** containers/storage's file name for a big-data key: the key itself when plain, else `=` + base64. */
export function bigDataFileName(key: string): string {
  return /^[0-9a-z.]*$/.test(key) ? key : `=${Buffer.from(key).toString('base64')}`;
}

async function readJsonList<T>(path: string, what: string, optional = false): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (optional && code === 'ENOENT') return [];
    if (code === 'EACCES' || code === 'EPERM') throw new PortcullisError(`permission denied reading the containers-storage ${what}`, { subject: path });
    throw new ImageError(`cannot read the containers-storage ${what} (${code ?? 'error'})`, { subject: path });
  }
  if (text.trim() === '') return [];
  try {
    const value = JSON.parse(text) as unknown;
    if (!Array.isArray(value)) throw new Error('not a list');
    return value as T[];
  } catch {
    throw new ImageError(`the containers-storage ${what} is not a JSON list (store corrupt)`, { subject: path });
  }
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

export class ContainersStorageSource implements ImageSource {
  readonly description: string;

  constructor(private readonly source: string, private readonly spec: StorageSpec, private readonly platform: Platform | undefined) {
    this.description = `containers-storage image ${spec.name} (${spec.location.graphroot})`;
  }

  private async driver(): Promise<string> {
    const { graphroot, driver, from } = this.spec.location;
    if (!(await isDir(graphroot))) throw new StoreUnreachable(`containers-storage not found at ${graphroot} (from ${from})`);
    if (driver !== undefined) {
      if (!(SUPPORTED_DRIVERS as readonly string[]).includes(driver)) {
        throw new PortcullisError(`containers-storage driver "${driver}" is not supported (only ${SUPPORTED_DRIVERS.join(', ')})`, { subject: graphroot });
      }
      return driver;
    }
    for (const d of SUPPORTED_DRIVERS) if (await isDir(join(graphroot, `${d}-images`))) return d;
    throw new StoreUnreachable(`containers-storage at ${graphroot} holds no ${SUPPORTED_DRIVERS.join(' or ')} images`);
  }

  private find(images: ImageRecord[], driverName: string): ImageRecord {
    const name = this.spec.name;
    const id = name.replace(/^sha256:/, '');
    if (/^[a-f0-9]{12,64}$/.test(id)) {
      const byId = images.filter((i) => i.id.startsWith(id));
      if (byId.length === 1) return byId[0]!;
    }
    const digest = /@(sha256:[a-f0-9]{64})$/.exec(name)?.[1];
    for (const candidate of candidateNames(name)) {
      const hit = images.find((i) => (i.names ?? []).includes(candidate));
      if (hit) return hit;
    }
    // `NAME@sha256:…` also matches the manifest digest the image was stored with.
    const byDigest = digest !== undefined ? images.find((i) => i.digest === digest) : undefined;
    if (byDigest) return byDigest;
    throw new NotInStore(`image ${name} not found in containers-storage (${driverName} at ${this.spec.location.graphroot})`, { subject: this.source });
  }

  async open(): Promise<Image> {
    const { graphroot, runroot } = this.spec.location;
    const driver = await this.driver();
    const images = await readJsonList<ImageRecord>(join(graphroot, `${driver}-images`, 'images.json'), 'image list');
    const record = this.find(images, driver);
    const where = `${graphroot} image ${record.id.slice(0, 12)}`;

    const configKey = (record['big-data-names'] ?? []).find((k) => k === `sha256:${record.id}`) ?? (record['big-data-names'] ?? []).find((k) => isDigest(k));
    if (!configKey) throw new ImageError('the image has no config (store corrupt or incomplete)', { subject: where });
    const configPath = join(graphroot, `${driver}-images`, record.id, bigDataFileName(configKey));
    const configData = await readFile(configPath).catch(() => undefined);
    if (!configData || configData.length > MAX_METADATA_BLOB) throw new ImageError(`cannot read the image config ${configKey}`, { subject: where });
    const configDigest = digestOf(configData);
    if (configDigest !== configKey) throw new ImageError(`image config hashes to ${configDigest}, stored as ${configKey} (store corrupt)`, { subject: where });
    const parsed = parseImageConfig(parseJson(configData, `config ${configKey}`, where), `config ${configKey}`, where);
    if (this.platform && !platformMatches(this.platform, configPlatform(parsed.config))) {
      throw new PortcullisError(`the image is ${formatPlatform(configPlatform(parsed.config))}, not ${formatPlatform(this.platform)}`, { subject: this.source });
    }

    // layers.json in graphroot, plus volatile records kept under runroot by newer versions.
    const layerDir = join(graphroot, `${driver}-layers`);
    const records = [
      ...(await readJsonList<LayerRecord>(join(layerDir, 'layers.json'), 'layer list')),
      ...(await readJsonList<LayerRecord>(join(runroot, `${driver}-layers`, 'volatile-layers.json'), 'volatile layer list', true)),
    ];
    const byId = new Map(records.map((l) => [l.id, l]));
    const chain: LayerRecord[] = [];
    for (let id = record.layer; id !== undefined && id !== ''; id = byId.get(id)?.parent) {
      const l = byId.get(id);
      if (!l) throw new ImageError(`layer ${id} is not in the layer list (store corrupt)`, { subject: where });
      if (l.flags?.incomplete) throw new ImageError(`layer ${id} is incomplete (an interrupted write; store corrupt)`, { subject: where });
      chain.unshift(l);
      if (chain.length > 1000) throw new ImageError('layer parent chain loops (store corrupt)', { subject: where });
    }
    if (chain.length !== parsed.diffIds.length) {
      throw new ImageError(`the image has ${chain.length} layers but its config lists ${parsed.diffIds.length} diff_ids`, { subject: where });
    }
    const layers: Layer[] = chain.map((l, index) => {
      const diffId = parsed.diffIds[index]!;
      if (l['diff-digest'] !== undefined && l['diff-digest'] !== diffId) {
        throw new ImageError(`layer ${index} (${l.id.slice(0, 12)}) is recorded as ${l['diff-digest']}, the config says ${diffId}`, { subject: where });
      }
      const root = driver === 'overlay' ? join(graphroot, 'overlay', l.id, 'diff') : join(graphroot, 'vfs', 'dir', l.id);
      const tarSplit = join(layerDir, `${l.id}.tar-split.gz`);
      const label = `layer ${index} (${l.id.slice(0, 12)})`;
      const present = async (): Promise<void> => {
        if (!(await stat(tarSplit).catch(() => undefined))) throw new ImageError(`${label} has no tar-split data ${tarSplit} (store corrupt)`, { subject: where });
      };
      const size = typeof l['diff-size'] === 'number' && l['diff-size'] >= 0 ? l['diff-size'] : 0;
      return {
        index,
        // The stored layer is its files; what is verified is the rebuilt tar, whose digest is the diff_id.
        digest: diffId,
        diffId,
        mediaType: LAYER_MEDIA_TYPE.none,
        size,
        ...(parsed.layerCreatedBy[index] !== undefined ? { createdBy: parsed.layerCreatedBy[index] } : {}),
        ...tarSplitLayerReads(tarSplit, root, diffId, label, where, present),
      };
    });
    const tags = record.names ?? [];
    const repo = tags[0]?.replace(/(:[^/:]+)?(@.*)?$/, '');
    const metadata: ImageMetadata = {
      source: this.source,
      sourceType: 'containers-storage',
      ...(record.digest && isDigest(record.digest) ? { manifestDigest: record.digest } : {}),
      configDigest,
      tags,
      ...(repo ? { repository: repo } : {}),
      config: parsed.config,
    };
    return { metadata, layers, close: async () => {} };
  }
}

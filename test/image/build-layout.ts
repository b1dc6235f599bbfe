// Builders for small, real container images in tests: layer tars (tar-stream), gzip / zstd
// compression (zlib / the zstd CLI), OCI image layouts written blob by blob, and conversion of a
// layout with the real `skopeo` to a docker-archive or OCI archive.
//
// Typical use:
//   const dir = mkdtempSync(join(tmpdir(), 'img-'));
//   const built = await buildOciLayout(dir, {
//     tag: 'v1',
//     layers: [{ files: [{ path: 'etc/os-release', content: 'ID=debian\n' }], compression: 'gzip' }],
//     config: { User: 'app', Env: ['PATH=/usr/bin'] },
//   });
//   // dir is now `oci:${dir}:v1`; built.layers[i].diffId / .digest are what was written.
//   toDockerArchive(dir, 'v1', join(dir, '..', 'img.tar'), 'example.com/app:v1');
//
// For multi-image layouts call writeImage() per image, writeIndex() for a nested index, and
// writeLayout() for the top-level index.json.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export type Compression = 'gzip' | 'zstd' | 'none';

export interface TarFile {
  /** Path inside the tar (`etc/os-release`, `usr/lib/`); no leading slash, as image layers have it. */
  path: string;
  content?: string | Buffer;
  /** Default `file`. `link` is a hard link. */
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  mode?: number;
}

export interface LayerInput {
  files: TarFile[];
  /** Default `gzip`. */
  compression?: Compression;
  /** Override the descriptor media type (default matches the compression). */
  mediaType?: string;
  /** History `created_by` of the step that made this layer (default `layer N`). */
  createdBy?: string;
  /**
   * Stored bytes to write instead of the compressed tar (hostile / corrupt blobs); the descriptor
   * describes these bytes, the diff_id stays that of `files`' tar.
   */
  rawBlob?: Buffer;
}

export interface PlatformInput {
  os: string;
  architecture: string;
  variant?: string;
}

export interface TestDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: PlatformInput;
  annotations?: Record<string, string>;
}

export interface ImageInput {
  layers: LayerInput[];
  /** Default linux/amd64. */
  platform?: PlatformInput;
  /** The config's `config` section (Docker casing: User, Env, Entrypoint, Cmd, WorkingDir, ExposedPorts, Labels). */
  config?: Record<string, unknown>;
  /** Full history override; default: one non-empty step per layer plus one empty step at the end. */
  history?: { created_by?: string; empty_layer?: boolean; created?: string; comment?: string }[];
  created?: string;
  /** Edits the config JSON before it is written (e.g. a wrong diff_id for a negative test). */
  mutateConfig?: (config: Record<string, unknown>) => void;
  /** Config descriptor media type (default OCI image config). */
  configMediaType?: string;
}

export interface BuiltLayer {
  descriptor: TestDescriptor;
  digest: string;
  diffId: string;
  /** The uncompressed tar. */
  tar: Buffer;
}

export interface BuiltImage {
  /** Descriptor of the manifest (with platform), ready to list in an index. */
  manifest: TestDescriptor;
  config: TestDescriptor;
  configJson: Record<string, unknown>;
  layers: BuiltLayer[];
}

export const LAYER_MEDIA_TYPE: Record<Compression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A tar of `files` made by tar-stream (fixed mtime, so builds are reproducible). */
export async function makeTar(files: TarFile[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  const mtime = new Date('2024-01-01T00:00:00Z');
  for (const f of files) {
    const type = f.type ?? 'file';
    const body = type === 'file' ? Buffer.from(f.content ?? '') : Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      p.entry(
        { name: f.path, type, mode: f.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime, size: body.length, ...(f.linkname ? { linkname: f.linkname } : {}) },
        body,
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function compressBuffer(data: Buffer, compression: Compression): Buffer {
  if (compression === 'gzip') return gzipSync(data);
  if (compression === 'zstd') return execFileSync('zstd', ['-q', '-c', '-3'], { input: data, maxBuffer: 1 << 30 });
  return data;
}

/** Writes `data` as `blobs/sha256/<hex>` of the layout at `dir`. */
export function writeBlob(dir: string, data: Buffer | string, mediaType: string): TestDescriptor {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const digest = sha256(buf);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), buf);
  return { mediaType, digest, size: buf.length };
}

/** Writes the layers, config and manifest blobs of one image; returns their descriptors. */
export async function writeImage(dir: string, input: ImageInput): Promise<BuiltImage> {
  const platform = input.platform ?? { os: 'linux', architecture: 'amd64' };
  const layers: BuiltLayer[] = [];
  for (const l of input.layers) {
    const tar = await makeTar(l.files);
    const compression = l.compression ?? 'gzip';
    const descriptor = writeBlob(dir, l.rawBlob ?? compressBuffer(tar, compression), l.mediaType ?? LAYER_MEDIA_TYPE[compression]);
    layers.push({ descriptor, digest: descriptor.digest, diffId: sha256(tar), tar });
  }
  const history =
    input.history ?? [
      ...input.layers.map((l, i) => ({ created: '2024-01-01T00:00:00Z', created_by: l.createdBy ?? `layer ${i}` })),
      { created: '2024-01-01T00:00:00Z', created_by: 'CMD ["/bin/sh"]', empty_layer: true },
    ];
  const configJson: Record<string, unknown> = {
    created: input.created ?? '2024-01-01T00:00:00Z',
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: input.config ?? { Env: ['PATH=/usr/local/bin:/usr/bin:/bin'], Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history,
  };
  input.mutateConfig?.(configJson);
  const config = writeBlob(dir, JSON.stringify(configJson), input.configMediaType ?? OCI_CONFIG);
  const manifestJson = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config,
    layers: layers.map((l) => l.descriptor),
  };
  const manifest = { ...writeBlob(dir, JSON.stringify(manifestJson), OCI_MANIFEST), platform };
  return { manifest, config, configJson, layers };
}

/** Adds a ref-name (tag) annotation to a descriptor, as index.json entries carry it. */
export function tagged(d: TestDescriptor, tag: string): TestDescriptor {
  return { ...d, annotations: { ...d.annotations, 'org.opencontainers.image.ref.name': tag } };
}

/** Writes an image index blob (a multi-arch "manifest list" to nest inside index.json). */
export function writeIndex(dir: string, manifests: TestDescriptor[]): TestDescriptor {
  return writeBlob(dir, JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }), OCI_INDEX);
}

/** Writes `oci-layout` and the top-level `index.json` listing `manifests`. */
export function writeLayout(dir: string, manifests: TestDescriptor[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
}

/** One image in a fresh layout at `dir`, tagged `tag` (default `latest`). */
export async function buildOciLayout(dir: string, input: ImageInput & { tag?: string }): Promise<BuiltImage> {
  const built = await writeImage(dir, input);
  writeLayout(dir, [tagged(built.manifest, input.tag ?? 'latest')]);
  return built;
}

function skopeo(args: string[]): void {
  try {
    execFileSync('skopeo', ['--insecure-policy', ...args], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    throw new Error(`skopeo ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
}

/**
 * `skopeo copy oci:DIR:TAG docker-archive:OUT:NAME` (NAME like `example.com/app:v1`). skopeo refuses
 * zstd layers for docker-archive, so build such images with gzip / uncompressed layers.
 */
export function toDockerArchive(layoutDir: string, tag: string, out: string, name: string): void {
  skopeo(['copy', '-q', `oci:${layoutDir}:${tag}`, `docker-archive:${out}:${name}`]);
}

/** `skopeo copy oci:DIR:TAG oci-archive:OUT[:OUTTAG]`. */
export function toOciArchive(layoutDir: string, tag: string, out: string, outTag = tag): void {
  skopeo(['copy', '-q', `oci:${layoutDir}:${tag}`, `oci-archive:${out}:${outTag}`]);
}

/** Writes a tar archive of named entries (raw building block for hand-made archives). */
export async function writeTarFile(out: string, files: TarFile[]): Promise<void> {
  writeFileSync(out, await makeTar(files));
}

/** Every file of a layout directory (oci-layout, index.json, blobs/…) as TarFile entries. */
export function layoutEntries(layoutDir: string): TarFile[] {
  const out: TarFile[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(layoutDir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(join(layoutDir, r)).isDirectory()) walk(r);
      else out.push({ path: r, content: readFileSync(join(layoutDir, r)) });
    }
  };
  walk('');
  return out;
}

/**
 * The Docker 25+ `docker save` format: the OCI layout's files plus a manifest.json whose Config
 * and Layers name `blobs/sha256/<hex>` (Docker writes uncompressed layers; ours keep whatever the
 * layout holds). `image` is the built image inside `layoutDir`.
 */
export async function toDocker25Archive(layoutDir: string, image: BuiltImage, out: string, repoTag: string): Promise<void> {
  const manifest = [
    {
      Config: `blobs/sha256/${image.config.digest.slice(7)}`,
      RepoTags: [repoTag],
      Layers: image.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
      LayerSources: {},
    },
  ];
  await writeTarFile(out, [...layoutEntries(layoutDir), { path: 'manifest.json', content: JSON.stringify(manifest) }]);
}

/**
 * The classic (Docker < 25) `docker save` format with real `<id>/layer.tar` files (uncompressed)
 * and `<config-hex>.json`. Compressed layers of `image` are stored decompressed, as Docker does.
 */
export async function toClassicDockerArchive(image: BuiltImage, out: string, repoTag: string): Promise<void> {
  const files: TarFile[] = [];
  const layerNames: string[] = [];
  image.layers.forEach((l, i) => {
    const id = sha256(`${i}:${l.diffId}`).slice(7);
    files.push({ path: `${id}/`, type: 'directory' }, { path: `${id}/VERSION`, content: '1.0' }, { path: `${id}/layer.tar`, content: l.tar });
    layerNames.push(`${id}/layer.tar`);
  });
  files.push({ path: `${image.config.digest.slice(7)}.json`, content: JSON.stringify(image.configJson) });
  files.push({ path: 'manifest.json', content: JSON.stringify([{ Config: `${image.config.digest.slice(7)}.json`, RepoTags: [repoTag], Layers: layerNames }]) });
  await writeTarFile(out, files);
}

/** Reads a stream to the end, returning its bytes (tests only: layers here are tiny). */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

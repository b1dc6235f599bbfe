// Turns the image argument of `scan` / `sbom` into an ImageSource.
//   docker-archive:PATH[:NAME:TAG|:@N]   oci-archive:PATH[:TAG|@DIGEST]   oci:DIR[:TAG|@DIGEST]
//   PATH (detected: a directory with oci-layout + index.json, or a tar holding manifest.json /
//   index.json).
//   docker:NAME (docker-daemon:NAME)  podman:NAME  containerd:NAME  containers-storage:NAME  (stores/)
//   docker://REF: the registry only.
//   Anything else that parses as an image reference (a bare name) is looked up in the
//   --image-src stores in order, the registry last (docs/image-sources.md).
import { statSync, type Stats } from 'node:fs';
import { ImageError, PortcullisError } from '../errors.js';
import type { ImageSource } from '../model/image.js';
import { isDigest } from './digest.js';
import type { RegistryOptions } from './registry/client.js';
import { tryParseReference } from './registry/reference.js';
import { RegistrySource } from './registry/source.js';
import { parsePlatform, type Platform } from './platform.js';
import { DEFAULT_IMAGE_SOURCES, STORE_PREFIXES, storeSource, type ImageSourceName, type StoreKind } from './stores/index.js';
import { LookupSource } from './stores/lookup.js';
import { ArchiveFileSource, DockerArchiveSource, OciArchiveSource, OciLayoutSource, ociSelector } from './sources.js';

export interface ResolveOptions {
  /** `os/arch[/variant]` from --platform. */
  platform?: string;
  /** Registry access (credentials, --insecure-registry, --timeout); only registry references use it. */
  registry?: RegistryOptions;
  /** Where a bare name is looked for, in order (--image-src); default docker,containerd,podman,registry. */
  imageSources?: ImageSourceName[];
  /** Environment for the stores' conventions (DOCKER_HOST…); default: registry.env, else process.env. */
  env?: NodeJS.ProcessEnv;
  /** One-line notices for stderr (which store a bare name was read from). */
  onNotice?(message: string): void;
}

type Transport = 'docker-archive' | 'oci-archive' | 'oci';
const TRANSPORTS: Transport[] = ['docker-archive', 'oci-archive', 'oci'];

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

interface SplitPath {
  path: string;
  stats: Stats;
  /** What follows the path: `TAG`, `NAME:TAG`, `@N`, or `@sha256:…` (with the `@`). */
  ref?: string;
}

/**
 * Splits `PATH[:REF]` / `PATH@DIGEST`. Paths may contain ':' themselves, so the longest prefix
 * that exists wins.
 */
function splitPath(spec: string): SplitPath | undefined {
  const whole = statOf(spec);
  if (whole) return { path: spec, stats: whole };
  const at = /^(.*)@((sha256|sha512):[a-f0-9]+)$/.exec(spec);
  if (at && isDigest(at[2])) {
    const st = statOf(at[1]!);
    if (st) return { path: at[1]!, stats: st, ref: `@${at[2]}` };
  }
  for (let i = spec.length - 1; i > 0; i--) {
    if (spec[i] !== ':') continue;
    const st = statOf(spec.slice(0, i));
    if (st) {
      const ref = spec.slice(i + 1);
      return ref ? { path: spec.slice(0, i), stats: st, ref } : { path: spec.slice(0, i), stats: st };
    }
  }
  return undefined;
}

function notFound(spec: string): PortcullisError {
  return new PortcullisError('no such file or directory', { subject: spec });
}

function fromTransport(transport: Transport, spec: string, arg: string, platform: Platform | undefined): ImageSource {
  const found = splitPath(spec);
  if (!found) throw notFound(spec);
  const { path, stats, ref } = found;
  switch (transport) {
    case 'oci':
      if (!stats.isDirectory()) throw new ImageError('oci: needs an OCI layout directory (use oci-archive: for a tar)', { subject: path });
      return new OciLayoutSource(arg, path, ociSelector(ref, platform));
    case 'oci-archive':
      if (!stats.isFile()) throw new ImageError('oci-archive: needs a tar file (use oci: for a layout directory)', { subject: path });
      return new OciArchiveSource(arg, path, ociSelector(ref, platform));
    case 'docker-archive':
      if (!stats.isFile()) throw new ImageError('docker-archive: needs a tar file', { subject: path });
      return new DockerArchiveSource(arg, path, ref, platform);
  }
}

/** Looks like a file path the user mistyped rather than an image reference. */
function looksLikePath(arg: string): boolean {
  return /^(\.{0,2}\/|~)/.test(arg) || /\.(tar|tgz|tar\.gz|tar\.zst)$/i.test(arg);
}

/**
 * Something that is no local path: a registry reference (`[docker://]host/repo[:tag][@digest]`,
 * Docker Hub by default), or else a missing file.
 */
function resolveReference(arg: string, platform: Platform | undefined, opts: ResolveOptions): ImageSource {
  const ref = looksLikePath(arg) ? undefined : tryParseReference(arg);
  if (!ref) throw notFound(arg);
  const registry = opts.registry ?? {};
  if (arg.startsWith('docker://')) return new RegistrySource(arg, ref, platform, registry);
  const env = opts.env ?? registry.env ?? process.env;
  const order = opts.imageSources ?? DEFAULT_IMAGE_SOURCES;
  const candidates = order.map((name) => ({
    name,
    source: (): ImageSource => (name === 'registry' ? new RegistrySource(arg, ref, platform, registry) : storeSource(name, arg, `${name}:${arg}`, { env, platform })),
  }));
  return new LookupSource(arg, candidates, opts.onNotice);
}

export function resolveImageSource(arg: string, opts: ResolveOptions = {}): ImageSource {
  if (arg.trim() === '') throw new PortcullisError('no image given');
  const platform = opts.platform !== undefined ? parsePlatform(opts.platform) : undefined;
  for (const t of TRANSPORTS) {
    if (arg.startsWith(`${t}:`)) {
      const spec = arg.slice(t.length + 1);
      if (spec === '') throw new PortcullisError(`${t}: needs a path`, { subject: arg });
      return fromTransport(t, spec, arg, platform);
    }
  }
  for (const [prefix, kind] of Object.entries(STORE_PREFIXES) as [string, StoreKind][]) {
    // `docker://` is a registry reference, not the Docker Engine.
    if (arg.startsWith(prefix) && !arg.startsWith('docker://')) {
      return storeSource(kind, arg.slice(prefix.length), arg, { env: opts.env ?? opts.registry?.env ?? process.env, platform });
    }
  }
  const found = splitPath(arg);
  if (!found) return resolveReference(arg, platform, opts);
  const { path, stats, ref } = found;
  if (stats.isDirectory()) {
    if (!statOf(`${path}/oci-layout`) || !statOf(`${path}/index.json`)) {
      throw new ImageError('directory is not an OCI image layout (needs oci-layout and index.json)', { subject: path });
    }
    return new OciLayoutSource(arg, path, ociSelector(ref, platform));
  }
  if (!stats.isFile()) throw new ImageError('not a regular file or directory', { subject: path });
  return new ArchiveFileSource(arg, path, ref, platform);
}

// Turns the image argument of `scan` / `sbom` into an ImageSource.
//   docker-archive:PATH[:NAME:TAG|:@N]   oci-archive:PATH[:TAG|@DIGEST]   oci:DIR[:TAG|@DIGEST]
//   PATH (detected: a directory with oci-layout + index.json, or a tar holding manifest.json /
//   index.json). Anything else that parses as an image reference is read from a registry.
import { statSync, type Stats } from 'node:fs';
import { ImageError, PortcullisError } from '../errors.js';
import type { ImageSource } from '../model/image.js';
import { isDigest } from './digest.js';
import type { RegistryOptions } from './registry/client.js';
import { tryParseReference } from './registry/reference.js';
import { RegistrySource } from './registry/source.js';
import { parsePlatform, type Platform } from './platform.js';
import { ArchiveFileSource, DockerArchiveSource, OciArchiveSource, OciLayoutSource, ociSelector } from './sources.js';

export interface ResolveOptions {
  /** `os/arch[/variant]` from --platform. */
  platform?: string;
  /** Registry access (credentials, --insecure-registry, --timeout); only registry references use it. */
  registry?: RegistryOptions;
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
function resolveReference(arg: string, platform: Platform | undefined, opts: RegistryOptions): ImageSource {
  const ref = looksLikePath(arg) ? undefined : tryParseReference(arg);
  if (!ref) throw notFound(arg);
  return new RegistrySource(arg, ref, platform, opts);
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
  const found = splitPath(arg);
  if (!found) return resolveReference(arg, platform, opts.registry ?? {});
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

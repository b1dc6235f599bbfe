// The local ImageSource kinds: OCI layout directory, OCI archive, docker-archive, and a plain path
// whose kind is detected when opened.
import { open } from 'node:fs/promises';
import { ImageError } from '../errors.js';
import type { Image, ImageSource } from '../model/image.js';
import { DirectoryStore, TarStore } from './blob-store.js';
import { detectCompression } from './compression.js';
import { openDockerArchive } from './docker-archive.js';
import { openOciImage } from './oci.js';
import type { Platform } from './platform.js';
import type { Selector } from './select.js';

/** Opens an archive in place; a compressed archive is refused with a hint (it cannot be seeked). */
export async function openArchive(path: string): Promise<TarStore> {
  const fh = await open(path, 'r');
  const head = Buffer.alloc(4);
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  const compression = detectCompression(head);
  if (compression !== 'none') {
    throw new ImageError(`archive is ${compression}-compressed; decompress it first (e.g. ${compression === 'gzip' ? 'gunzip' : 'unzstd'})`, { subject: path });
  }
  return TarStore.open(path);
}

export class OciLayoutSource implements ImageSource {
  readonly description: string;
  constructor(private readonly source: string, private readonly dir: string, private readonly selector: Selector) {
    this.description = `OCI layout ${dir}`;
  }
  open(): Promise<Image> {
    return openOciImage(new DirectoryStore(this.dir), { source: this.source, sourceType: 'oci', selector: this.selector });
  }
}

export class OciArchiveSource implements ImageSource {
  readonly description: string;
  constructor(private readonly source: string, private readonly path: string, private readonly selector: Selector) {
    this.description = `OCI archive ${path}`;
  }
  async open(): Promise<Image> {
    return openOciImage(await openArchive(this.path), { source: this.source, sourceType: 'oci-archive', selector: this.selector });
  }
}

export class DockerArchiveSource implements ImageSource {
  readonly description: string;
  constructor(private readonly source: string, private readonly path: string, private readonly ref: string | undefined, private readonly platform: Platform | undefined) {
    this.description = `docker-archive ${path}`;
  }
  async open(): Promise<Image> {
    return openDockerArchive(await openArchive(this.path), {
      source: this.source,
      ...(this.ref !== undefined ? { ref: this.ref } : {}),
      ...(this.platform ? { platform: this.platform } : {}),
    });
  }
}

/**
 * A tar file of unknown kind: `manifest.json` makes it a docker-archive (Docker 25+ archives also
 * hold an OCI index; manifest.json is what docker load reads, so it wins), `index.json` +
 * `oci-layout` an OCI archive.
 */
export class ArchiveFileSource implements ImageSource {
  readonly description: string;
  constructor(private readonly source: string, private readonly path: string, private readonly ref: string | undefined, private readonly platform: Platform | undefined) {
    this.description = `image archive ${path}`;
  }
  async open(): Promise<Image> {
    const store = await openArchive(this.path);
    if (await store.has('manifest.json')) {
      return openDockerArchive(store, {
        source: this.source,
        ...(this.ref !== undefined ? { ref: this.ref } : {}),
        ...(this.platform ? { platform: this.platform } : {}),
      });
    }
    if ((await store.has('index.json')) || (await store.has('oci-layout'))) {
      return openOciImage(store, { source: this.source, sourceType: 'oci-archive', selector: ociSelector(this.ref, this.platform) });
    }
    throw new ImageError('tar archive has neither manifest.json (docker-archive) nor index.json (OCI archive)', { subject: this.path });
  }
}

/** `TAG` or `@sha256:…` after an OCI path, plus the platform. */
export function ociSelector(ref: string | undefined, platform: Platform | undefined): Selector {
  const sel: Selector = {};
  if (ref !== undefined) {
    if (ref.startsWith('@')) sel.digest = ref.slice(1);
    else sel.tag = ref;
  }
  if (platform) sel.platform = platform;
  return sel;
}

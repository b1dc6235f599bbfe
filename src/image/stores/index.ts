// The local image stores by name: the `docker:` / `podman:` / `containerd:` / `containers-storage:`
// sources, and what a bare name tries in `--image-src` order.
import { PortcullisError } from '../../errors.js';
import type { ImageSource } from '../../model/image.js';
import type { Platform } from '../platform.js';

export type StoreKind = 'docker' | 'podman' | 'containerd' | 'containers-storage';

/** Source prefixes; `docker-daemon:` is containers/image's name for `docker:`. */
export const STORE_PREFIXES: Record<string, StoreKind> = {
  'docker:': 'docker',
  'docker-daemon:': 'docker',
  'podman:': 'podman',
  'containerd:': 'containerd',
  'containers-storage:': 'containers-storage',
};

/** What `--image-src` may name, and its default order (Trivy's). */
export const IMAGE_SOURCES = ['docker', 'containerd', 'podman', 'containers-storage', 'registry'] as const;
export type ImageSourceName = (typeof IMAGE_SOURCES)[number];
export const DEFAULT_IMAGE_SOURCES: ImageSourceName[] = ['docker', 'containerd', 'podman', 'registry'];

export function parseImageSources(text: string): ImageSourceName[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new PortcullisError('--image-src: name at least one source');
  for (const n of names) {
    if (!(IMAGE_SOURCES as readonly string[]).includes(n)) {
      throw new PortcullisError(`--image-src: "${n}" is not one of ${IMAGE_SOURCES.join(', ')}`);
    }
  }
  return [...new Set(names)] as ImageSourceName[];
}

export interface StoreOptions {
  env: NodeJS.ProcessEnv;
  platform: Platform | undefined;
}

/**
 * The ImageSource for `kind:name` (name without the prefix); `source` is what the user wrote. The
 * store's client (node:http, gRPC, storage.conf) loads when the image is opened: a run that reads
 * an archive or a registry never loads them.
 */
export function storeSource(kind: StoreKind, name: string, source: string, opts: StoreOptions): ImageSource {
  if (name === '') throw new PortcullisError(`${kind}: needs an image name`, { subject: source });
  return {
    description: `${kind} image ${name}`,
    async open() {
      const { openStoreSource } = await import('./open-store.js');
      return openStoreSource(kind, name, source, opts).open();
    },
  };
}

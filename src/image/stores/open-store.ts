// The store sources themselves, loaded by index.ts's storeSource only when a store image is opened.
import type { ImageSource } from '../../model/image.js';
import { ContainerdImageSource } from './containerd-source.js';
import { ContainersStorageSource, parseStorageSpec } from './containers-storage.js';
import { EngineClient } from './engine-api.js';
import { EngineImageSource } from './engine-source.js';
import { containerdEndpoint, dockerEndpoint, podmanEndpoint } from './endpoints.js';
import type { StoreKind, StoreOptions } from './index.js';

export function openStoreSource(kind: StoreKind, name: string, source: string, opts: StoreOptions): ImageSource {
  switch (kind) {
    case 'docker':
      // PORTCULLIS_DOCKER_DIRECT=0: always the export stream, never the engine's data root.
      return new EngineImageSource(source, new EngineClient(dockerEndpoint(opts.env)), name, opts.platform, opts.env.PORTCULLIS_DOCKER_DIRECT !== '0');
    case 'podman':
      return new EngineImageSource(source, new EngineClient(podmanEndpoint(opts.env)), name, opts.platform);
    case 'containerd':
      return new ContainerdImageSource(source, name, containerdEndpoint(opts.env), opts.platform);
    case 'containers-storage':
      return new ContainersStorageSource(source, parseStorageSpec(name, opts.env), opts.platform);
  }
}

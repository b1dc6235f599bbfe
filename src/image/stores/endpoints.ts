// Where each daemon listens, by the conventions of its own client: DOCKER_HOST for the Docker
// Engine, CONTAINER_HOST (podman --remote's variable) for podman's service, CONTAINERD_ADDRESS and
// CONTAINERD_NAMESPACE for containerd (ctr's variables).
import { PortcullisError } from '../../errors.js';
import { endpointFrom, type EngineEndpoint } from './engine-api.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
export const ROOTFUL_PODMAN_SOCKET = '/run/podman/podman.sock';
export const DEFAULT_CONTAINERD_ADDRESS = '/run/containerd/containerd.sock';
export const DEFAULT_CONTAINERD_NAMESPACE = 'default';

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function dockerEndpoint(env: NodeJS.ProcessEnv): EngineEndpoint {
  return endpointFrom('docker', env.DOCKER_HOST || DEFAULT_DOCKER_HOST, env);
}

/** CONTAINER_HOST, else (not root) $XDG_RUNTIME_DIR/podman/podman.sock, else the rootful socket. */
export function podmanEndpoint(env: NodeJS.ProcessEnv): EngineEndpoint {
  if (env.CONTAINER_HOST) {
    if (!/^(unix|tcp):\/\//.test(env.CONTAINER_HOST)) throw new PortcullisError(`CONTAINER_HOST=${env.CONTAINER_HOST}: only unix:// and tcp:// are supported`);
    return endpointFrom('podman', env.CONTAINER_HOST, {});
  }
  if (!isRoot() && env.XDG_RUNTIME_DIR) return endpointFrom('podman', `unix://${env.XDG_RUNTIME_DIR}/podman/podman.sock`, {});
  return endpointFrom('podman', `unix://${ROOTFUL_PODMAN_SOCKET}`, {});
}

export interface ContainerdEndpoint {
  /** Socket path (`unix://` prefix removed). */
  socketPath: string;
  namespace: string;
}

export function containerdEndpoint(env: NodeJS.ProcessEnv): ContainerdEndpoint {
  const address = (env.CONTAINERD_ADDRESS || DEFAULT_CONTAINERD_ADDRESS).replace(/^unix:\/\//, '');
  if (!address.startsWith('/')) throw new PortcullisError(`CONTAINERD_ADDRESS=${address}: needs an absolute unix socket path`);
  return { socketPath: address, namespace: env.CONTAINERD_NAMESPACE || DEFAULT_CONTAINERD_NAMESPACE };
}

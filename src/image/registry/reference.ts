// Registry image references: `[host[:port]/]repo[:tag][@digest]`, with Docker's defaults (no host:
// Docker Hub; a one-part Hub name: `library/NAME`; no tag and no digest: `latest`).
import { PortcullisError } from '../../errors.js';
import { isDigest } from '../digest.js';

export interface RegistryReference {
  /** `host[:port]` as written (Docker Hub: `docker.io`). */
  registry: string;
  /** Where the API lives: `registry-1.docker.io` for Docker Hub, else `registry`. */
  apiHost: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const MAX_NAME = 255;

/** Docker's rule: the first part is a host when it has a `.` or `:`, or is `localhost`. */
function looksLikeHost(part: string): boolean {
  return part.includes('.') || part.includes(':') || part === 'localhost' || part.startsWith('[');
}

/** Parses a reference; undefined when `text` is not one (the caller then reports a missing file). */
export function tryParseReference(text: string): RegistryReference | undefined {
  let rest = text.startsWith('docker://') ? text.slice('docker://'.length) : text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    if (!isDigest(digest)) return undefined;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    if (!TAG.test(tag)) return undefined;
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && looksLikeHost(parts[0]!)) {
    registry = parts.shift()!;
    if (!HOST.test(registry)) return undefined;
  }
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) return undefined;
  const hub = HUB_ALIASES.has(registry.toLowerCase());
  if (hub) registry = DOCKER_HUB;
  if (hub && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (repository.length > MAX_NAME) return undefined;
  const ref: RegistryReference = { registry, apiHost: hub ? DOCKER_HUB_API : registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  if (tag === undefined && digest === undefined) ref.tag = 'latest';
  return ref;
}

export function parseReference(text: string): RegistryReference {
  const ref = tryParseReference(text);
  if (!ref) throw new PortcullisError('not a valid image reference (expected [host[:port]/]repository[:tag][@sha256:…])', { subject: text });
  return ref;
}

/** `host/repo:tag@digest`, canonical (Docker Hub spelled `docker.io`). */
export function formatReference(ref: RegistryReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The hostname without port or IPv6 brackets. */
export function hostnameOf(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  const i = hostPort.lastIndexOf(':');
  return i >= 0 ? hostPort.slice(0, i) : hostPort;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

/** Plain HTTP is allowed only for loopback hosts and hosts the user named as insecure. */
export function allowsPlainHttp(hostPort: string, insecure: readonly string[]): boolean {
  const host = hostnameOf(hostPort).toLowerCase();
  if (LOOPBACK.has(host)) return true;
  return insecure.some((h) => {
    const x = h.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
    return x === hostPort.toLowerCase() || x === host;
  });
}

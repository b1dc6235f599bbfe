// A small client of the Docker Engine API (which podman's service also speaks): where the daemon
// is (unix socket, tcp, tcp with TLS), API version negotiation, and failures turned into one line
// naming the socket. Only the two GETs an image read needs: inspect and export.
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { homeDir } from '../../util/home-dir.js';
import { join } from 'node:path';
import { PortcullisError } from '../../errors.js';

export interface EngineEndpoint {
  /** `docker` or `podman`: names the store in messages. */
  store: string;
  /** As the user would write it: `unix:///run/docker.sock`, `tcp://host:2376`. */
  address: string;
  socketPath?: string;
  host?: string;
  port?: number;
  tls?: { ca: Buffer; cert: Buffer; key: Buffer };
}

export { NotInStore, StoreUnreachable } from './store-errors.js';
import { StoreUnreachable } from './store-errors.js';

/** Parses `unix://PATH` or `tcp://HOST:PORT` (TLS when DOCKER_TLS_VERIFY is set, as the docker CLI does). */
export function endpointFrom(store: string, address: string, env: NodeJS.ProcessEnv): EngineEndpoint {
  if (address.startsWith('unix://')) {
    const socketPath = address.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new PortcullisError(`${address}: a unix socket address needs an absolute path`);
    return { store, address, socketPath };
  }
  const tcp = /^tcp:\/\/([^/:]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})\/?$/.exec(address);
  if (!tcp) throw new PortcullisError(`${address}: not a unix:// or tcp://HOST:PORT address`);
  const endpoint: EngineEndpoint = { store, address, host: tcp[1]!.replace(/^\[|\]$/g, ''), port: Number(tcp[2]) };
  if (env.DOCKER_TLS_VERIFY) {
    const dir = env.DOCKER_CERT_PATH || join(homeDir(env), '.docker');
    try {
      endpoint.tls = { ca: readFileSync(join(dir, 'ca.pem')), cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
    } catch (err) {
      throw new PortcullisError(`DOCKER_TLS_VERIFY is set but ${dir} lacks a readable ca.pem, cert.pem or key.pem (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return endpoint;
}

/** The oldest API that has everything used here, and the newest this client was tested against. */
const MIN_API = [1, 24] as const;
const MAX_API = [1, 45] as const;

function parseVersion(v: string | undefined): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(v ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function older(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

export class EngineClient {
  private prefix: string | undefined;

  constructor(readonly endpoint: EngineEndpoint) {}

  private unreachable(err: NodeJS.ErrnoException): PortcullisError {
    const where = this.endpoint.socketPath ?? this.endpoint.address;
    const { store } = this.endpoint;
    if (err.code === 'EACCES' || err.code === 'EPERM') {
      return new StoreUnreachable(`permission denied on the ${store} socket ${where} (run as a user allowed to use it, or point ${store === 'podman' ? 'CONTAINER_HOST' : 'DOCKER_HOST'} elsewhere)`, { cause: err });
    }
    const why = err.code === 'ENOENT' ? 'no socket there' : err.code === 'ECONNREFUSED' ? 'connection refused' : (err.code ?? err.message);
    return new StoreUnreachable(`${store} daemon not reachable at ${this.endpoint.address} (${why})`, { cause: err });
  }

  /** One GET; resolves with the response (status not checked), rejects with StoreUnreachable. */
  get(path: string): Promise<IncomingMessage> {
    const e = this.endpoint;
    const opts: RequestOptions = { method: 'GET', path, headers: { Host: 'docker' } };
    if (e.socketPath) opts.socketPath = e.socketPath;
    else {
      opts.host = e.host;
      opts.port = e.port;
    }
    const send = e.tls ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(e.tls ? { ...opts, ca: e.tls.ca, cert: e.tls.cert, key: e.tls.key } : opts, resolve);
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.unreachable(err)));
      req.end();
    });
  }

  /** `/vX.Y` agreed with the daemon: its version when older than ours (Engine 20.10 refuses newer paths). */
  async apiPrefix(): Promise<string> {
    if (this.prefix !== undefined) return this.prefix;
    const res = await this.get('/_ping');
    res.resume();
    if (res.statusCode !== 200) throw new StoreUnreachable(`${this.endpoint.store} daemon at ${this.endpoint.address} answered /_ping with HTTP ${res.statusCode}`);
    const theirs = parseVersion(res.headers['api-version'] as string | undefined) ?? MIN_API;
    if (older(theirs, MIN_API)) {
      throw new StoreUnreachable(`${this.endpoint.store} daemon at ${this.endpoint.address} speaks API ${theirs.join('.')}, older than the ${MIN_API.join('.')} this needs`);
    }
    const use = older(theirs, MAX_API) ? theirs : MAX_API;
    this.prefix = `/v${use[0]}.${use[1]}`;
    return this.prefix;
  }

  /** GET a small JSON document; a non-2xx answer becomes an error carrying the daemon's message. */
  async getJson(path: string, limit = 16 * 1024 * 1024): Promise<{ status: number; body: unknown; message: string }> {
    const res = await this.get(`${await this.apiPrefix()}${path}`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res) {
      size += (c as Buffer).length;
      if (size > limit) {
        res.destroy();
        throw new PortcullisError(`${this.endpoint.store} daemon at ${this.endpoint.address}: answer to ${path} exceeds ${limit} bytes`);
      }
      chunks.push(c as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const message = typeof (body as { message?: unknown })?.message === 'string' ? (body as { message: string }).message : text.trim().slice(0, 200);
    return { status: res.statusCode ?? 0, body, message };
  }
}

/** Image names go into the URL path as Docker's own client sends them; anything else is refused. */
export function imagePath(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/.test(name) || name.includes('..')) {
    throw new PortcullisError(`"${name}" is not an image name or ID`);
  }
  return name;
}

// The OCI distribution API calls portcullis needs (pull only): manifests by tag or digest with
// content negotiation, small verified blobs (configs), and layer blobs as resumable streams.
import { Readable } from 'node:stream';
import { ImageError, PortcullisError } from '../../errors.js';
import { digestAlgorithm, digestOf } from '../digest.js';
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_SCHEMA1, OCI_INDEX, OCI_MANIFEST } from '../media-types.js';
import { Authenticator } from './auth.js';
import { resolveCredentials } from './credentials.js';
import { allowsPlainHttp, type RegistryReference } from './reference.js';
import { Redactor } from './redact.js';
import { backoffDelay, describeNetworkError, isRetryableNetworkError, DEFAULT_RETRY } from './retry.js';
import { drain, headerValue, readBody, Transport, type HttpRequest, type HttpResponse } from './transport.js';

export interface RegistryOptions {
  username?: string;
  password?: string;
  /** Hosts (`host` or `host:port`) that may be reached over plain HTTP. */
  insecureRegistries?: string[];
  /** Overall bound on all requests of one image (default 5 minutes). */
  timeoutMs?: number;
  /** Default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  dockerConfigPath?: string;
  /** Per-request idle timeout: connect, headers, and between body chunks (default 30 s). */
  idleTimeoutMs?: number;
  /** Attempts per request, including the first (default 5). */
  maxAttempts?: number;
  /** First backoff delay (default 250 ms; doubles per attempt, jittered). */
  retryBaseMs?: number;
  /** Where to read PORTCULLIS_REGISTRY_* and DOCKER_CONFIG (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Ask for push access too (`repository:R:pull,push`): attestation uploads (push.ts). */
  push?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Manifests and configs are small; anything bigger is hostile. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;
const BLOB_BUFFER_BYTES = 4 * 1024 * 1024;

export const MANIFEST_ACCEPT = [OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST].join(', ');

export interface FetchedManifest {
  body: Buffer;
  mediaType: string | undefined;
  /** Verified: of the bytes received, and equal to the requested / announced digest. */
  digest: string;
}

/** The first error of a distribution error body: `MANIFEST_UNKNOWN: manifest unknown`. */
async function registryErrorText(res: HttpResponse): Promise<string> {
  const body = await readBody(res.body, MAX_ERROR_BODY).catch(() => undefined);
  if (!body) return '';
  try {
    const json = JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
    const e = json.errors?.[0];
    if (e) return ` (${[e.code, e.message].filter((x) => typeof x === 'string' && x).join(': ').slice(0, 200)})`;
  } catch {
    // not a distribution error body
  }
  return '';
}

export class RegistryClient {
  readonly redactor = new Redactor();
  readonly transport: Transport;
  readonly base: URL;
  readonly scope: string;
  private auth?: Authenticator;

  constructor(readonly ref: RegistryReference, private readonly opts: RegistryOptions = {}) {
    const insecure = opts.insecureRegistries ?? [];
    const scheme = allowsPlainHttp(ref.apiHost, insecure) ? 'http' : 'https';
    this.base = new URL(`${scheme}://${ref.apiHost}`);
    this.scope = `repository:${ref.repository}:${opts.push ? 'pull,push' : 'pull'}`;
    this.transport = new Transport({
      subject: `registry ${ref.registry}`,
      idleTimeoutMs: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: { ...DEFAULT_RETRY, ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}), ...(opts.retryBaseMs !== undefined ? { baseDelayMs: opts.retryBaseMs } : {}) },
      insecureRegistries: insecure,
      redactor: this.redactor,
    });
    if (opts.password !== undefined) this.redactor.add(opts.password);
  }

  private async authenticator(): Promise<Authenticator> {
    if (!this.auth) {
      const creds = await resolveCredentials(this.ref.registry, {
        ...(this.opts.username !== undefined ? { username: this.opts.username } : {}),
        ...(this.opts.password !== undefined ? { password: this.opts.password } : {}),
        ...(this.opts.dockerConfigPath !== undefined ? { dockerConfigPath: this.opts.dockerConfigPath } : {}),
        ...(this.opts.env ? { env: this.opts.env } : {}),
        signal: this.transport.signal,
      });
      this.auth = new Authenticator(this.ref.registry, creds, this.transport, this.redactor);
    }
    return this.auth;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private fail(req: Pick<HttpRequest, 'method' | 'url'>, what: string): ImageError {
    return this.transport.fail(req, what, this.base.origin);
  }

  /** An authenticated request under `/v2/…`: on 401 the challenge is answered and it is sent once more. */
  async request(method: HttpRequest['method'], path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<HttpResponse> {
    const auth = await this.authenticator();
    const url = new URL(path, this.base);
    await auth.prepare(this.scope);
    for (let retried = false; ; retried = true) {
      const h: Record<string, string> = { 'user-agent': 'portcullis', ...headers };
      const authorization = auth.headerFor(this.scope);
      if (authorization) h.authorization = authorization;
      const req: HttpRequest = { method, url, headers: h, ...(body !== undefined ? { body } : {}) };
      const res = await this.transport.send(req, this.base.origin);
      if (res.status !== 401) return res;
      drain(res);
      const again = await auth.onUnauthorized(res, this.scope, retried);
      if (!again) throw this.fail(req, `HTTP 401 Unauthorized: the registry refused the credentials for ${this.scope}`);
    }
  }

  async expectOk(res: HttpResponse, req: Pick<HttpRequest, 'method' | 'url'>, what: string): Promise<void> {
    if (res.status >= 200 && res.status < 300) return;
    const detail = await registryErrorText(res);
    // fail() redacts the whole message.
    if (res.status === 404) throw this.fail(req, `HTTP 404: ${what} not found${detail}`);
    if (res.status === 403) throw this.fail(req, `HTTP 403 Forbidden: no pull access to ${this.ref.repository}${detail}`);
    throw this.fail(req, `HTTP ${res.status}${detail}`);
  }

  /** GET a manifest or index by tag or digest; its digest is computed and checked. */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const path = `/v2/${this.ref.repository}/manifests/${reference}`;
    const req = { method: 'GET' as const, url: new URL(path, this.base) };
    const body = await this.withBodyRetries(req, async () => {
      const res = await this.request('GET', path, { accept: MANIFEST_ACCEPT });
      await this.expectOk(res, req, `manifest ${reference} of ${this.ref.repository}`);
      const data = await readBody(res.body, MAX_MANIFEST_BYTES);
      if (!data) throw this.fail(req, `manifest is larger than ${MAX_MANIFEST_BYTES} bytes`);
      return { data, res };
    });
    const { data, res } = body;
    const contentType = headerValue(res, 'content-type')?.split(';')[0]?.trim();
    if (contentType && DOCKER_SCHEMA1.includes(contentType)) {
      throw this.fail(req, `the registry answered with a Docker schema 1 manifest (${contentType}), which portcullis does not support; push the image as OCI or Docker v2 schema 2`);
    }
    const announced = headerValue(res, 'docker-content-digest')?.trim();
    const expected = reference.includes(':') ? reference : announced;
    const algorithm = digestAlgorithm(expected ?? '');
    const digest = digestOf(data, algorithm);
    if (reference.includes(':') && digest !== reference) throw this.fail(req, `manifest digest mismatch: asked for ${reference}, content hashes to ${digest}`);
    if (announced) {
      const announcedAlgorithm = digestAlgorithm(announced);
      const actual = announcedAlgorithm === algorithm ? digest : digestOf(data, announcedAlgorithm);
      if (announced !== actual) throw this.fail(req, `manifest digest mismatch: Docker-Content-Digest says ${announced}, content hashes to ${actual}`);
    }
    let mediaType = contentType && contentType !== 'application/json' && contentType !== 'application/octet-stream' ? contentType : undefined;
    let schemaVersion: unknown;
    try {
      const json = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      schemaVersion = json.schemaVersion;
      if (typeof json.mediaType === 'string') mediaType = json.mediaType;
    } catch {
      throw this.fail(req, 'manifest is not valid JSON');
    }
    if (schemaVersion === 1 || (mediaType && DOCKER_SCHEMA1.includes(mediaType))) {
      throw this.fail(req, 'the registry answered with a Docker schema 1 manifest, which portcullis does not support; push the image as OCI or Docker v2 schema 2');
    }
    return { body: data, mediaType, digest };
  }

  /** A small blob (config), checked against its digest and size. */
  async getBlob(digest: string, size: number, what: string): Promise<Buffer> {
    const path = `/v2/${this.ref.repository}/blobs/${digest}`;
    const req = { method: 'GET' as const, url: new URL(path, this.base) };
    if (size > MAX_MANIFEST_BYTES) throw this.fail(req, `${what} blob is too large (${size} bytes, limit ${MAX_MANIFEST_BYTES})`);
    const { data } = await this.withBodyRetries(req, async () => {
      const res = await this.request('GET', path);
      await this.expectOk(res, req, `${what} blob ${digest}`);
      const data = await readBody(res.body, Math.max(size, 0) + 1);
      if (!data) throw this.fail(req, `${what} blob ${digest} is larger than its descriptor's size ${size}`);
      return { data, res };
    });
    if (data.length !== size) throw this.fail(req, `${what} blob ${digest} has ${data.length} bytes, its descriptor says ${size}`);
    const actual = digestOf(data, digestAlgorithm(digest));
    if (actual !== digest) throw this.fail(req, `${what} blob ${digest} digest mismatch (content hashes to ${actual})`);
    return data;
  }

  /** Retries an exchange whose body failed in transit (reset, idle timeout). */
  private async withBodyRetries<T>(req: HttpRequest | Pick<HttpRequest, 'method' | 'url'>, fn: () => Promise<T>): Promise<T> {
    const policy = this.transport.opts.retry;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof PortcullisError || !isRetryableNetworkError(err) || this.transport.signal.aborted) {
          if (err instanceof PortcullisError) throw err;
          if (this.transport.signal.aborted) throw this.fail(req, `gave up: overall timeout exceeded (--timeout)`);
          throw this.fail(req, describeNetworkError(err));
        }
        const why = `${describeNetworkError(err)} while reading the body`;
        if (attempt >= policy.maxAttempts) throw this.fail(req, `${why}, gave up after ${attempt} attempts`);
        await this.transport.pause({ ...req, headers: {} }, backoffDelay(policy, attempt), why, attempt);
      }
    }
  }

  /**
   * A layer blob as a stream of its stored bytes. A connection that breaks mid-body is resumed
   * with a Range request from the byte reached (or re-read and skipped when the registry ignores
   * Range), up to the retry budget. Verification is the caller's (VerifyStream).
   */
  openBlob(digest: string): Readable {
    const path = `/v2/${this.ref.repository}/blobs/${digest}`;
    const req = { method: 'GET' as const, url: new URL(path, this.base), headers: {} };
    const policy = this.transport.opts.retry;
    const self = this;
    async function* chunks(): AsyncGenerator<Buffer> {
      let offset = 0;
      for (let failures = 0; ; ) {
        const res = await self.request('GET', path, offset > 0 ? { range: `bytes=${offset}-` } : {});
        await self.expectOk(res, req, `layer blob ${digest}`);
        let skip = 0;
        if (offset > 0) {
          const range = headerValue(res, 'content-range');
          const start = res.status === 206 && range ? Number(/^bytes (\d+)-/.exec(range)?.[1]) : 0;
          if (res.status === 206 && start !== offset) {
            drain(res);
            throw self.fail(req, `resumed download starts at byte ${start}, not ${offset}`);
          }
          skip = res.status === 206 ? 0 : offset;
        }
        try {
          for await (const raw of res.body) {
            let chunk = raw as Buffer;
            if (skip > 0) {
              const n = Math.min(skip, chunk.length);
              skip -= n;
              chunk = chunk.subarray(n);
              if (chunk.length === 0) continue;
            }
            offset += chunk.length;
            yield chunk;
          }
          if (skip > 0) throw self.fail(req, 'the registry sent fewer bytes on a resumed download than before');
          return;
        } catch (err) {
          res.body.destroy();
          if (err instanceof PortcullisError) throw err;
          if (self.transport.signal.aborted) throw self.fail(req, 'gave up: overall timeout exceeded (--timeout)');
          if (!isRetryableNetworkError(err)) throw self.fail(req, describeNetworkError(err));
          failures++;
          const why = `${describeNetworkError(err)} after ${offset} bytes`;
          if (failures >= policy.maxAttempts) throw self.fail(req, `${why}, gave up after ${failures} attempts`);
          await self.transport.pause(req, backoffDelay(policy, failures), why, failures);
        }
      }
    }
    // A deep buffer lets the network run ahead of decompression instead of alternating with it.
    return Readable.from(chunks(), { objectMode: false, highWaterMark: BLOB_BUFFER_BYTES });
  }
}

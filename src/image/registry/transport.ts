// One HTTP exchange with a registry (or its token service) on undici: retries with backoff on
// 5xx / 429 / resets / idle timeouts, redirects followed by hand (Authorization never crosses to
// another origin, HTTPS never downgrades), everything bounded by one overall deadline.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { Agent } from 'undici';
import { ImageError, PortcullisError } from '../../errors.js';
import { allowsPlainHttp } from './reference.js';
import type { Redactor } from './redact.js';
import { backoffDelay, describeNetworkError, isRetryableNetworkError, isRetryableStatus, parseRetryAfter, type RetryPolicy } from './retry.js';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT';
  url: URL;
  headers: Record<string, string>;
  /** A Buffer is re-sent as is on a retry (uploads: src/image/registry/push.ts). */
  body?: string | Buffer;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  url: URL;
}

export interface TransportOptions {
  /** `registry HOST`, the subject of every error. */
  subject: string;
  idleTimeoutMs: number;
  timeoutMs: number;
  retry: RetryPolicy;
  insecureRegistries: readonly string[];
  redactor: Redactor;
}

const MAX_REDIRECTS = 5;
const BODY_HIGH_WATER_MARK = 1024 * 1024;
const MAX_RETRY_AFTER_MS = 60_000;

export function headerValue(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads a (small) body to the end, refusing more than `limit` bytes. */
export async function readBody(body: Readable, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function drain(res: HttpResponse): void {
  res.body.on('error', () => {});
  res.body.resume();
}

export class Transport {
  readonly agent: Agent;
  private readonly controller = new AbortController();
  private readonly deadline: number;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(readonly opts: TransportOptions) {
    this.agent = new Agent({
      connect: { timeout: opts.idleTimeoutMs },
      headersTimeout: opts.idleTimeoutMs,
      bodyTimeout: opts.idleTimeoutMs,
      keepAliveTimeout: 10_000,
    });
    this.deadline = Date.now() + opts.timeoutMs;
    this.timer = setTimeout(() => this.controller.abort(), opts.timeoutMs);
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  remainingMs(): number {
    return this.deadline - Date.now();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.controller.abort();
    await this.agent.destroy().catch(() => {});
  }

  /** An ImageError about `req`, naming the registry, the path and what went wrong, secrets redacted. */
  fail(req: Pick<HttpRequest, 'method' | 'url'>, what: string, registryOrigin?: string): ImageError {
    const where = registryOrigin !== undefined && req.url.origin !== registryOrigin ? `${req.url.origin}${req.url.pathname}` : req.url.pathname;
    return new ImageError(this.opts.redactor.redact(`${req.method} ${where}: ${what}`), { subject: this.opts.subject });
  }

  private deadlineError(req: HttpRequest): ImageError {
    if (this.closed) return this.fail(req, 'the image source was closed');
    return this.fail(req, `gave up: overall timeout of ${Math.round(this.opts.timeoutMs / 1000)}s exceeded (--timeout)`);
  }

  /** Waits before another attempt, or gives up when the wait would pass the deadline. */
  async pause(req: HttpRequest, ms: number, why: string, attempts: number): Promise<void> {
    if (ms >= this.remainingMs()) {
      throw this.fail(req, `${why}, gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} (retrying would pass the overall --timeout)`);
    }
    try {
      await sleep(ms, undefined, { signal: this.signal });
    } catch {
      throw this.deadlineError(req);
    }
  }

  checkScheme(url: URL): void {
    if (url.protocol === 'https:') return;
    if (url.protocol === 'http:' && allowsPlainHttp(url.host, this.opts.insecureRegistries)) return;
    throw new ImageError(`refusing plain HTTP to ${url.host} (only loopback hosts or --insecure-registry ${url.host})`, { subject: this.opts.subject });
  }

  /** One request attempt, no retries; network errors propagate. */
  private async once(req: HttpRequest): Promise<HttpResponse> {
    this.checkScheme(req.url);
    const res = await this.agent.request({
      origin: req.url.origin,
      path: `${req.url.pathname}${req.url.search}`,
      method: req.method,
      headers: req.headers,
      signal: this.signal,
      highWaterMark: BODY_HIGH_WATER_MARK,
      ...(req.body !== undefined ? { body: req.body } : {}),
    });
    return { status: res.statusCode, headers: res.headers, body: res.body, url: req.url };
  }

  /** Follows redirects (dropping Authorization when the origin changes). */
  private async withRedirects(req: HttpRequest): Promise<HttpResponse> {
    let current = req;
    for (let hop = 0; ; hop++) {
      const res = await this.once(current);
      const location = headerValue(res, 'location');
      if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
      drain(res);
      if (hop >= MAX_REDIRECTS) throw this.fail(req, `more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, current.url);
      if (current.url.protocol === 'https:' && next.protocol !== 'https:') throw this.fail(req, `redirect to plain HTTP ${next.host} refused`);
      const headers = { ...current.headers };
      if (next.origin !== current.url.origin) delete headers.authorization;
      const method = res.status === 303 ? 'GET' : current.method;
      current = { method, url: next, headers };
    }
  }

  /**
   * Sends `req`, retrying transient failures. The answer is any response whose status is not
   * retryable (the caller judges 2xx / 4xx).
   */
  async send(req: HttpRequest, registryOrigin?: string): Promise<HttpResponse> {
    const { maxAttempts } = this.opts.retry;
    for (let attempt = 1; ; attempt++) {
      if (this.signal.aborted) throw this.deadlineError(req);
      let res: HttpResponse;
      try {
        res = await this.withRedirects(req);
      } catch (err) {
        if (err instanceof PortcullisError) throw err;
        if (this.signal.aborted) throw this.deadlineError(req);
        if (!isRetryableNetworkError(err)) throw this.fail(req, describeNetworkError(err), registryOrigin);
        const why = describeNetworkError(err);
        if (attempt >= maxAttempts) throw this.fail(req, `${why}, gave up after ${attempt} attempts`, registryOrigin);
        await this.pause(req, backoffDelay(this.opts.retry, attempt), why, attempt);
        continue;
      }
      if (!isRetryableStatus(res.status)) return res;
      drain(res);
      const why = `HTTP ${res.status}`;
      if (attempt >= maxAttempts) throw this.fail(req, `${why}, gave up after ${attempt} attempts`, registryOrigin);
      const asked = parseRetryAfter(headerValue(res, 'retry-after'));
      const delay = asked !== undefined ? Math.min(asked, MAX_RETRY_AFTER_MS) : backoffDelay(this.opts.retry, attempt);
      await this.pause(req, delay, why, attempt);
    }
  }
}

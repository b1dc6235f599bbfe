// One source download with conditional requests, bounded retries + backoff, and integrity checks
// (Content-Length, x-goog-hash md5, byte limit). The body goes to a temp file, never to memory.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, openSync, rmSync } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { errorMessage } from '../errors.js';
import { parseRetryAfter } from '../image/registry/retry.js';

export interface Validators {
  etag?: string;
  lastModified?: string;
}

export type Download =
  | { kind: 'not-modified' }
  | { kind: 'ok'; file: string; bytes: number; etag?: string; lastModified?: string };

export interface FetchOptions {
  /** Attempts per source after the first (429, 5xx, resets, timeouts, truncation, bad checksum). */
  retries?: number;
  backoffMs?: number;
  maxBytes?: number;
  onBytes?: (received: number, total: number | undefined) => void;
  log?: (message: string) => void;
}

/** A failure worth retrying (the same source may answer next time). */
export class TransientError extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

/** A failure the same source will repeat (404, 403…): go to the next source. */
export class PermanentError extends Error {}

// One agent for every download of the process (connections are reused across sources).
let sharedAgent: Agent | undefined;
function agent(): Dispatcher {
  sharedAgent ??= new Agent({ headersTimeout: 30_000, bodyTimeout: 60_000, connectTimeout: 15_000 });
  return sharedAgent;
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** `x-goog-hash: crc32c=…,md5=…` -> the md5 (base64), when sent. */
export function googMd5(value: string | undefined): string | undefined {
  if (!value) return undefined;
  for (const part of value.split(',')) {
    const [k, ...rest] = part.trim().split('=');
    if (k === 'md5') return rest.join('=');
  }
  return undefined;
}

async function downloadOnce(url: string, v: Validators, tmpPrefix: string, opts: FetchOptions): Promise<Download> {
  const headers: Record<string, string> = { 'user-agent': 'portcullis', 'accept-encoding': 'identity' };
  if (v.etag) headers['if-none-match'] = v.etag;
  if (v.lastModified) headers['if-modified-since'] = v.lastModified;
  let res: Dispatcher.ResponseData<unknown>;
  try {
    res = await request(url, { method: 'GET', headers, dispatcher: agent() });
  } catch (err) {
    throw new TransientError(`request failed: ${errorMessage(err)}`);
  }
  const status = res.statusCode;
  if (status === 304) {
    await res.body.dump();
    return { kind: 'not-modified' };
  }
  if (status === 429 || status >= 500) {
    await res.body.dump().catch(() => undefined);
    throw new TransientError(`HTTP ${status}`, parseRetryAfter(header(res.headers, 'retry-after')));
  }
  if (status !== 200) {
    await res.body.dump().catch(() => undefined);
    throw new PermanentError(`HTTP ${status}`);
  }
  const lengthHeader = header(res.headers, 'content-length');
  const expected = lengthHeader !== undefined ? Number(lengthHeader) : undefined;
  const max = opts.maxBytes ?? 4 * 1024 ** 3;
  if (expected !== undefined && expected > max) {
    res.body.destroy();
    throw new PermanentError(`Content-Length ${expected} is over the ${max}-byte limit`);
  }
  const md5 = createHash('md5');
  let bytes = 0;
  const file = `${tmpPrefix}${randomBytes(6).toString('hex')}.download.tmp`;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > max) return cb(new PermanentError(`body is over the ${max}-byte limit`));
      md5.update(chunk);
      opts.onBytes?.(bytes, expected);
      cb(null, chunk);
    },
  });
  try {
    // Opened synchronously so the file exists (and can be removed) whatever fails next.
    await pipeline(res.body, meter, createWriteStream('', { fd: openSync(file, 'wx', 0o600) }));
  } catch (err) {
    rmSync(file, { force: true });
    if (err instanceof PermanentError) throw err;
    throw new TransientError(`download interrupted after ${bytes} bytes: ${errorMessage(err)}`);
  }
  if (expected !== undefined && bytes !== expected) {
    rmSync(file, { force: true });
    throw new TransientError(`truncated body: ${bytes} of ${expected} bytes`);
  }
  const wantMd5 = googMd5(header(res.headers, 'x-goog-hash'));
  if (wantMd5 !== undefined && md5.digest('base64') !== wantMd5) {
    rmSync(file, { force: true });
    throw new TransientError('md5 of the body does not match the x-goog-hash header');
  }
  const out: Download = { kind: 'ok', file, bytes };
  const etag = header(res.headers, 'etag');
  const lastModified = header(res.headers, 'last-modified');
  if (etag) out.etag = etag;
  if (lastModified) out.lastModified = lastModified;
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Downloads from one URL with bounded retries into `${tmpPrefix}<random>.download.tmp`; throws the
 * last error when every attempt failed.
 */
export async function download(url: string, v: Validators, tmpPrefix: string, opts: FetchOptions = {}): Promise<Download> {
  const retries = opts.retries ?? 2;
  const base = opts.backoffMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    try {
      return await downloadOnce(url, v, tmpPrefix, opts);
    } catch (err) {
      if (!(err instanceof TransientError) || attempt >= retries) throw err;
      const wait = Math.min(30_000, err.retryAfterMs ?? base * 2 ** attempt * (0.75 + Math.random() / 2));
      opts.log?.(`${url}: ${err.message}; retrying in ${Math.round(wait)} ms`);
      await sleep(wait);
    }
  }
}

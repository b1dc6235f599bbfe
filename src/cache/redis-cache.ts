// The shared layer cache on Redis (node-redis' @redis/client). An accelerator, never a dependency:
// every call has a deadline, the client never reconnects or queues offline, and any failure is
// thrown for the caller to turn into one warning and a cold scan. Entries are the same authenticated envelopes
// as on disk (entry.ts); this file only moves bytes.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { errorMessage, PortcullisError } from '../errors.js';
import type { RedisBackendSpec } from './backend.js';
import { loadRedisLib } from './redis-module.js';

/** Every entry lives under this prefix: `cache info|clean` touch nothing else in the database. */
export const REDIS_KEY_PREFIX = 'portcullis:layer-cache:v1:';

export interface RedisTlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface RedisCacheOptions {
  spec: RedisBackendSpec;
  tls?: RedisTlsFiles;
  /** Deadline of the connection and of each round trip. */
  timeoutMs: number;
  ttlMs: number;
  maxEntryBytes: number;
}

export class SharedCacheError extends Error {}

export const redisKeyOf = (key: string): string => REDIS_KEY_PREFIX + createHash('sha256').update(key).digest('hex');

/**
 * What we use of node-redis' RedisClient: the bare class, not createClient()'s, which first builds a
 * subclass with a method for each of its ~500 commands (and again for MULTI): ~130 ms of CPU per
 * process, more than a fully seen image's whole inventory step. Commands go through sendCommand.
 */
interface Client {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  sendCommand<T = unknown>(args: readonly (string | Buffer)[], options?: { typeMapping?: Record<number, unknown> }): Promise<T>;
  close(): Promise<unknown>;
  destroy(): unknown;
}


async function withDeadline<T>(what: string, ms: number, work: Promise<T>, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new SharedCacheError(`${what} took longer than ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function readTlsFile(path: string | undefined, what: string): Promise<Buffer | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    throw new PortcullisError(`${what} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`);
  }
}

/** Reads the TLS files up front: a missing CA file is a configuration error (exit 2), not a cold scan. */
export async function loadTlsFiles(files: RedisTlsFiles | undefined): Promise<{ ca?: Buffer; cert?: Buffer; key?: Buffer }> {
  const [ca, cert, key] = await Promise.all([
    readTlsFile(files?.ca, '--cache-tls-ca'),
    readTlsFile(files?.cert, '--cache-tls-cert'),
    readTlsFile(files?.key, '--cache-tls-key'),
  ]);
  if ((cert === undefined) !== (key === undefined)) throw new PortcullisError('--cache-tls-cert and --cache-tls-key go together');
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

export class RedisLayerCache {
  private client?: Client;
  private connecting?: Promise<Client>;
  /** The handshake ended well: close() may wait for the client, not only drop it. */
  private ready = false;
  /** close() was called: a connection not started yet is never started. */
  private closed = false;
  private lastError?: Error;
  /** Set by the first failure: the backend is not tried again in this run. */
  private failed?: SharedCacheError;

  private constructor(
    private readonly opts: RedisCacheOptions,
    private readonly tls: { ca?: Buffer; cert?: Buffer; key?: Buffer },
  ) {}

  static async create(opts: RedisCacheOptions): Promise<RedisLayerCache> {
    return new RedisLayerCache(opts, opts.spec.tls ? await loadTlsFiles(opts.tls) : {});
  }

  /**
   * Starts connecting at the next turn of the event loop: loading the client, the TCP and TLS
   * handshakes and HELLO then overlap the image's first reads (the main thread otherwise waits on
   * them) instead of preceding the first lookup. A failure is this run's failure, reported by the
   * first call as before; it is never retried (the connection's deadline is not paid twice).
   */
  connectSoon(): void {
    setImmediate(() => {
      // The run may have ended (and closed the cache) before this turn came.
      if (this.closed || this.connecting || this.failed) return;
      this.connect().catch((err: unknown) => {
        this.destroy();
        this.failed ??= this.failure(err);
      });
    });
  }

  get description(): string {
    return this.opts.spec.display;
  }

  get maxEntryBytes(): number {
    return this.opts.maxEntryBytes;
  }

  /** Why a call failed, in words safe to print (no URL, no credentials). */
  private failure(err: unknown): SharedCacheError {
    // A pipeline with error replies (a full Redis answers OOM to each SET) rejects with them all: name the first.
    const replies = (err as { replies?: unknown[]; errorIndexes?: number[] })?.replies;
    const indexes = (err as { errorIndexes?: number[] })?.errorIndexes;
    if (Array.isArray(replies) && Array.isArray(indexes) && indexes.length > 0) {
      return new SharedCacheError(`${indexes.length} of ${replies.length} commands failed: ${errorMessage(replies[indexes[0]!])}`);
    }
    const cause = err instanceof SharedCacheError || !this.lastError ? err : this.lastError;
    const code = (cause as NodeJS.ErrnoException)?.code;
    return new SharedCacheError(code && !errorMessage(cause).includes(code) ? `${code}: ${errorMessage(cause)}` : errorMessage(cause));
  }

  private connect(): Promise<Client> {
    this.connecting ??= (async () => {
      // Loaded only when a shared cache is configured: the client alone (@redis/client, which the
      // `redis` package wraps), not the Redis Stack modules (JSON, search, time series, bloom) we never use.
      const { RedisClient } = await loadRedisLib();
      const { spec, timeoutMs } = this.opts;
      const socket = {
        host: spec.host,
        port: spec.port,
        connectTimeout: timeoutMs,
        // No idle socketTimeout: the walk between the read and the write may take minutes. Each
        // call has its own deadline instead (withDeadline).
        reconnectStrategy: false as const,
        // SNI takes a host name, never an IP address (RFC 6066).
        ...(spec.tls ? { tls: true as const, ...(isIP(spec.host) ? {} : { servername: spec.host }), ...this.tls } : {}),
      };
      const client = new RedisClient({
        socket,
        ...(spec.username !== undefined ? { username: spec.username } : {}),
        ...(spec.password !== undefined ? { password: spec.password } : {}),
        ...(spec.database !== undefined ? { database: spec.database } : {}),
        disableOfflineQueue: true,
        // Redis Enterprise's maintenance notices (endpoint moves) are not followed: a connection that
        // fails makes the scan go on cold. With RESP3 the client's default ("auto") adds a handshake
        // command, loads assert, and looks a host name up again before connecting.
        maintNotifications: 'disabled',
        // The handshake's two CLIENT SETINFO (library name and version, for the server's CLIENT LIST)
        // are errors before Redis 7.2, each decoded with a stack trace: not sent.
        disableClientInfo: true,
      }) as unknown as Client;
      // Without a listener an 'error' event would crash the process; the error is reported by the call that fails.
      client.on('error', (err: Error) => {
        this.lastError = err;
      });
      this.client = client;
      await withDeadline('connecting', timeoutMs, client.connect(), () => this.destroy());
      this.ready = true;
      return client;
    })();
    return this.connecting;
  }

  private async call<T>(what: string, work: (client: Client) => Promise<T>): Promise<T> {
    // The server may have closed an idle connection during a long walk (a `timeout` setting,
    // a proxy): connect again once. A client we destroyed after a failure stays down.
    if (this.ready && this.client && !this.client.isOpen && !this.failed) {
      this.connecting = undefined;
      this.client = undefined;
      this.ready = false;
    }
    if (this.failed) throw this.failed;
    try {
      const client = await this.connect();
      return await withDeadline(what, this.opts.timeoutMs, work(client), () => this.destroy());
    } catch (err) {
      this.destroy();
      this.failed = this.failure(err);
      throw this.failed;
    }
  }

  /**
   * The entries under these keys, in one pipeline (undefined: absent, or larger than the bound:
   * GETRANGE reads at most maxEntryBytes + 1 bytes of a value, so a huge planted value costs nothing).
   */
  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    if (keys.length === 0) return [];
    const { RESP_TYPES } = await loadRedisLib();
    const max = this.opts.maxEntryBytes;
    return this.call('reading the shared cache', async (client) => {
      const asBuffers = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };
      const replies = await pipeline(client, keys.map((k) => ['GETRANGE', redisKeyOf(k), '0', String(max)]), asBuffers);
      return replies.map((r) => (Buffer.isBuffer(r) && r.length > 0 && r.length <= max ? r : undefined));
    });
  }

  /** Stores entries with the TTL, in one pipeline; entries over the bound are skipped. Returns how many were sent. */
  async putMany(entries: readonly { key: string; value: Buffer }[]): Promise<number> {
    const fit = entries.filter((e) => e.value.length <= this.opts.maxEntryBytes);
    if (fit.length === 0) return 0;
    const ttl = String(Math.max(1, Math.round(this.opts.ttlMs / 1000)));
    // A full Redis (maxmemory, noeviction) answers each SET with an error reply: pipeline() throws.
    await this.call('writing the shared cache', (client) => pipeline(client, fit.map((e) => ['SET', redisKeyOf(e.key), e.value, 'EX', ttl])));
    return fit.length;
  }

  /** SCAN over the prefix: each batch of keys found. */
  private async *keysUnderPrefix(client: Client): AsyncGenerator<string[]> {
    let cursor = '0';
    do {
      const [next, keys] = await client.sendCommand<[string, string[]]>(['SCAN', cursor, 'MATCH', `${REDIS_KEY_PREFIX}*`, 'COUNT', '1000']);
      cursor = String(next);
      if (keys.length > 0) yield keys.map(String);
    } while (cursor !== '0');
  }

  /** Entries and their bytes (SCAN over the prefix, sizes in pipelines). */
  async info(): Promise<{ entries: number; bytes: number }> {
    return this.call('listing the shared cache', async (client) => {
      let entries = 0;
      let bytes = 0;
      for await (const keys of this.keysUnderPrefix(client)) {
        for (const n of await pipeline(client, keys.map((k) => ['STRLEN', k]))) {
          if (typeof n === 'number' && n > 0) {
            entries++;
            bytes += n;
          }
        }
      }
      return { entries, bytes };
    });
  }

  /** Removes every entry under the prefix; returns how many went. */
  async clean(): Promise<number> {
    return this.call('cleaning the shared cache', async (client) => {
      let removed = 0;
      for await (const keys of this.keysUnderPrefix(client)) removed += Number(await client.sendCommand(['UNLINK', ...keys]));
      return removed;
    });
  }

  /** Closes the connection (bounded); never throws. */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    if (!client?.isOpen) return;
    // A handshake still under way (the run ended before its first lookup) is dropped, not awaited.
    if (!this.ready) return this.destroy();
    try {
      await withDeadline('closing', this.opts.timeoutMs, client.close(), () => this.destroy());
    } catch {
      this.destroy();
    }
  }

  private destroy(): void {
    try {
      if (this.client?.isOpen) this.client.destroy();
    } catch {
      // already closed
    }
  }
}

/**
 * Sends the commands at once and returns their replies in order. The client writes every command
 * queued in the same tick in one go, so this is one round trip, as MULTI's execAsPipeline was. A
 * server error reply to any command fails the batch (with `replies` and `errorIndexes`, as
 * node-redis' MultiErrorReply has them); a connection failure fails it with that error.
 */
async function pipeline(client: Client, commands: readonly (readonly (string | Buffer)[])[], options?: { typeMapping?: Record<number, unknown> }): Promise<unknown[]> {
  const settled = await Promise.allSettled(commands.map((args) => client.sendCommand(args, options)));
  const replies = settled.map((r) => (r.status === 'fulfilled' ? r.value : r.reason));
  const errorIndexes = settled.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
  if (errorIndexes.length === 0) return replies;
  const { ErrorReply } = await loadRedisLib();
  const notReply = errorIndexes.map((i) => replies[i]).find((e) => !(e instanceof ErrorReply));
  if (notReply !== undefined) throw notReply;
  throw Object.assign(new Error(`${errorIndexes.length} commands failed`), { replies, errorIndexes });
}

// A small on-disk content cache (one file per key). Entries are written to a 0600 temp file and
// renamed into place, so concurrent scans never see half an entry; each entry carries a format
// version, its key and an HMAC of key + data keyed by the cache secret (entry.ts, secret.ts), and
// anything that fails to check is a miss and is removed. The directory must be this user's alone
// (dir-trust.ts). The cache is best effort: a read or write problem never fails a scan.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, PortcullisError } from '../errors.js';
import { portcullisCacheHome } from '../util/cache-home.js';
import { checkCacheDir } from './dir-trust.js';
import { decodeEntry, encodeEntryParts, ENTRY_HEADER, lengthOf, MAX_KEY } from './entry.js';
import { sharedCacheSecret, userCacheSecret } from './secret.js';

export { CACHE_FORMAT_VERSION, decodeEntry, encodeEntryParts } from './entry.js';

export interface LayerCacheOptions {
  /** Default: `$XDG_CACHE_HOME/portcullis/layers` or `~/.cache/portcullis/layers`. */
  dir?: string;
  /** HMAC key of the entries. Without it the cache can only be listed and cleaned (every get misses). */
  secret?: Buffer;
  /** A disabled cache misses every get and stores nothing. */
  disabled?: boolean;
  /** Largest entry stored or read (default 512 MiB). */
  maxEntryBytes?: number;
  env?: NodeJS.ProcessEnv;
}

export interface LayerCacheInfo {
  dir: string;
  entries: number;
  bytes: number;
}

export interface LayerCache {
  readonly dir: string;
  readonly disabled: boolean;
  /** Entries read since opening whose MAC did not verify (written with another key, or forged). */
  readonly rejected: number;
  get(key: string): Promise<Buffer | undefined>;
  /** Stores `data` (one buffer, or parts in order) under `key`; false when it could not (disabled, too large, disk problem). */
  put(key: string, data: Buffer | readonly Buffer[]): Promise<boolean>;
  info(): Promise<LayerCacheInfo>;
  /** Removes every entry (and stale temp files); returns how many files went. */
  clean(): Promise<number>;
}

const DEFAULT_MAX_ENTRY = 512 * 1024 * 1024;
const ENTRY_RE = /^[0-9a-f]{64}\.pclc$/;
const TEMP_RE = /^\.[0-9a-f]{64}\.pclc\.[0-9a-f]+\.tmp$/;

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(portcullisCacheHome(env), 'layers');
}

function fileName(key: string): string {
  return `${createHash('sha256').update(key).digest('hex')}.pclc`;
}

class DiskLayerCache implements LayerCache {
  readonly disabled: boolean;
  rejected = 0;
  private readonly maxEntry: number;
  private readonly secret: Buffer | undefined;
  private ready?: Promise<void>;

  constructor(readonly dir: string, opts: LayerCacheOptions) {
    this.disabled = opts.disabled === true;
    this.maxEntry = opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY;
    this.secret = opts.secret;
  }

  private ensureDir(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 }).then(() => undefined);
    return this.ready;
  }

  async get(key: string): Promise<Buffer | undefined> {
    if (this.disabled || !this.secret) return undefined;
    const path = join(this.dir, fileName(key));
    let file: Buffer;
    try {
      const fh = await open(path, 'r');
      try {
        const st = await fh.stat();
        if (!st.isFile() || st.size > this.maxEntry + ENTRY_HEADER + MAX_KEY) {
          await rm(path, { force: true }).catch(() => {});
          return undefined;
        }
        file = await fh.readFile();
      } finally {
        await fh.close();
      }
    } catch {
      return undefined;
    }
    const entry = decodeEntry(this.secret, key, file);
    if (typeof entry === 'string') {
      // Corrupt, truncated, another format version or key, or not made with our secret: a miss,
      // and it goes (the layer is read again and the entry rewritten).
      if (entry === 'unauthenticated') this.rejected++;
      await rm(path, { force: true }).catch(() => {});
      return undefined;
    }
    return entry.data;
  }

  async put(key: string, data: Buffer | readonly Buffer[]): Promise<boolean> {
    if (this.disabled || !this.secret || lengthOf(data) > this.maxEntry || Buffer.byteLength(key) > MAX_KEY) return false;
    const name = fileName(key);
    const tmp = join(this.dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await this.ensureDir();
      const fh = await open(tmp, 'wx', 0o600);
      try {
        // Written part by part: a large delta (a 50 MB package db) is never copied into one buffer.
        for (const part of encodeEntryParts(this.secret, key, data)) await fh.write(part);
        // No fsync: an entry a crash leaves short or empty fails its length and HMAC checks and is a miss.
      } finally {
        await fh.close();
      }
      // rename is atomic: concurrent writers of one key each install a whole entry; last one wins.
      await rename(tmp, join(this.dir, name));
      return true;
    } catch {
      await rm(tmp, { force: true }).catch(() => {});
      return false;
    }
  }

  private async ownFiles(): Promise<{ name: string; entry: boolean }[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    // Only files this cache writes: a --cache-dir pointed at a wrong directory loses nothing else.
    return names.filter((n) => ENTRY_RE.test(n) || TEMP_RE.test(n)).map((name) => ({ name, entry: ENTRY_RE.test(name) }));
  }

  async info(): Promise<LayerCacheInfo> {
    let entries = 0;
    let bytes = 0;
    for (const f of await this.ownFiles()) {
      if (!f.entry) continue;
      try {
        const st = await stat(join(this.dir, f.name));
        entries++;
        bytes += st.size;
      } catch {
        // removed meanwhile
      }
    }
    return { dir: this.dir, entries, bytes };
  }

  async clean(): Promise<number> {
    let removed = 0;
    for (const f of await this.ownFiles()) {
      try {
        await rm(join(this.dir, f.name));
        removed++;
      } catch {
        // removed meanwhile
      }
    }
    return removed;
  }
}

export function openLayerCache(opts: LayerCacheOptions = {}): LayerCache {
  return new DiskLayerCache(opts.dir ?? defaultCacheDir(opts.env), opts);
}

/**
 * The cache a scan uses: its directory checked (made 0700 when absent) and its secret loaded.
 * Throws PortcullisError (exit 2) when the directory or the key file cannot be trusted. When they
 * cannot be made at all (read-only home), the scan goes on without a cache: `notice` says why.
 */
export async function openScanLayerCache(opts: Omit<LayerCacheOptions, 'secret'> & { env: NodeJS.ProcessEnv }): Promise<{ cache: LayerCache; notice?: string }> {
  const dir = opts.dir ?? defaultCacheDir(opts.env);
  const off = (why: string) => ({ cache: openLayerCache({ ...opts, dir, disabled: true }), notice: `layer cache disabled: ${why}` });
  try {
    await checkCacheDir(dir, { create: true });
  } catch (err) {
    if (err instanceof PortcullisError) throw err;
    return off(`cannot create ${dir} (${errorMessage(err)})`);
  }
  let secret: Buffer;
  try {
    secret = (sharedCacheSecret(opts.env) ?? (await userCacheSecret(opts.env))).key;
  } catch (err) {
    if (err instanceof PortcullisError) throw err;
    return off(`cannot make its key (${errorMessage(err)}); set PORTCULLIS_CACHE_KEY or pass --no-cache`);
  }
  return { cache: openLayerCache({ ...opts, dir, secret }) };
}

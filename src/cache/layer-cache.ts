// A small on-disk content cache (one file per key). Entries are written to a 0600 temp file and
// renamed into place, so concurrent scans never see half an entry; each entry carries a format
// version, its key and a SHA-256 of key + data, and anything that fails to check is a miss and is
// removed. The cache is best effort: a read or write problem never fails a scan.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { portcullisCacheHome } from '../util/cache-home.js';

export interface LayerCacheOptions {
  /** Default: `$XDG_CACHE_HOME/portcullis/layers` or `~/.cache/portcullis/layers`. */
  dir?: string;
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
  get(key: string): Promise<Buffer | undefined>;
  /** Stores `data` (one buffer, or parts in order) under `key`; false when it could not (disabled, too large, disk problem). */
  put(key: string, data: Buffer | readonly Buffer[]): Promise<boolean>;
  info(): Promise<LayerCacheInfo>;
  /** Removes every entry (and stale temp files); returns how many files went. */
  clean(): Promise<number>;
}

/** `PCLC` + format version; bump the version when the layout below changes. */
const MAGIC = Buffer.from('PCLC');
export const CACHE_FORMAT_VERSION = 1;
// magic(4) version(1) reserved(3) keyLength(4) dataLength(8) sha256(32), then key, then data.
const HEADER = 4 + 1 + 3 + 4 + 8 + 32;
const MAX_KEY = 64 * 1024;
const DEFAULT_MAX_ENTRY = 512 * 1024 * 1024;
const ENTRY_RE = /^[0-9a-f]{64}\.pclc$/;
const TEMP_RE = /^\.[0-9a-f]{64}\.pclc\.[0-9a-f]+\.tmp$/;

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(portcullisCacheHome(env), 'layers');
}

function fileName(key: string): string {
  return `${createHash('sha256').update(key).digest('hex')}.pclc`;
}

function checksum(key: Buffer, data: Buffer | readonly Buffer[]): Buffer {
  const h = createHash('sha256').update(key);
  for (const part of Buffer.isBuffer(data) ? [data] : data) h.update(part);
  return h.digest();
}

const lengthOf = (data: Buffer | readonly Buffer[]): number =>
  Buffer.isBuffer(data) ? data.length : data.reduce((n, b) => n + b.length, 0);

/** An entry as the parts to write in order: header, key, then the data as given (never copied). */
export function encodeEntryParts(key: string, data: Buffer | readonly Buffer[]): Buffer[] {
  const k = Buffer.from(key, 'utf8');
  const head = Buffer.alloc(HEADER);
  MAGIC.copy(head, 0);
  head.writeUInt8(CACHE_FORMAT_VERSION, 4);
  head.writeUInt32BE(k.length, 8);
  head.writeBigUInt64BE(BigInt(lengthOf(data)), 12);
  checksum(k, data).copy(head, 20);
  return [head, k, ...(Buffer.isBuffer(data) ? [data] : data)];
}

/** The data of a well-formed entry for `key`, else undefined. */
export function decodeEntry(key: string, file: Buffer): Buffer | undefined {
  if (file.length < HEADER || !file.subarray(0, 4).equals(MAGIC) || file.readUInt8(4) !== CACHE_FORMAT_VERSION) return undefined;
  const keyLength = file.readUInt32BE(8);
  const dataLength = file.readBigUInt64BE(12);
  if (keyLength > MAX_KEY || BigInt(file.length) !== BigInt(HEADER + keyLength) + dataLength) return undefined;
  const k = file.subarray(HEADER, HEADER + keyLength);
  if (k.toString('utf8') !== key) return undefined;
  const data = file.subarray(HEADER + keyLength);
  if (!checksum(k, data).equals(file.subarray(20, HEADER))) return undefined;
  return data;
}

class DiskLayerCache implements LayerCache {
  readonly disabled: boolean;
  private readonly maxEntry: number;
  private ready?: Promise<void>;

  constructor(readonly dir: string, opts: LayerCacheOptions) {
    this.disabled = opts.disabled === true;
    this.maxEntry = opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY;
  }

  private ensureDir(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 }).then(() => undefined);
    return this.ready;
  }

  async get(key: string): Promise<Buffer | undefined> {
    if (this.disabled) return undefined;
    const path = join(this.dir, fileName(key));
    let file: Buffer;
    try {
      const fh = await open(path, 'r');
      try {
        const st = await fh.stat();
        if (!st.isFile() || st.size > this.maxEntry + HEADER + MAX_KEY) {
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
    const data = decodeEntry(key, file);
    if (data === undefined) {
      // Corrupt, truncated, another format version, or another key: a miss, and it goes.
      await rm(path, { force: true }).catch(() => {});
      return undefined;
    }
    return data;
  }

  async put(key: string, data: Buffer | readonly Buffer[]): Promise<boolean> {
    if (this.disabled || lengthOf(data) > this.maxEntry || Buffer.byteLength(key) > MAX_KEY) return false;
    const name = fileName(key);
    const tmp = join(this.dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await this.ensureDir();
      const fh = await open(tmp, 'wx', 0o600);
      try {
        // Written part by part: a large delta (a 50 MB package db) is never copied into one buffer.
        for (const part of encodeEntryParts(key, data)) await fh.write(part);
        await fh.sync();
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

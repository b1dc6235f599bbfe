// The key that authenticates layer-cache entries (HMAC-SHA256). It lives OUTSIDE the cache
// directory, so whoever can write entries (another user of a shared dir, a runner that can reach a
// shared Redis) cannot also make them pass: `PORTCULLIS_CACHE_KEY` when set (a fleet's shared
// secret), else a per-user random key in `$XDG_STATE_HOME/portcullis/cache-key` (default
// `~/.local/state/portcullis/cache-key`), created 0600 in a 0700 directory on first use.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rm, stat } from 'node:fs/promises';
import { homeDir } from '../util/home-dir.js';
import { dirname, isAbsolute, join } from 'node:path';
import { PortcullisError } from '../errors.js';

/** Shortest `PORTCULLIS_CACHE_KEY` accepted: a guessable key lets anyone forge entries. */
export const MIN_SHARED_KEY_LENGTH = 32;
const KEY_BYTES = 32;

export interface CacheSecret {
  key: Buffer;
  /** Where it came from, for messages (never the key itself). */
  source: 'PORTCULLIS_CACHE_KEY' | string;
}

export function cacheKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homeDir(env), '.local', 'state');
  return join(base, 'portcullis', 'cache-key');
}

/** The shared secret from the environment, or undefined; a too short one is an error. */
export function sharedCacheSecret(env: NodeJS.ProcessEnv): CacheSecret | undefined {
  const value = env.PORTCULLIS_CACHE_KEY;
  if (value === undefined || value === '') return undefined;
  if (value.length < MIN_SHARED_KEY_LENGTH) {
    throw new PortcullisError(
      `PORTCULLIS_CACHE_KEY is too short (${value.length} characters, at least ${MIN_SHARED_KEY_LENGTH}): use e.g. \`openssl rand -hex 32\``,
    );
  }
  return { key: Buffer.from(value, 'utf8'), source: 'PORTCULLIS_CACHE_KEY' };
}

const uid = (): number | undefined => process.getuid?.();

/** Refuses a key file another user could have read or written: it would let them forge entries. */
async function checkKeyFile(path: string): Promise<void> {
  const st = await stat(path);
  const me = uid();
  if (!st.isFile()) throw new PortcullisError(`layer cache key ${path} is not a regular file`);
  if (me !== undefined && st.uid !== me) throw new PortcullisError(`layer cache key ${path} is owned by uid ${st.uid}, not by this user (uid ${me}): remove it`);
  if ((st.mode & 0o077) !== 0) {
    throw new PortcullisError(`layer cache key ${path} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}): remove it (a new key is made) or chmod 600 it`);
  }
  if (st.size !== KEY_BYTES) throw new PortcullisError(`layer cache key ${path} has ${st.size} bytes, expected ${KEY_BYTES}: remove it (a new key is made)`);
}

async function readKeyFile(path: string): Promise<Buffer> {
  await checkKeyFile(path);
  const fh = await open(path, 'r');
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/**
 * The per-user key, made on first use. Creation is a write to a private temp file then link():
 * concurrent first scans never see half a key, and the first link wins for everyone.
 * Throws PortcullisError when the file exists but is not trustworthy; other errors (read-only
 * home) are plain and mean "no key here".
 */
export async function userCacheSecret(env: NodeJS.ProcessEnv = process.env): Promise<CacheSecret> {
  const path = cacheKeyPath(env);
  try {
    return { key: await readKeyFile(path), source: path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.write(randomBytes(KEY_BYTES));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await rm(tmp, { force: true });
  }
  return { key: await readKeyFile(path), source: path };
}

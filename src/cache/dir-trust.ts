// A layer cache directory is trusted only when no one but this user can write to it: owned by the
// current user and not writable by group or others. Anything else is refused (exit 2): entries are
// authenticated anyway, but a dir others can write lets them fill, swap or delete what we rely on.
import { mkdirSync, statSync } from 'node:fs';
import { PortcullisError } from '../errors.js';

/** Problem with the directory, as the end of a sentence, or undefined when it is fine. */
export function untrustedReason(st: { uid: number; mode: number; isDirectory(): boolean }, me: number | undefined): string | undefined {
  if (!st.isDirectory()) return 'is not a directory';
  if (me !== undefined && st.uid !== me) return `is owned by uid ${st.uid}, not by this user (uid ${me})`;
  if ((st.mode & 0o022) !== 0) return `is writable by ${st.mode & 0o020 ? 'group' : ''}${(st.mode & 0o022) === 0o022 ? ' and ' : ''}${st.mode & 0o002 ? 'others' : ''} (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`;
  return undefined;
}

/**
 * Checks (and with `create`, first makes, 0700) the cache directory. Throws PortcullisError naming
 * the directory when it cannot be trusted; returns false when it does not exist (and was not made).
 * Errors making it (read-only home) are thrown as they are: the caller decides (a scan goes on cold).
 */
export async function checkCacheDir(dir: string, opts: { create: boolean }): Promise<boolean> {
  // Synchronous: two calls on a local directory, against two thread-pool round trips at every start.
  if (opts.create) mkdirSync(dir, { recursive: true, mode: 0o700 });
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    if (!opts.create && (err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const why = untrustedReason(st, process.getuid?.());
  if (why) throw new PortcullisError(`layer cache directory ${dir} ${why}: refusing to use it (use a private directory, chmod 700 it, or --no-cache)`);
  return true;
}

import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** `$XDG_CACHE_HOME/portcullis/db.sqlite`, else `~/.cache/portcullis/db.sqlite`. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.cache');
  return join(base, 'portcullis', 'db.sqlite');
}

/** `--db FILE` wins, then `PORTCULLIS_DB`, then the per-user default. */
export function resolveDbPath(opts: { db?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
  const env = opts.env ?? process.env;
  const chosen = opts.db || env.PORTCULLIS_DB;
  return chosen ? resolve(opts.cwd ?? process.cwd(), chosen) : defaultDbPath(env);
}

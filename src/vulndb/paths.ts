import { join, resolve } from 'node:path';
import { portcullisCacheHome } from '../util/cache-home.js';

/** `$XDG_CACHE_HOME/portcullis/db.sqlite`, else `~/.cache/portcullis/db.sqlite`. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(portcullisCacheHome(env), 'db.sqlite');
}

/** `--db FILE` wins, then `PORTCULLIS_DB`, then the per-user default. */
export function resolveDbPath(opts: { db?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
  const env = opts.env ?? process.env;
  const chosen = opts.db || env.PORTCULLIS_DB;
  return chosen ? resolve(opts.cwd ?? process.cwd(), chosen) : defaultDbPath(env);
}

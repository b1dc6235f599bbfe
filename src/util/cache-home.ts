import { homeDir } from './home-dir.js';
import { isAbsolute, join } from 'node:path';

/** Where portcullis keeps per-user data: `$XDG_CACHE_HOME/portcullis`, else `~/.cache/portcullis`. */
export function portcullisCacheHome(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homeDir(env), '.cache');
  return join(base, 'portcullis');
}

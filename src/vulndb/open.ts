import { openLocalDb } from './local.js';
import { resolveDbPath } from './paths.js';
import type { VulnSource } from './source.js';

export interface OpenVulnSourceOptions {
  /** `--db FILE` */
  db?: string;
  /** `--db-url URL` (a `db serve` or https://api.osv.dev); env PORTCULLIS_DB_URL. */
  dbUrl?: string;
  /** Bearer token for dbUrl; env PORTCULLIS_DB_TOKEN. */
  token?: string;
  /**
   * Allow the token over plain http:// to a non-loopback host (`--insecure-db-url`; env
   * PORTCULLIS_INSECURE_DB_URL=1).
   */
  insecureDbUrl?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A remote source when a URL is given (flag or env), else the local file. */
export async function openVulnSource(opts: OpenVulnSourceOptions = {}): Promise<VulnSource> {
  const env = opts.env ?? process.env;
  const url = opts.dbUrl ?? env.PORTCULLIS_DB_URL;
  if (url) {
    const token = opts.token ?? env.PORTCULLIS_DB_TOKEN;
    // The HTTP client is loaded only for a remote DB: local scans never pay for it.
    const { openRemoteDb } = await import('./remote.js');
    const insecure = opts.insecureDbUrl ?? ['1', 'true', 'yes'].includes((env.PORTCULLIS_INSECURE_DB_URL ?? '').toLowerCase());
    return openRemoteDb(url, { ...(token ? { token } : {}), insecure });
  }
  return openLocalDb(resolveDbPath({ db: opts.db, env, cwd: opts.cwd }));
}

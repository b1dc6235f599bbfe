// Where registry credentials come from, first match wins: the options (--username /
// --password-stdin), PORTCULLIS_REGISTRY_USERNAME / _PASSWORD, then the Docker config file
// ($DOCKER_CONFIG/config.json or ~/.docker/config.json): credHelpers[host], credsStore, auths[host].
import { execFile } from 'node:child_process';
import { homeDir } from '../../util/home-dir.js';
import { join } from 'node:path';
import { PortcullisError } from '../../errors.js';
import { readRegularText } from '../../util/regular-file.js';
import { DOCKER_HUB } from './reference.js';

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (Docker's `identitytoken`), exchanged at the token realm. */
  identityToken?: string;
  /** Where they came from, for messages (never the values). */
  origin: string;
}

export interface CredentialOptions {
  username?: string;
  password?: string;
  dockerConfigPath?: string;
  env?: NodeJS.ProcessEnv;
  /** The image's overall deadline (--timeout): a credential helper is stopped when it fires. */
  signal?: AbortSignal;
}

const MAX_CONFIG = 4 * 1024 * 1024;
const HELPER_TIMEOUT_MS = 30_000;
const HELPER_NAME = /^[A-Za-z0-9._-]+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, 'config.json') : join(homeDir(env), '.docker', 'config.json');
}

/** `https://index.docker.io/v1/`, `http://host:5000`, `host:5000/` → the host[:port] they name. */
function normaliseAuthKey(key: string): string {
  let k = key.trim().toLowerCase().replace(/^[a-z]+:\/\//, '');
  const slash = k.indexOf('/');
  if (slash >= 0) k = k.slice(0, slash);
  if (k === 'index.docker.io' || k === 'registry-1.docker.io') return DOCKER_HUB;
  return k;
}

function lookup<T>(map: Record<string, T>, registry: string): T | undefined {
  const want = registry.toLowerCase();
  for (const [key, value] of Object.entries(map)) if (normaliseAuthKey(key) === want) return value;
  return undefined;
}

/** The server URL a credential helper is asked about (Docker Hub's historical name). */
function helperServer(registry: string): string {
  return registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry;
}

/**
 * Runs `docker-credential-NAME get` with the server on stdin (argument array, no shell). It is
 * bounded by its own timeout and by `signal` (the overall --timeout): when either fires the
 * helper is killed and the answer is an error at once, even if a grandchild keeps its pipes open.
 */
export function runCredentialHelper(name: string, registry: string, configPath: string, signal?: AbortSignal): Promise<Credentials | undefined> {
  if (!HELPER_NAME.test(name)) throw new PortcullisError('invalid credential helper name (letters, digits, ".", "_" and "-" only)', { subject: configPath });
  const program = `docker-credential-${name}`;
  return new Promise((resolveOuter, rejectOuter) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const resolve = (v: Credentials | undefined) => finish(() => resolveOuter(v));
    const reject = (e: unknown) => finish(() => rejectOuter(e));
    const stop = (why: string) => {
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      reject(new PortcullisError(`credential helper ${program} ${why} for ${registry}`, { subject: configPath }));
    };
    const onAbort = () => stop('gave up: overall timeout exceeded (--timeout)');
    const timer = setTimeout(() => stop(`did not answer within ${HELPER_TIMEOUT_MS / 1000}s`), HELPER_TIMEOUT_MS);
    const child = execFile(program, ['get'], { maxBuffer: 1024 * 1024, shell: false }, (err, stdout) => {
      if (err) {
        // "credentials not found" is how helpers say "none": fall through to anonymous.
        if (/credentials not found/i.test(String(stdout))) return resolve(undefined);
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'is not installed (not on PATH)' : `failed (${typeof code === 'number' ? `exit ${code}` : (code ?? 'error')})`;
        return reject(new PortcullisError(`credential helper ${program} ${why} for ${registry}`, { subject: configPath }));
      }
      let json: unknown;
      try {
        json = JSON.parse(String(stdout));
      } catch {
        return reject(new PortcullisError(`credential helper ${program} printed no valid JSON for ${registry}`, { subject: configPath }));
      }
      if (!isObject(json) || typeof json.Secret !== 'string') {
        return reject(new PortcullisError(`credential helper ${program} gave no Secret for ${registry}`, { subject: configPath }));
      }
      const username = typeof json.Username === 'string' ? json.Username : '';
      // Docker's convention: user `<token>` means the secret is an identity (refresh) token.
      if (username === '<token>') resolve({ identityToken: json.Secret, origin: program });
      else resolve({ username, password: json.Secret, origin: program });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(helperServer(registry));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function fromAuthEntry(entry: unknown, registry: string, configPath: string): Credentials | undefined {
  if (!isObject(entry)) return undefined;
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    return { identityToken: entry.identitytoken, origin: configPath };
  }
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new PortcullisError(`auths entry for ${registry} has an invalid "auth" value (not base64 of user:password)`, { subject: configPath });
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), origin: configPath };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') {
    return { username: entry.username, password: entry.password, origin: configPath };
  }
  return undefined;
}

async function fromDockerConfig(registry: string, path: string, signal?: AbortSignal): Promise<Credentials | undefined> {
  let text: string;
  try {
    // A regular file only, size-checked first (a config path that is /dev/zero or a FIFO is refused).
    text = await readRegularText(path, 'Docker config', MAX_CONFIG);
  } catch (err) {
    if (((err as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Never echo the parser's message: it may quote a secret.
    throw new PortcullisError('Docker config is not valid JSON', { subject: path });
  }
  if (!isObject(json)) throw new PortcullisError('Docker config is not a JSON object', { subject: path });
  if (isObject(json.credHelpers)) {
    const helper = lookup(json.credHelpers, registry);
    if (typeof helper === 'string' && helper !== '') return runCredentialHelper(helper, registry, path, signal);
  }
  if (typeof json.credsStore === 'string' && json.credsStore !== '') {
    const found = await runCredentialHelper(json.credsStore, registry, path, signal);
    if (found) return found;
  }
  if (isObject(json.auths)) return fromAuthEntry(lookup(json.auths, registry), registry, path);
  return undefined;
}

export async function resolveCredentials(registry: string, opts: CredentialOptions): Promise<Credentials | undefined> {
  if (opts.username !== undefined || opts.password !== undefined) {
    if (opts.username === undefined || opts.password === undefined) {
      throw new PortcullisError('registry credentials need both a username and a password (--username with --password-stdin)');
    }
    return { username: opts.username, password: opts.password, origin: 'command line' };
  }
  const env = opts.env ?? process.env;
  const eu = env.PORTCULLIS_REGISTRY_USERNAME;
  const ep = env.PORTCULLIS_REGISTRY_PASSWORD;
  if (eu !== undefined || ep !== undefined) {
    if (!eu || ep === undefined) throw new PortcullisError('set both PORTCULLIS_REGISTRY_USERNAME and PORTCULLIS_REGISTRY_PASSWORD');
    return { username: eu, password: ep, origin: 'environment' };
  }
  return fromDockerConfig(registry, opts.dockerConfigPath ?? dockerConfigPath(env), opts.signal);
}

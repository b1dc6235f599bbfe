// Where containers/storage keeps its images, by its own rules: an explicit
// `[driver@graphroot+runroot]` in the name (containers/image's syntax), else storage.conf
// (CONTAINERS_STORAGE_CONF, else the user's file when not root, else /etc/containers/storage.conf,
// else /usr/share/containers/storage.conf), else the defaults (root: /var/lib/containers/storage
// and /run/containers/storage; rootless: $XDG_DATA_HOME/containers/storage and
// $XDG_RUNTIME_DIR/containers). The driver, when not set, is the one whose directories exist.
import { existsSync, readFileSync } from 'node:fs';
import { homeDir } from '../../util/home-dir.js';
import { join } from 'node:path';
import { PortcullisError } from '../../errors.js';
import { lazyRequire } from '../../util/lazy-require.js';

const toml = lazyRequire<typeof import('smol-toml')>('smol-toml');

export const SUPPORTED_DRIVERS = ['overlay', 'vfs'] as const;

export interface StorageLocation {
  graphroot: string;
  runroot: string;
  /** Undefined: detected from what exists under graphroot. */
  driver?: string;
  /** Where the settings came from, for messages. */
  from: string;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

function expand(path: string, env: NodeJS.ProcessEnv): string {
  return path.replace(/\$HOME|\$\{HOME\}/g, homeDir(env)).replace(/\$UID|\$\{UID\}/g, String(uid()));
}

function confCandidates(env: NodeJS.ProcessEnv): string[] {
  if (env.CONTAINERS_STORAGE_CONF) return [env.CONTAINERS_STORAGE_CONF];
  const system = ['/etc/containers/storage.conf', '/usr/share/containers/storage.conf'];
  if (isRoot()) return system;
  const configHome = env.XDG_CONFIG_HOME || join(homeDir(env), '.config');
  return [join(configHome, 'containers', 'storage.conf'), ...system];
}

interface StorageSection {
  driver?: unknown;
  graphroot?: unknown;
  runroot?: unknown;
  rootless_storage_path?: unknown;
}

function readConf(path: string): StorageSection {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PortcullisError(`cannot read storage.conf (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { subject: path });
  }
  try {
    const doc = toml().parse(text) as { storage?: StorageSection };
    return doc.storage ?? {};
  } catch {
    throw new PortcullisError('storage.conf is not valid TOML', { subject: path });
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The store the settings and defaults name, for this user. */
export function storageLocation(env: NodeJS.ProcessEnv): StorageLocation {
  const conf = confCandidates(env).find((p) => existsSync(p));
  const section = conf ? readConf(conf) : {};
  const driver = str(env.STORAGE_DRIVER) ?? str(section.driver);
  const from = conf ?? 'the built-in defaults';
  if (isRoot()) {
    return {
      graphroot: str(section.graphroot) ?? '/var/lib/containers/storage',
      runroot: str(section.runroot) ?? '/run/containers/storage',
      ...(driver ? { driver } : {}),
      from,
    };
  }
  // Rootless: a user's own storage.conf may set graphroot; the system file only rootless_storage_path.
  const own = conf !== undefined && !conf.startsWith('/etc/') && !conf.startsWith('/usr/');
  const dataHome = env.XDG_DATA_HOME || join(homeDir(env), '.local', 'share');
  const graphroot =
    (own ? str(section.graphroot) : undefined) ?? (str(section.rootless_storage_path) ? expand(str(section.rootless_storage_path)!, env) : undefined) ?? join(dataHome, 'containers', 'storage');
  const runtime = env.XDG_RUNTIME_DIR || `/run/user/${uid()}`;
  const runroot = (own ? str(section.runroot) : undefined) ?? join(runtime, 'containers');
  return { graphroot, runroot, ...(driver ? { driver } : {}), from };
}

/** Splits `[driver@graphroot+runroot:options]NAME` / `[graphroot]NAME` / `NAME`. */
export function splitStorageSpec(spec: string): { location?: Omit<StorageLocation, 'from'>; name: string } {
  if (!spec.startsWith('[')) return { name: spec };
  const end = spec.indexOf(']');
  if (end < 0) throw new PortcullisError(`containers-storage:${spec}: unclosed [store specification]`);
  const inside = spec.slice(1, end);
  const name = spec.slice(end + 1);
  const m = /^(?:([a-z0-9]+)@)?([^+:]+)(?:\+([^:]+))?(?::.*)?$/.exec(inside);
  if (!m || !m[2]!.startsWith('/')) throw new PortcullisError(`containers-storage:${spec}: expected [driver@/graphroot+/runroot]NAME`);
  return { name, location: { graphroot: m[2]!, runroot: m[3] ?? join(m[2]!, '..', 'run'), ...(m[1] ? { driver: m[1] } : {}) } };
}

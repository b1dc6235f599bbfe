// Private daemons for the store tests: each with its own data root, exec/state root and socket
// under a temp dir (never the machine's defaults), stopped by PID.
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const exec = promisify(execFile);

export function hasCommand(name: string): boolean {
  return ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin'].some((d) => existsSync(join(d, name)));
}

export interface Daemon {
  dir: string;
  socket: string;
  /** Env pointing the daemon's client (and portcullis) at it. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

async function waitFor(path: string, proc: ChildProcess, log: string, ms = 60_000): Promise<void> {
  const start = Date.now();
  while (!existsSync(path)) {
    if (proc.exitCode !== null) throw new Error(`daemon exited (${proc.exitCode}); log: ${log}`);
    if (Date.now() - start > ms) throw new Error(`daemon socket ${path} did not appear; log: ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.pid === undefined) return;
  const exited = new Promise((r) => proc.once('exit', r));
  process.kill(proc.pid, 'SIGTERM');
  const timer = setTimeout(() => proc.exitCode === null && proc.pid && process.kill(proc.pid, 'SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Removes a daemon's temp dir. A daemon can leave mounts under it once containers ran (dockerd's
 * netns bind mount, a stray overlay): unmount those first, deepest first, or rm fails with EBUSY.
 */
export function removeDaemonDir(dir: string): void {
  const unescape = (p: string) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => unescape(line.split(' ')[4] ?? ''))
    .filter((m) => m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  rmSync(dir, { recursive: true, force: true });
}

function start(cmd: string, args: string[], dir: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const log = openSync(join(dir, 'daemon.log'), 'a');
  return spawn(cmd, args, { stdio: ['ignore', log, log], env });
}

/**
 * dockerd with its own managed containerd (under its exec root). `dataRoot`: keep images and the
 * build cache in that directory across runs (the caller serialises its users); default: the temp dir.
 * `storageDriver`: default vfs (works anywhere; every layer is a full copy).
 */
export async function startDockerd(opts: { dataRoot?: string; storageDriver?: 'vfs' | 'overlay2' } = {}): Promise<Daemon> {
  const dir = mkdtempSync('/tmp/pcd-');
  const socket = join(dir, 'd.sock');
  writeFileSync(join(dir, 'daemon.json'), '{}');
  const proc = start('dockerd', [
    '--iptables=false', '--ip6tables=false', '--bridge=none', '--ip-masq=false', '--userland-proxy=false',
    '--config-file', join(dir, 'daemon.json'), '--data-root', opts.dataRoot ?? join(dir, 'data'), '--exec-root', join(dir, 'x'),
    '--pidfile', join(dir, 'docker.pid'), '-H', `unix://${socket}`, '--storage-driver', opts.storageDriver ?? 'vfs',
  ], dir);
  await waitFor(socket, proc, join(dir, 'daemon.log'));
  const env = { DOCKER_HOST: `unix://${socket}` };
  for (let i = 0; i < 100; i++) {
    try {
      await exec('docker', ['version'], { env: { ...process.env, ...env } });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return { dir, socket, env, stop: async () => { await stopProcess(proc); removeDaemonDir(dir); } };
}

/** containerd with its own root, state and socket, and a minimal config. */
export async function startContainerd(): Promise<Daemon> {
  const dir = mkdtempSync('/tmp/pcc-');
  const socket = join(dir, 'c.sock');
  const config = join(dir, 'config.toml');
  writeFileSync(config, `version = 2\nroot = "${join(dir, 'root')}"\nstate = "${join(dir, 'state')}"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "${socket}"\n[ttrpc]\n  address = "${socket}.ttrpc"\n[debug]\n  address = "${socket}.debug"\n[metrics]\n  address = ""\n`);
  const proc = start('containerd', ['--config', config, '--root', join(dir, 'root'), '--state', join(dir, 'state'), '--address', socket], dir);
  await waitFor(socket, proc, join(dir, 'daemon.log'));
  return { dir, socket, env: { CONTAINERD_ADDRESS: socket }, stop: async () => { await stopProcess(proc); removeDaemonDir(dir); } };
}

/** A private containers-storage (graphroot/runroot) plus podman's API service on it. */
export async function startPodman(driver: 'vfs' | 'overlay' = 'vfs'): Promise<Daemon & { storageConf: string; graphroot: string; runroot: string }> {
  const dir = mkdtempSync('/tmp/pcp-');
  // Where a rootless client (Trivy's podman source too) looks: $XDG_RUNTIME_DIR/podman/podman.sock.
  const socket = join(dir, 'xdg', 'podman', 'podman.sock');
  mkdirSync(join(dir, 'xdg', 'podman'), { recursive: true });
  const graphroot = join(dir, 'graph');
  const runroot = join(dir, 'run');
  const storageConf = join(dir, 'storage.conf');
  writeFileSync(storageConf, `[storage]\ndriver = "${driver}"\ngraphroot = "${graphroot}"\nrunroot = "${runroot}"\n`);
  writeFileSync(join(dir, 'containers.conf'), `[containers]\ndefault_ulimits = []\n[engine]\ntmp_dir = "${join(dir, 'tmp')}"\nvolume_path = "${join(dir, 'vol')}"\nstatic_dir = "${join(dir, 'static')}"\n`);
  const env = { ...process.env, CONTAINERS_STORAGE_CONF: storageConf, CONTAINERS_CONF: join(dir, 'containers.conf'), XDG_RUNTIME_DIR: join(dir, 'xdg') };
  const proc = start('podman', ['--root', graphroot, '--runroot', runroot, '--storage-driver', driver, 'system', 'service', '--time=0', `unix://${socket}`], dir, env);
  await waitFor(socket, proc, join(dir, 'daemon.log'));
  return {
    dir, socket, storageConf, graphroot, runroot,
    env: { CONTAINER_HOST: `unix://${socket}`, CONTAINERS_STORAGE_CONF: storageConf, XDG_RUNTIME_DIR: join(dir, 'xdg') },
    stop: async () => { await stopProcess(proc); await exec('podman', ['--root', graphroot, '--runroot', runroot, '--storage-driver', driver, 'system', 'reset', '--force'], { env }).catch(() => undefined); removeDaemonDir(dir); },
  };
}

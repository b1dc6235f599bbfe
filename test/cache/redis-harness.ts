// Test harness: a private redis-server (Debian's /usr/bin/redis-server) on 127.0.0.1 with its own
// port, directory and password, optionally TLS-only on `tls-port` with a self-signed CA made here
// with openssl. Stopped by PID (never the machine's default instance).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../registry/harness.js';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const haveRedis = existsSync(REDIS_SERVER);

export interface RedisTls {
  ca: string;
  cert: string;
  key: string;
  clientCert: string;
  clientKey: string;
}

export interface PrivateRedis {
  port: number;
  password: string;
  dir: string;
  pid: number;
  /** `redis://:PASSWORD@127.0.0.1:PORT` (or rediss:// with TLS). */
  url: string;
  tls?: RedisTls;
  /** Runs redis-cli against it (binary-safe output as a Buffer). */
  cli(args: string[]): Buffer;
  kill(signal?: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** A self-signed CA and a server + client certificate for 127.0.0.1 it signed. */
function makeCerts(dir: string): RedisTls {
  const p = (n: string) => join(dir, n);
  const ossl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=portcullis test CA', '-keyout', p('ca.key'), '-out', p('ca.crt')]);
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const who of ['server', 'client']) {
    ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${who === 'server' ? '127.0.0.1' : 'portcullis runner'}`, '-keyout', p(`${who}.key`), '-out', p(`${who}.csr`)]);
    ossl(['x509', '-req', '-in', p(`${who}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '1', '-out', p(`${who}.crt`), ...(who === 'server' ? ['-extfile', p('server.ext')] : [])]);
  }
  return { ca: p('ca.crt'), cert: p('server.crt'), key: p('server.key'), clientCert: p('client.crt'), clientKey: p('client.key') };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server did not listen on ${port}: ${log()}`);
}

export async function startRedis(opts: { tls?: boolean; maxmemory?: string } = {}): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-redis-'));
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const tls = opts.tls ? makeCerts(dir) : undefined;
  const args = [
    '--bind', '127.0.0.1',
    '--port', tls ? '0' : String(port),
    '--dir', dir,
    '--requirepass', password,
    '--save', '',
    '--appendonly', 'no',
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--logfile', join(dir, 'redis.log'),
    ...(opts.maxmemory ? ['--maxmemory', opts.maxmemory, '--maxmemory-policy', 'noeviction'] : []),
    ...(tls ? ['--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'optional'] : []),
  ];
  const child = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
  const log = () => {
    try {
      return execFileSync('tail', ['-n', '20', join(dir, 'redis.log')], { encoding: 'utf8' });
    } catch {
      return '(no log)';
    }
  };
  await waitForPort(port, child, log);
  const pid = child.pid!;
  const cliBase = ['-h', '127.0.0.1', '-p', String(port), '--no-auth-warning', '-a', password, ...(tls ? ['--tls', '--cacert', tls.ca] : [])];
  return {
    port,
    password,
    dir,
    pid,
    url: `${tls ? 'rediss' : 'redis'}://:${password}@127.0.0.1:${port}`,
    ...(tls ? { tls } : {}),
    cli: (a) => execFileSync('redis-cli', [...cliBase, ...a], { stdio: ['ignore', 'pipe', 'pipe'] }),
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null) process.kill(pid, signal);
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

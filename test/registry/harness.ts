// Test harness: a real Docker distribution registry (`docker-registry serve`, 2.8) on 127.0.0.1,
// optionally behind htpasswd Basic auth or token auth (with a small RS256 token server here), a
// fault-injecting HTTP proxy in front of it, and `skopeo copy` to push images built by
// test/image/build-layout.ts. Every server listens on 127.0.0.1 only; stop() ends each.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSign, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export type RegistryAuth =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'token'; realm: string; service: string; issuer: string; certPath: string };

export interface RunningRegistry {
  host: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

async function waitForHttp(url: string, child: ChildProcess, log: () => string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${log()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not come up at ${url}: ${log()}`);
}

export async function startRegistry(auth?: RegistryAuth): Promise<RunningRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-registry-'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (auth?.kind === 'basic') {
    const htpasswd = join(dir, 'htpasswd');
    execFileSync('htpasswd', ['-Bbc', htpasswd, auth.username, auth.password], { stdio: 'ignore' });
    lines.push('auth:', '  htpasswd:', '    realm: portcullis-test', `    path: ${htpasswd}`);
  } else if (auth?.kind === 'token') {
    lines.push('auth:', '  token:', `    realm: ${auth.realm}`, `    service: ${auth.service}`, `    issuer: ${auth.issuer}`, `    rootcertbundle: ${auth.certPath}`);
  }
  const config = join(dir, 'config.yml');
  writeFileSync(config, `${lines.join('\n')}\n`);
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  await waitForHttp(`http://127.0.0.1:${port}/v2/`, child, () => log);
  return {
    host: `127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A token server per the distribution token spec: RS256 JWTs with the signing cert in `x5c`. */
export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  /** Every token request seen (query + whether credentials were right). */
  requests: { scope: string[]; account?: string; authorised: boolean }[];
  stop(): Promise<void>;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export async function startTokenServer(users: Record<string, string>): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-token-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=portcullis-test-token'], { stdio: 'ignore' });
  const key = readFileSync(keyPath, 'utf8');
  const certDer = readFileSync(certPath, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const service = 'portcullis-test-registry';
  const issuer = 'portcullis-test-issuer';
  const requests: TokenServer['requests'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const scopes = url.searchParams.getAll('scope');
    let account: string | undefined;
    let authorised = false;
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      account = decoded.slice(0, i);
      if (users[account] !== decoded.slice(i + 1)) {
        requests.push({ scope: scopes, account, authorised: false });
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      authorised = true;
    }
    requests.push({ scope: scopes, ...(account !== undefined ? { account } : {}), authorised });
    const now = Math.floor(Date.now() / 1000);
    // Anonymous callers get a valid token that grants nothing, as public token servers do.
    const access = authorised
      ? scopes.map((s) => {
          const parts = s.split(':');
          return { type: parts[0], name: parts.slice(1, -1).join(':'), actions: parts[parts.length - 1]!.split(',') };
        })
      : [];
    const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer] }));
    const claims = b64url(JSON.stringify({ iss: issuer, sub: account ?? '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access }));
    const signature = createSign('RSA-SHA256').update(`${head}.${claims}`).sign(key);
    const token = `${head}.${claims}.${b64url(signature)}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  const port = await listen(server);
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath,
    requests,
    async stop() {
      await closeServer(server);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type FaultKind = 'status' | 'reset' | 'reset-mid-body' | 'stall-body' | 'corrupt' | 'replace';

export interface Fault {
  /** Which requests it hits (method + path). */
  match: (method: string, path: string) => boolean;
  kind: FaultKind;
  /** How many matching requests it hits; Infinity for all. */
  times: number;
  status?: number;
  headers?: Record<string, string>;
  /** `replace`: answer these bytes instead of upstream's body (upstream headers, mutated by `headers`). */
  body?: Buffer;
}

export interface FaultProxy {
  host: string;
  faults: Fault[];
  /** Requests seen: method, path, selected headers. */
  log: { method: string; path: string; accept?: string; range?: string; authorization?: string }[];
  stop(): Promise<void>;
}

/** An HTTP proxy in front of `target` (host:port) that injects faults as `faults` say. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const faults: Fault[] = [];
  const log: FaultProxy['log'] = [];
  const [targetHost, targetPort] = target.split(':');
  const forward = (req: IncomingMessage, res: ServerResponse, fault: Fault | undefined): void => {
    const up = httpRequest(
      { host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: { ...req.headers, host: target } },
      (upRes) => {
        const headers = { ...upRes.headers, ...(fault?.headers ?? {}) };
        if (!fault || fault.kind === 'status') {
          res.writeHead(upRes.statusCode ?? 502, headers);
          upRes.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () => {
          let body: Buffer = Buffer.concat(chunks);
          if (fault.kind === 'replace' && fault.body) {
            body = fault.body;
            headers['content-length'] = String(body.length);
          }
          if (fault.kind === 'corrupt' && body.length > 0) {
            body = Buffer.from(body);
            const i = Math.floor(body.length / 2);
            body[i] = body[i]! ^ 0xff;
          }
          res.writeHead(upRes.statusCode ?? 502, headers);
          if (fault.kind === 'reset-mid-body' || fault.kind === 'stall-body') {
            res.write(body.subarray(0, Math.floor(body.length / 2)));
            // stall-body never sends the rest: the client's idle timeout must fire.
            if (fault.kind === 'reset-mid-body') setTimeout(() => req.socket.resetAndDestroy(), 20);
            return;
          }
          res.end(body);
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  };
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    log.push({
      method,
      path,
      ...(req.headers.accept ? { accept: req.headers.accept } : {}),
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    const fault = faults.find((f) => f.times > 0 && f.match(method, path));
    if (fault) fault.times--;
    if (fault?.kind === 'reset') {
      req.socket.resetAndDestroy();
      return;
    }
    if (fault?.kind === 'status') {
      req.resume();
      res.writeHead(fault.status ?? 500, { 'content-type': 'application/json', ...(fault.headers ?? {}) }).end('{"errors":[{"code":"UNAVAILABLE","message":"injected fault"}]}');
      return;
    }
    forward(req, res, fault);
  });
  const port = await listen(server);
  return { host: `127.0.0.1:${port}`, faults, log, stop: () => closeServer(server) };
}

/**
 * `skopeo copy` from `src` to the registry (plain HTTP), with optional extra flags. Asynchronous:
 * the token server runs in this process and must keep answering while skopeo pushes.
 */
export async function skopeoPush(src: string, dest: string, extra: string[] = []): Promise<void> {
  const { execFile } = await import('node:child_process');
  await new Promise<void>((resolve, reject) => {
    execFile('skopeo', ['--insecure-policy', 'copy', '-q', '--dest-tls-verify=false', ...extra, src, `docker://${dest}`], { timeout: 60_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`skopeo copy ${src} ${dest} failed: ${stderr || String(err)}`)) : resolve(),
    );
  });
}

/**
 * Uploads blobs and a manifest byte for byte through the distribution API (monolithic uploads),
 * so layers keep their exact form (skopeo would compress uncompressed layers on the way).
 */
export async function pushRaw(host: string, repo: string, tag: string, blobs: Buffer[], manifest: Buffer, mediaType: string): Promise<void> {
  const { createHash } = await import('node:crypto');
  for (const blob of blobs) {
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    await start.arrayBuffer();
    if (start.status !== 202) throw new Error(`upload start ${start.status}`);
    const location = new URL(start.headers.get('location')!, `http://${host}`);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, { method: 'PUT', body: blob, headers: { 'content-type': 'application/octet-stream' } });
    await put.arrayBuffer();
    if (put.status !== 201) throw new Error(`blob put ${put.status}`);
  }
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': mediaType } });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`manifest put ${res.status}: ${text}`);
}

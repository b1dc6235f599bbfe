// A stand-in for the Dagger objects the module (.dagger/src/index.ts) uses, so its functions run
// without an engine. Files and directories are real local files. A container records its
// operations (from, withExec, mounts, env, secrets, user…) and, when a result is asked for
// (exitCode, stdout, directory…), REPLAYS them against a real docker daemon with the real image:
// every withExec is one `docker run` of the recorded image with the recorded mounts (bind mounts
// of host copies, owned as the engine would own them), env and secrets (passed by name, so their
// values never reach an argv). Limits, stated: an exec's changes to the root filesystem are not
// seen by the next exec of the same chain (the module keeps all its state in mounts), and
// `withDirectory` is replayed as a writable bind mount (so what the exec writes there can be read
// back, as `container.directory(path)` reads it in the engine).
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export class FakeFile {
  constructor(private readonly src: { path?: string; contents?: string }) {}
  async export(path: string): Promise<string> {
    const out = resolve(path);
    mkdirSync(dirname(out), { recursive: true });
    if (this.src.path) cpSync(this.src.path, out);
    else writeFileSync(out, this.src.contents ?? '');
    return out;
  }
  async contents(): Promise<string> {
    return this.src.path ? readFileSync(this.src.path, 'utf8') : (this.src.contents ?? '');
  }
}

export class FakeDirectory {
  constructor(
    readonly client: FakeClient | undefined,
    private readonly local?: string,
    private readonly added: ReadonlyMap<string, string> = new Map(),
  ) {}
  withNewFile(name: string, contents: string): FakeDirectory {
    return new FakeDirectory(this.client, this.local, new Map([...this.added, [name, contents]]));
  }
  file(name: string): FakeFile {
    const added = this.added.get(name);
    if (added !== undefined) return new FakeFile({ contents: added });
    if (!this.local || !existsSync(join(this.local, name))) throw new Error(`stand-in directory has no ${name}`);
    return new FakeFile({ path: join(this.local, name) });
  }
  async entries(): Promise<string[]> {
    const local = this.local && existsSync(this.local) ? readdirSync(this.local) : [];
    return [...new Set([...local, ...this.added.keys()])].sort();
  }
  async export(path: string): Promise<string> {
    const out = resolve(path);
    mkdirSync(out, { recursive: true });
    if (this.local && existsSync(this.local)) cpSync(this.local, out, { recursive: true });
    for (const [name, contents] of this.added) writeFileSync(join(out, name), contents);
    return out;
  }
  /** `docker build` of the checkout: the image the test loaded (built by test/fixtures/portcullis-image.ts). */
  dockerBuild(opts: { dockerfile?: string } = {}): FakeContainer {
    if (!this.client) throw new Error('stand-in directory without a client cannot build');
    return this.client.container().withStep({ op: 'build', dockerfile: opts.dockerfile ?? 'Dockerfile' }).from(this.client.image);
  }
}

export class FakeCacheVolume {
  constructor(readonly key: string, readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
}

export class FakeSecret {
  constructor(private readonly value: string) {}
  async plaintext(): Promise<string> {
    return this.value;
  }
}

export type Step =
  | { op: 'build'; dockerfile: string }
  | { op: 'from'; address: string }
  | { op: 'directory'; path: string; dir: FakeDirectory; owner?: string }
  | { op: 'mount-file'; path: string; file: FakeFile; owner?: string }
  | { op: 'mount-dir'; path: string; dir: FakeDirectory; owner?: string }
  | { op: 'cache'; path: string; volume: FakeCacheVolume; owner?: string }
  | { op: 'env'; name: string; value: string }
  | { op: 'secret'; name: string; secret: FakeSecret }
  | { op: 'exec'; args: string[]; expect: string }
  | { op: 'workdir'; path: string }
  | { op: 'user'; name: string }
  | { op: 'entrypoint'; args: string[] };

export interface ExecResult {
  args: string[];
  /** The `docker run` argv (mounts, env names, user), for assertions. */
  docker: string[];
  code: number;
  stdout: string;
  stderr: string;
}

interface Replayed {
  results: ExecResult[];
  /** Host directory of each writable mount point, to read back. */
  mounts: Map<string, string>;
}

export class FakeContainer {
  private replayed?: Promise<Replayed>;
  constructor(
    readonly client: FakeClient,
    readonly steps: readonly Step[] = [],
    private readonly tarball?: string,
  ) {}
  withStep(step: Step): FakeContainer {
    return new FakeContainer(this.client, [...this.steps, step], this.tarball);
  }
  from(address: string): FakeContainer {
    return this.withStep({ op: 'from', address });
  }
  withDirectory(path: string, dir: FakeDirectory, opts: { owner?: string } = {}): FakeContainer {
    return this.withStep({ op: 'directory', path, dir, owner: opts.owner });
  }
  withMountedFile(path: string, file: FakeFile, opts: { owner?: string } = {}): FakeContainer {
    return this.withStep({ op: 'mount-file', path, file, owner: opts.owner });
  }
  withMountedDirectory(path: string, dir: FakeDirectory, opts: { owner?: string } = {}): FakeContainer {
    return this.withStep({ op: 'mount-dir', path, dir, owner: opts.owner });
  }
  withMountedCache(path: string, volume: FakeCacheVolume, opts: { owner?: string } = {}): FakeContainer {
    return this.withStep({ op: 'cache', path, volume, owner: opts.owner });
  }
  withEnvVariable(name: string, value: string): FakeContainer {
    return this.withStep({ op: 'env', name, value });
  }
  withSecretVariable(name: string, secret: FakeSecret): FakeContainer {
    return this.withStep({ op: 'secret', name, secret });
  }
  withExec(args: string[], opts: { expect?: string } = {}): FakeContainer {
    return this.withStep({ op: 'exec', args, expect: opts.expect ?? 'SUCCESS' });
  }
  withWorkdir(path: string): FakeContainer {
    return this.withStep({ op: 'workdir', path });
  }
  withUser(name: string): FakeContainer {
    return this.withStep({ op: 'user', name });
  }
  withEntrypoint(args: string[]): FakeContainer {
    return this.withStep({ op: 'entrypoint', args });
  }
  asTarball(): FakeFile {
    if (!this.tarball) throw new Error('stand-in container has no tarball');
    return new FakeFile({ path: this.tarball });
  }
  async exitCode(): Promise<number> {
    return this.lastExec((await this.replay()).results).code;
  }
  async stdout(): Promise<string> {
    return this.lastExec((await this.replay()).results).stdout;
  }
  async stderr(): Promise<string> {
    return this.lastExec((await this.replay()).results).stderr;
  }
  /** A mounted directory's contents after the execs ran. */
  directory(path: string): FakeDirectory {
    const lazy = new LazyDirectory(this.client, async () => {
      const host = (await this.replay()).mounts.get(path);
      if (!host) throw new Error(`stand-in: ${path} is not a mounted directory of this container`);
      return host;
    });
    return lazy as unknown as FakeDirectory;
  }
  file(path: string): FakeFile {
    return this.directory(dirname(path)).file(path.slice(dirname(path).length + 1));
  }

  private lastExec(results: ExecResult[]): ExecResult {
    const last = results.at(-1);
    if (!last) throw new Error('stand-in container ran no exec');
    return last;
  }

  private replay(): Promise<Replayed> {
    this.replayed ??= this.client.replay(this.steps);
    return this.replayed;
  }
}

/** A container directory that exists only after the replay (what ctr.directory(path) returns). */
class LazyDirectory {
  constructor(
    private readonly client: FakeClient,
    private readonly host: () => Promise<string>,
  ) {}
  private dir(): Promise<FakeDirectory> {
    return this.host().then((h) => new FakeDirectory(this.client, h));
  }
  async entries(): Promise<string[]> {
    return (await this.dir()).entries();
  }
  async export(path: string): Promise<string> {
    return (await this.dir()).export(path);
  }
  file(name: string): FakeFile {
    const pending = this.dir().then((d) => d.file(name));
    return {
      export: async (p: string) => (await pending).export(p),
      contents: async () => (await pending).contents(),
    } as unknown as FakeFile;
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      resolvePromise({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

function ownerIds(owner: string): [number, number] {
  const [u, g] = owner.split(':');
  if (!/^\d+$/.test(u) || (g !== undefined && !/^\d+$/.test(g))) throw new Error(`stand-in: owner "${owner}" is not numeric`);
  return [Number(u), Number(g ?? u)];
}

function chownTree(path: string, owner: string | undefined): void {
  if (!owner) return;
  const [uid, gid] = ownerIds(owner);
  chownSync(path, uid, gid);
  try {
    for (const e of readdirSync(path, { withFileTypes: true })) chownTree(join(path, e.name), owner);
  } catch {
    // a file: nothing below it
  }
}

/** The `dag` stand-in, bound to a docker daemon (`dockerEnv`: DOCKER_HOST) and the image a build gives. */
export class FakeClient {
  readonly volumes = new Map<string, FakeCacheVolume>();
  /** Every exec replayed, in order, for assertions. */
  readonly ran: ExecResult[] = [];
  private readonly scratch: string[] = [];
  constructor(
    readonly image: string,
    private readonly dockerEnv: NodeJS.ProcessEnv,
    private readonly cacheRoot: string,
    private readonly docker = 'docker',
  ) {}
  container(): FakeContainer {
    return new FakeContainer(this);
  }
  directory(): FakeDirectory {
    return new FakeDirectory(this);
  }
  cacheVolume(key: string): FakeCacheVolume {
    let v = this.volumes.get(key);
    if (!v) {
      v = new FakeCacheVolume(key, join(this.cacheRoot, key));
      this.volumes.set(key, v);
    }
    return v;
  }
  /** A container whose asTarball() is this image archive (what the engine would export). */
  containerWithTarball(tarball: string): FakeContainer {
    return new FakeContainer(this, [], tarball);
  }
  cleanup(): void {
    for (const d of this.scratch.splice(0)) rmSync(d, { recursive: true, force: true });
  }

  /** Runs every exec of `steps` as a `docker run` with the mounts, env and user recorded before it. */
  async replay(steps: readonly Step[]): Promise<Replayed> {
    const root = mkdtempSync(join(tmpdir(), 'fake-ctr-'));
    chmodSync(root, 0o755);
    this.scratch.push(root);
    let image: string | undefined;
    const mounts = new Map<string, { host: string; ro: boolean }>();
    const env = new Map<string, string>();
    const secrets = new Map<string, FakeSecret>();
    let user: string | undefined;
    let workdir: string | undefined;
    const results: ExecResult[] = [];
    let n = 0;
    const hostPath = (name: string) => join(root, `${n++}-${name.replace(/[^A-Za-z0-9.-]/g, '_')}`);
    for (const s of steps) {
      switch (s.op) {
        case 'build':
        case 'entrypoint':
          break;
        case 'from':
          image = s.address;
          break;
        case 'directory':
        case 'mount-dir': {
          const host = await s.dir.export(hostPath(s.path));
          chmodSync(host, 0o755);
          chownTree(host, s.owner);
          mounts.set(s.path, { host, ro: s.op === 'mount-dir' });
          break;
        }
        case 'mount-file': {
          const host = await s.file.export(hostPath(s.path));
          chmodSync(host, 0o644);
          chownTree(host, s.owner);
          mounts.set(s.path, { host, ro: false });
          break;
        }
        case 'cache':
          // The engine creates a cache mount owned by `owner` the first time it is used.
          if (readdirSync(s.volume.dir).length === 0) chownTree(s.volume.dir, s.owner);
          mounts.set(s.path, { host: s.volume.dir, ro: false });
          break;
        case 'env':
          env.set(s.name, s.value);
          break;
        case 'secret':
          secrets.set(s.name, s.secret);
          break;
        case 'user':
          user = s.name;
          break;
        case 'workdir':
          workdir = s.path;
          break;
        case 'exec': {
          if (!image) throw new Error('stand-in: withExec before from()');
          const argv = ['run', '--rm', '--network', 'host'];
          if (user) argv.push('--user', user);
          if (workdir) argv.push('--workdir', workdir);
          for (const [path, m] of mounts) argv.push('--mount', `type=bind,source=${m.host},target=${path}${m.ro ? ',readonly' : ''}`);
          for (const [name, value] of env) argv.push('--env', `${name}=${value}`);
          const secretEnv: NodeJS.ProcessEnv = {};
          for (const [name, secret] of secrets) {
            argv.push('--env', name); // by name: docker reads the value from its own environment
            secretEnv[name] = await secret.plaintext();
          }
          argv.push('--entrypoint', s.args[0], image, ...s.args.slice(1));
          const r = await run(this.docker, argv, { ...process.env, ...this.dockerEnv, ...secretEnv });
          const result: ExecResult = { args: s.args, docker: argv, ...r };
          results.push(result);
          this.ran.push(result);
          if (r.code >= 125 && r.code <= 127 && /docker: |Error response from daemon/.test(r.stderr)) throw new Error(`stand-in: docker could not run ${s.args[0]}: ${r.stderr}`);
          if (s.expect === 'SUCCESS' && r.code !== 0) throw new Error(`process "${s.args.join(' ')}" did not complete successfully: exit code: ${r.code}\n${r.stderr}`);
          break;
        }
      }
    }
    return { results, mounts: new Map([...mounts].map(([p, m]) => [p, m.host])) };
  }
}

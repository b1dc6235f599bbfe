// A small stand-in for the few Dagger objects src/index.ts uses, so its functions run without an
// engine. Files and directories are real local files; a container records its steps and, when a
// result is asked for (stdout, directory().export), runs its runtime execs for real in a scratch
// root: env values that are absolute paths and cache mounts are mapped under that root. Steps
// between withDirectory (the build context) and withEntrypoint are the image build: they are
// recorded for assertions, not run (npm ci belongs to a real engine).
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
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
    private readonly local?: string,
    private readonly added: ReadonlyMap<string, string> = new Map(),
  ) {}
  withNewFile(name: string, contents: string): FakeDirectory {
    return new FakeDirectory(this.local, new Map([...this.added, [name, contents]]));
  }
  file(name: string): FakeFile {
    const added = this.added.get(name);
    if (added !== undefined) return new FakeFile({ contents: added });
    if (!this.local) throw new Error(`stand-in directory has no ${name}`);
    return new FakeFile({ path: join(this.local, name) });
  }
  async export(path: string): Promise<string> {
    const out = resolve(path);
    mkdirSync(out, { recursive: true });
    if (this.local && existsSync(this.local)) cpSync(this.local, out, { recursive: true });
    for (const [name, contents] of this.added) writeFileSync(join(out, name), contents);
    return out;
  }
}

export class FakeCacheVolume {
  constructor(readonly key: string, readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
}

export type Step =
  | { op: 'from'; address: string }
  | { op: 'directory'; path: string; exclude?: string[] }
  | { op: 'workdir'; path: string }
  | { op: 'exec'; args: string[]; run: boolean }
  | { op: 'env'; name: string; value: string }
  | { op: 'cache'; path: string; volume: FakeCacheVolume; owner?: string }
  | { op: 'user'; name: string }
  | { op: 'entrypoint'; args: string[] };

export interface ExecResult {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
}

export class FakeContainer {
  constructor(
    readonly steps: readonly Step[] = [],
    private readonly env: { pathDirs: string[]; tarball?: string } = { pathDirs: [] },
    /** Every exec this stand-in actually ran, for assertions. */
    readonly ran: ExecResult[] = [],
  ) {}
  private with(step: Step): FakeContainer {
    return new FakeContainer([...this.steps, step], this.env, this.ran);
  }
  private get building(): boolean {
    let building = false;
    for (const s of this.steps) {
      if (s.op === 'directory') building = true;
      if (s.op === 'entrypoint' || s.op === 'from') building = false;
    }
    return building;
  }
  from(address: string): FakeContainer {
    return this.with({ op: 'from', address });
  }
  withDirectory(path: string, _dir: unknown, opts?: { exclude?: string[] }): FakeContainer {
    return this.with({ op: 'directory', path, exclude: opts?.exclude });
  }
  withWorkdir(path: string): FakeContainer {
    return this.with({ op: 'workdir', path });
  }
  withExec(args: string[]): FakeContainer {
    return this.with({ op: 'exec', args, run: !this.building });
  }
  withEnvVariable(name: string, value: string): FakeContainer {
    return this.with({ op: 'env', name, value });
  }
  withMountedCache(path: string, volume: FakeCacheVolume, opts?: { owner?: string }): FakeContainer {
    return this.with({ op: 'cache', path, volume, owner: opts?.owner });
  }
  withUser(name: string): FakeContainer {
    return this.with({ op: 'user', name });
  }
  withEntrypoint(args: string[]): FakeContainer {
    return this.with({ op: 'entrypoint', args });
  }
  asTarball(): FakeFile {
    if (!this.env.tarball) throw new Error('stand-in container has no tarball');
    return new FakeFile({ path: this.env.tarball });
  }
  /** A directory of the container's filesystem after its execs ran (only export is needed). */
  directory(path: string): { export(dst: string): Promise<string> } {
    return {
      export: async (dst: string) => {
        const root = await this.replay();
        const out = resolve(dst);
        mkdirSync(out, { recursive: true });
        cpSync(join(root, path), out, { recursive: true });
        return out;
      },
    };
  }
  async stdout(): Promise<string> {
    await this.replay();
    const last = this.ran.at(-1);
    return last?.stdout ?? '';
  }

  /** Runs the runtime execs in a scratch root; a failing exec throws, as withExec does. */
  private async replay(): Promise<string> {
    const root = mkdtempSync(join(tmpdir(), 'fake-ctr-'));
    const env: Record<string, string> = {};
    let cwd = '/';
    for (const s of this.steps) {
      if (s.op === 'env') env[s.name] = s.value.startsWith('/') ? join(root, s.value) : s.value;
      else if (s.op === 'workdir') cwd = s.path;
      else if (s.op === 'cache') {
        mkdirSync(dirname(join(root, s.path)), { recursive: true });
        symlinkSync(s.volume.dir, join(root, s.path));
      } else if (s.op === 'exec' && s.run) {
        mkdirSync(join(root, cwd), { recursive: true });
        const result = await run(s.args, {
          cwd: join(root, cwd),
          env: { PATH: [...this.env.pathDirs, process.env.PATH ?? ''].join(':'), HOME: join(root, 'home'), CI: 'true', ...env },
        });
        this.ran.push(result);
        if (result.code !== 0) throw new Error(`exec ${s.args.join(' ')} exited ${result.code}: ${result.stderr}`);
      }
    }
    return root;
  }
}


function run(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<ExecResult> {
  return new Promise((resolvePromise) => {
    execFile(args[0], args.slice(1), { ...opts, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolvePromise({ args, code, stdout, stderr });
    });
  });
}

/** The `dag` stand-in: containers get `pathDirs` first on PATH; cache volumes live under `cacheRoot`. */
export class FakeClient {
  readonly volumes = new Map<string, FakeCacheVolume>();
  readonly ran: ExecResult[] = [];
  constructor(private readonly pathDirs: string[], private readonly cacheRoot: string) {}
  container(): FakeContainer {
    return new FakeContainer([], { pathDirs: this.pathDirs }, this.ran);
  }
  directory(): FakeDirectory {
    return new FakeDirectory();
  }
  cacheVolume(key: string): FakeCacheVolume {
    let v = this.volumes.get(key);
    if (!v) {
      v = new FakeCacheVolume(key, join(this.cacheRoot, key));
      this.volumes.set(key, v);
    }
    return v;
  }
}

/** A container whose asTarball() is this image archive (what the engine would export). */
export function containerWithTarball(tarball: string): FakeContainer {
  return new FakeContainer([], { pathDirs: [], tarball });
}

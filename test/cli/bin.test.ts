// The installed entry point: `npm ci` builds dist/ (prepare), then bin/portcullis.js runs it.
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../helpers/build-cli.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { buildOciLayout } from '../image/build-layout.js';

function run(args: string[], cwd = PROJECT_ROOT, root = PROJECT_ROOT, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin/portcullis.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('bin/portcullis.js over the built dist/', () => {
  beforeAll(() => {
    buildCli();
  }, 300_000);

  it('prints its version and help, and exit codes follow the contract', async () => {
    const v = await run(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^portcullis \d+\.\d+\.\d+\n$/);
    const help = await run(['scan', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit: 0 pass, 1 blocked by policy, 2 error/);
    const bad = await run(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('portcullis: unknown command "frobnicate" (see portcullis --help)\n');
  });

  it('finds the shipped policies from dist/ (run from another directory)', async () => {
    const r = await run(['policy', 'test', join(PROJECT_ROOT, 'policies/tests')], '/');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASS: \d+\/\d+/);
  });

  it('--debug stack traces name the TypeScript sources through the bundle\'s source maps', async () => {
    const r = await run(['db', 'status', '--db', '/nonexistent/portcullis.db', '--debug']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^portcullis: \/nonexistent\/portcullis\.db: /);
    expect(r.stderr).toMatch(/at \S+ \(.*\/src\/vulndb\/store\.ts:\d+:\d+\)/);
    expect(r.stderr).not.toMatch(/dist\/cli-bundle/);
  });

  it('runs the bundle when it is current, and tsc\'s per-file output when the bundle is stale', async () => {
    // A copy of the install in which the entry that must NOT run is broken: the run succeeds only
    // through the other one.
    const root = mkdtempSync(join(tmpdir(), 'portcullis-bin-'));
    try {
      for (const p of ['bin', 'dist', 'package.json', 'policies']) cpSync(join(PROJECT_ROOT, p), join(root, p), { recursive: true });
      symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'));
      const tscMain = join(root, 'dist/cli/main.js');
      const bundleMain = join(root, 'dist/cli-bundle/main.js');
      const broken = "throw new Error('wrong entry loaded');\n";
      const at = (s: number) => new Date(Date.now() + s * 1000);

      writeFileSync(tscMain, broken);
      utimesSync(tscMain, at(-60), at(-60));
      const fresh = await run(['--version'], root, root);
      expect(fresh.stderr).toBe('');
      expect(fresh.stdout).toMatch(/^portcullis \d+\.\d+\.\d+\n$/);

      cpSync(join(PROJECT_ROOT, 'dist/cli/main.js'), tscMain);
      writeFileSync(bundleMain, broken);
      utimesSync(bundleMain, at(-60), at(-60));
      const stale = await run(['--version'], root, root);
      expect(stale.stderr).toBe('');
      expect(stale.stdout).toMatch(/^portcullis \d+\.\d+\.\d+\n$/);

      // Neither loads: a broken install is an error (2) in one line, never a verdict (1) or a stack.
      writeFileSync(tscMain, broken);
      const neither = await run(['scan', 'oci:/nowhere'], root, root);
      expect(neither.code).toBe(2);
      expect(neither.stdout).toBe('');
      expect(neither.stderr).toBe('portcullis: cannot load the CLI from dist/cli: wrong entry loaded\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the walker thread starts from the bundle: its entry there is what the thread runs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'portcullis-bin-thread-'));
    try {
      for (const p of ['bin', 'dist', 'package.json', 'policies']) cpSync(join(PROJECT_ROOT, p), join(root, p), { recursive: true, preserveTimestamps: true });
      symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(root, 'node_modules'));
      // Two uncompressed file-backed layers: PORTCULLIS_WALK_THREADS=1 sends one to a thread.
      const layer = (n: number) => ({ compression: 'none' as const, files: [{ path: `etc/l${n}/package.json`, content: JSON.stringify({ name: `l${n}`, version: '1.0.0' }) }] });
      await buildOciLayout(join(root, 'oci'), { tag: 'two', layers: [layer(1), layer(2)] });
      const sbom = (threads: string) => run(['sbom', `oci:${join(root, 'oci')}:two`, '--quiet', '--no-cache', '--format', 'cyclonedx'], root, root, { PORTCULLIS_WALK_THREADS: threads, XDG_CACHE_HOME: join(root, 'cache'), XDG_STATE_HOME: join(root, 'state') });
      const comps = (s: string): unknown => (JSON.parse(s) as { components: unknown[] }).components;
      const [threaded, main] = [await sbom('1'), await sbom('0')];
      expect([threaded.code, main.code], threaded.stderr + main.stderr).toEqual([0, 0]);
      expect(comps(threaded.stdout)).toEqual(comps(main.stdout));
      appendFileSync(join(root, 'dist/cli-bundle/walk-worker.js'), "\nthrow new Error('the bundle walker entry ran');\n");
      const broken = await sbom('1');
      expect(broken.code).toBe(2);
      expect(broken.stderr).toMatch(/the thread walking it failed \(the bundle walker entry ran\)\n$/);
      expect((await sbom('0')).code).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});

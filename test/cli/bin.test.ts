// The installed entry point: `npm ci` builds dist/ (prepare), then bin/portcullis.js runs it.
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/shared.js';

function run(args: string[], cwd = PROJECT_ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(PROJECT_ROOT, 'bin/portcullis.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('bin/portcullis.js over the built dist/', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: PROJECT_ROOT });
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
});

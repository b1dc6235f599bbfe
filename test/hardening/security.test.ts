// Security review as tests: no shell anywhere, credentials never echoed, json-logic whitelisted,
// reports written exactly where asked (one file per format, nothing else).
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { makeDb } from './fixtures.js';
import { expectOneLineError, runCli, sandbox } from './harness.js';
import { rmSync } from 'node:fs';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('security review', () => {
  it('no shell: child_process is used only through execFile/spawn with argument arrays, never exec or shell: true', () => {
    const offenders: string[] = [];
    for (const file of sources(join(PROJECT_ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      // `exec(` / `execSync(` not preceded by `.` or a word char (regex .exec() is fine).
      if (/(?<![.\w])exec(Sync)?\s*\(/.test(text)) offenders.push(`${file}: exec()`);
      if (/shell\s*:\s*true/.test(text)) offenders.push(`${file}: shell: true`);
      if (/child_process/.test(text) && /import\s*\{[^}]*\bexec(Sync)?\b[^}]*\}\s*from\s*'node:child_process'/.test(text)) offenders.push(`${file}: imports exec`);
    }
    expect(offenders).toEqual([]);
  });

  it('registry credentials never appear in output or reports of a failing registry scan', async () => {
    const sb = sandbox();
    try {
      const secret = 'S3cr3t-Pa55w0rd-zq9';
      const out = join(sb.out, 'r.json');
      const r = await runCli(['scan', '127.0.0.1:9/app:v1', '--username', 'alice', '--password-stdin', '--offline', '--policy', 'none', '--timeout', '3s', '--format', `json=${out}`, '--format', 'table'], {
        cwd: sb.cwd,
        env: { ...sb.env, PORTCULLIS_DB: join(sb.root, 'none.sqlite') },
        stdin: `${secret}\n`,
        timeoutMs: 60_000,
      });
      expectOneLineError(r);
      const r2 = await runCli(['sbom', '127.0.0.1:9/app:v1', '--quiet'], { cwd: sb.cwd, env: { ...sb.env, PORTCULLIS_REGISTRY_PASSWORD: secret, PORTCULLIS_REGISTRY_USERNAME: 'alice' }, timeoutMs: 60_000 });
      expect(r2.code).toBe(2);
      for (const text of [r.stdout, r.stderr, r2.stdout, r2.stderr]) expect(text).not.toContain(secret);
      for (const f of sb.snapshot()) {
        const p = join(sb.root, f);
        if (statSync(p).isFile()) expect(readFileSync(p, 'utf8')).not.toContain(secret);
      }
    } finally {
      sb.cleanup();
    }
  }, 120_000);

  it('json-logic outside the whitelist (method, a made-up op) is rejected: policy invalid, scan fails closed', async () => {
    const sb = sandbox();
    try {
      for (const op of ['method', 'nosuchop']) {
        const p = join(sb.input, `${op}.yaml`);
        writeFileSync(p, `apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: x}\nspec:\n  rules:\n    - id: r\n      action: block\n      when: {"${op}": [{"var": "finding.id"}, "toString"]}\n`);
        const v = await runCli(['policy', 'validate', p], { cwd: sb.cwd, env: sb.env });
        expectOneLineError(v, new RegExp(op), 'per-problem');
        const sbom = join(sb.input, 's.json');
        writeFileSync(sbom, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [] }));
        const s = await runCli(['scan', '--sbom', sbom, '--policy', p, '--offline', '--db', join(sb.root, 'x.sqlite')], { cwd: sb.cwd, env: sb.env });
        expect(s.code).toBe(2);
        expect(s.stderr).not.toContain('\n    at ');
      }
    } finally {
      sb.cleanup();
    }
  }, 60_000);

  describe('reports go exactly where asked', () => {
    let db: { dir: string; db: string };
    beforeAll(async () => {
      db = await makeDb();
    }, 120_000);
    afterAll(() => rmSync(db.dir, { recursive: true, force: true }));

    it('--format NAME=../x resolves to exactly that path; no format writes a second file', async () => {
      const sb = sandbox();
      try {
        const sbom = join(sb.input, 's.json');
        writeFileSync(sbom, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [{ type: 'library', name: 'left-pad', version: '1.0.0', purl: 'pkg:npm/left-pad@1.0.0' }] }));
        const formats = ['json', 'table', 'sarif', 'cyclonedx', 'spdx', 'junit', 'markdown', 'html', 'gitlab'];
        const before = sb.snapshot();
        // cwd is sb.cwd; ../out/sub/NAME lands in sb.out.
        const r = await runCli(['scan', '--sbom', sbom, '--db', db.db, '--offline', '--skip-db-age-check', '--policy', 'none', '--allow-uncovered', '--quiet', ...formats.flatMap((f) => ['--format', `${f}=../out/sub/${f}.out`])], { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 });
        expect(r.code, r.stderr).toBe(0);
        const created = sb.snapshot().filter((p) => !before.includes(p));
        expect(created.sort()).toEqual(formats.map((f) => `out/sub/${f}.out`).sort());
        for (const f of formats) expect((statSync(join(sb.out, `${f}.out`)).mode & 0o777).toString(8)).toBe('644');
      } finally {
        sb.cleanup();
      }
    }, 60_000);
  });
});

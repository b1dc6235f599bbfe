// User-given files that are not files (/dev/zero, a FIFO, a directory) and YAML alias bombs
// (in policies, policy tests, and in pnpm / yarn berry lockfiles inside images), through the
// real CLI in a sandbox: bounded time and memory, one clear line on exit 2, and a lockfile bomb
// is that file's warning while the scan goes on.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEBIAN_OS_RELEASE, dpkgStanza, runScanCase, suiteDb } from './fixtures.js';
import { judge, rawTar, runCli, sandbox, sha256, writeRawImage, type Sandbox } from './harness.js';

const seen: Record<string, unknown> = {};
const SBOM = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [{ type: 'library', name: 'left-pad', version: '1.0.0', purl: 'pkg:npm/left-pad@1.0.0' }] });

type Kind = 'dev-zero' | 'fifo' | 'directory';

/** A path of the given kind inside the sandbox (the machine's /dev/zero for dev-zero). */
function special(sb: Sandbox, kind: Kind): string {
  if (kind === 'dev-zero') return '/dev/zero';
  const p = join(sb.input, kind === 'fifo' ? 'input.fifo' : 'input.d');
  if (kind === 'fifo') execFileSync('mkfifo', [p]);
  else mkdirSync(p);
  return p;
}

/** Each place a user names a file; FILE is the special path, SBOM a valid SBOM, DB the test DB. */
const USES: { name: string; args: string[]; directoryOk?: boolean }[] = [
  { name: 'scan --policy', args: ['scan', '--sbom', 'SBOM', '--policy', 'FILE'] },
  { name: 'scan --ignorefile', args: ['scan', '--sbom', 'SBOM', '--policy', 'none', '--ignorefile', 'FILE'] },
  { name: 'scan --vex', args: ['scan', '--sbom', 'SBOM', '--policy', 'none', '--vex', 'FILE'] },
  { name: 'scan --baseline', args: ['scan', '--sbom', 'SBOM', '--policy', 'none', '--baseline', 'FILE'] },
  { name: 'scan --sbom', args: ['scan', '--sbom', 'FILE', '--policy', 'none'] },
  { name: 'policy validate', args: ['policy', 'validate', 'FILE'] },
  // A directory is a valid `policy test` and `db import` argument (searched / walked).
  { name: 'policy test', args: ['policy', 'test', 'FILE'], directoryOk: true },
  { name: 'policy explain', args: ['policy', 'explain', 'FILE', '--finding', 'CVE-1'] },
  { name: 'db import', args: ['db', 'import', '--db', 'NEWDB', 'FILE'], directoryOk: true },
  { name: 'db serve --token-file', args: ['db', 'serve', '--db', 'DB', '--listen', '127.0.0.1:0', '--token-file', 'FILE'] },
];

describe('non-regular files named as inputs: exit 2 at once, one line naming the file', () => {
  const db = suiteDb('hostile-files', () => ({ ...seen }));

  for (const use of USES) {
    for (const kind of ['dev-zero', 'fifo', 'directory'] as Kind[]) {
      if (use.directoryOk && kind === 'directory') continue;
      it.concurrent(`${use.name} ${kind}`, async () => {
        const sb = sandbox();
        try {
          const file = special(sb, kind);
          writeFileSync(join(sb.input, 'sbom.cdx.json'), SBOM);
          const scanTail = use.args[0] === 'scan' ? ['--offline', '--db', db.db, '--skip-db-age-check', '--quiet', '--format', `json=${join(sb.out, 'r.json')}`] : [];
          const args = [...use.args, ...scanTail].map((a) => (a === 'FILE' ? file : a === 'SBOM' ? join(sb.input, 'sbom.cdx.json') : a === 'DB' ? db.db : a === 'NEWDB' ? join(sb.out, 'new.db') : a));
          const before = sb.snapshot();
          const r = await runCli(args, { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 });
          const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          // `policy validate` prints its documented `FILE: problem` lines instead of `portcullis: …`.
          const perProblem = use.name === 'policy validate';
          judge(`${use.name} ${kind}`, r, { kind: 'error', match: new RegExp(`^${perProblem ? '' : 'portcullis: '}${escaped}: .*not a regular file`), lines: perProblem ? 'per-problem' : 'one' });
          expect(sb.snapshot().filter((p) => !before.includes(p))).toEqual([]);
          seen[`${use.name} ${kind}`] = { ms: r.ms, maxRssMb: Math.round(r.maxRssMb) };
        } finally {
          sb.cleanup();
        }
      }, 90_000);
    }
  }
});

// ---- YAML alias amplification -----------------------------------------------------------------

/** Nine levels of ten aliases: 10^9 leaves from ~700 bytes ("billion laughs"). */
function laughs(indent = ''): string {
  const lines = [`${indent}l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]`];
  for (let i = 1; i < 9; i++) lines.push(`${indent}l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]`);
  return lines.join('\n');
}

const POLICY_BOMB = `apiVersion: portcullis.dev/v1
kind: Policy
metadata: {name: laughs}
x-bomb:
${laughs('  ')}
spec:
  rules: *l8
`;

/**
 * A lockfile whose 3,000 packages each name the same anchored map of 3,000 dependencies: 50 KB
 * of text that a reader following the aliases expands to 9,000,000 dependency edges.
 */
function pnpmBomb(n: number): string {
  const deps = Array.from({ length: n }, (_, i) => `p${i}: 1.0.0`).join(', ');
  const pkgs = Array.from({ length: n }, (_, i) => `  /p${i}@1.0.0:\n    resolution: {integrity: sha512-x}\n    dependencies: *deps`).join('\n');
  return `lockfileVersion: '6.0'\n\nx-deps: &deps {${deps}}\n\npackages:\n\n${pkgs}\n`;
}

function yarnBomb(n: number): string {
  const deps = Array.from({ length: n }, (_, i) => `p${i}: "npm:1.0.0"`).join(', ');
  const pkgs = Array.from({ length: n }, (_, i) => `"p${i}@npm:1.0.0":\n  version: 1.0.0\n  resolution: "p${i}@npm:1.0.0"\n  dependencies: *deps`).join('\n\n');
  return `__metadata:\n  version: 6\n  cacheKey: 8\n  x-deps: &deps {${deps}}\n\n${pkgs}\n`;
}

describe('YAML alias amplification', () => {
  const db = suiteDb('hostile-yaml', () => ({ ...seen }));

  for (const [name, args] of [
    ['policy validate', ['policy', 'validate', 'FILE']],
    ['scan --policy', ['scan', '--sbom', 'SBOM', '--policy', 'FILE', '--offline', '--db', 'DB', '--skip-db-age-check', '--quiet', '--format', 'json=OUT']],
  ] as const) {
    it(`a billion-laughs policy (${name}): refused with its position`, async () => {
      const sb = sandbox();
      try {
        const file = join(sb.input, 'laughs.yaml');
        writeFileSync(file, POLICY_BOMB);
        writeFileSync(join(sb.input, 'sbom.cdx.json'), SBOM);
        const real = args.map((a) => (a === 'FILE' ? file : a === 'SBOM' ? join(sb.input, 'sbom.cdx.json') : a === 'DB' ? db.db : a === 'json=OUT' ? `json=${join(sb.out, 'r.json')}` : a));
        const r = await runCli([...real], { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 });
        judge(`policy bomb ${name}`, r, { kind: 'error', match: /laughs\.yaml:\d+:\d+: invalid YAML: aliases expand the document far beyond its size/, lines: name === 'policy validate' ? 'per-problem' : 'one' });
        seen[`policy bomb ${name}`] = { ms: r.ms, maxRssMb: Math.round(r.maxRssMb) };
      } finally {
        sb.cleanup();
      }
    }, 90_000);
  }

  it('a policy at the 1 MiB limit filled with 88,000 keys, and one byte over it', async () => {
    const sb = sandbox();
    try {
      const head = 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: big}\nx:\n';
      const tail = 'spec: {rules: []}\n';
      let body = '';
      for (let i = 0; head.length + body.length + tail.length < 1024 * 1024 - 16; i++) body += `  k${i}: 1\n`;
      const at = join(sb.input, 'at-limit.yaml');
      writeFileSync(at, head + body + tail);
      const r = await runCli(['policy', 'validate', at], { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 });
      judge('policy at the size limit', r, { kind: 'error', match: /at-limit\.yaml:4:1: x: unknown key/, lines: 'per-problem' });
      const over = join(sb.input, 'over-limit.yaml');
      writeFileSync(over, head + body + ' '.repeat(1024 * 1024 + 1 - (head + body).length));
      const r2 = await runCli(['policy', 'validate', over], { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 });
      judge('policy over the size limit', r2, { kind: 'error', match: /over-limit\.yaml: policy is larger than 1048576 bytes/, lines: 'per-problem' });
      seen['policy at the 1 MiB limit'] = { ms: r.ms, maxRssMb: Math.round(r.maxRssMb) };
    } finally {
      sb.cleanup();
    }
  }, 120_000);

  it('a billion-laughs policy test file: refused with its position', async () => {
    const sb = sandbox();
    try {
      const file = join(sb.input, 'laughs-test.yaml');
      writeFileSync(file, `apiVersion: portcullis.dev/v1\nkind: PolicyTest\nmetadata: {name: t}\nx:\n${laughs('  ')}\nspec:\n  policies: [builtin:default]\n  cases: *l8\n`);
      const r = await runCli(['policy', 'test', file], { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 });
      judge('policy test bomb', r, { kind: 'error', match: /laughs-test\.yaml:\d+:\d+: invalid YAML: aliases expand the document far beyond its size/ });
      seen['policy test bomb'] = { ms: r.ms, maxRssMb: Math.round(r.maxRssMb) };
    } finally {
      sb.cleanup();
    }
  }, 90_000);

  for (const [name, path, text, code] of [
    ['pnpm-lock.yaml', 'app/pnpm-lock.yaml', pnpmBomb(3000), 'pnpm.lock'],
    ['yarn berry yarn.lock', 'app/yarn.lock', yarnBomb(3000), 'yarn.lock'],
  ] as const) {
    it(`an alias bomb in ${name} inside an image: that file's warning, the scan goes on`, async () => {
      const r = await runScanCase(
        {
          name: `${name} bomb`,
          build: (sb) => {
            const t = rawTar([
              { name: 'etc/os-release', data: Buffer.from(DEBIAN_OS_RELEASE) },
              { name: 'var/lib/dpkg/status', data: Buffer.from(dpkgStanza('hello', '2.0-1')) },
              { name: path, data: Buffer.from(text) },
            ]);
            return writeRawImage(sb.input, [{ blob: t, diffId: sha256(t) }]);
          },
          expected: { kind: 'warn', code: new RegExp(`^${code.replace('.', '\\.')}$`) },
          check: (rep) => {
            const w = (rep.warnings ?? []).find((x) => x.code === code)!;
            expect(w.message).toMatch(new RegExp(`/${path}: not valid YAML \\(\\d+:\\d+: aliases expand the document far beyond its size`));
            // The OS packages were still read.
            expect((rep.packages ?? []).map((p) => p.name)).toContain('hello');
          },
        },
        db.db,
      );
      seen[`${name} bomb`] = { bytes: text.length, ms: r.ms, maxRssMb: Math.round(r.maxRssMb) };
    }, 120_000);
  }
});

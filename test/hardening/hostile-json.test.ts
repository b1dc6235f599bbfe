// JSON nested 100,000 deep and 10,000-digit versions in every JSON / YAML input portcullis reads:
// an OSV record (db import), a policy file, a VEX file, an SBOM (scan --sbom), an image config.
// All through the real CLI in a sandbox; never a crash, a stack trace, a hang or a stray file.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEBIAN_OS_RELEASE, dpkgStanza, osvRecord, runScanCase, suiteDb } from './fixtures.js';
import { deepJson, judge, rawTar, runCli, sandbox, sha256, writeRawImage, type Expected } from './harness.js';

const DEPTH = 100_000;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

interface FileCase {
  name: string;
  file: string;
  content: string;
  /** CLI args; FILE is replaced by the input path, DB by the test DB, OUT by the report path. */
  args: string[];
  expected: Expected;
  check?(report: Record<string, unknown>): void;
}

const SCAN = ['--offline', '--db', 'DB', '--skip-db-age-check', '--quiet', '--format', 'json=OUT'];

const CASES: FileCase[] = [
  { name: 'policy: arrays 100,000 deep', file: 'p.yaml', content: `apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: x}\nspec: {rules: ${deepJson(DEPTH)}}\n`, args: ['policy', 'validate', 'FILE'], expected: { kind: 'error', lines: 'per-problem' } },
  { name: 'policy: a flow mapping 100,000 deep in when', file: 'p.yaml', content: `apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: x}\nspec:\n  rules:\n    - {id: r, action: block, when: ${deepObject(DEPTH)}}\n`, args: ['policy', 'validate', 'FILE'], expected: { kind: 'error', lines: 'per-problem' } },
  { name: 'policy: block-style YAML 1,000 deep', file: 'p.yaml', content: `apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: x}\nspec:\n${Array.from({ length: 1000 }, (_, i) => `${'  '.repeat(i + 1)}a:`).join('\n')} 1\n`, args: ['policy', 'validate', 'FILE'], expected: { kind: 'error', lines: 'per-problem' } },
  { name: 'scan --policy: 100,000 deep', file: 'p.json', content: `{"apiVersion":"portcullis.dev/v1","kind":"Policy","metadata":{"name":"x"},"spec":{"rules":${deepJson(DEPTH)}}}`, args: ['scan', '--sbom', 'SBOM', '--policy', 'FILE', ...SCAN], expected: { kind: 'error' } },
  { name: 'scan --vex: OpenVEX 100,000 deep', file: 'v.json', content: `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-01-01T00:00:00Z","version":1,"statements":${deepJson(DEPTH)}}`, args: ['scan', '--sbom', 'SBOM', '--vex', 'FILE', ...SCAN], expected: { kind: 'error' } },
  { name: 'scan --vex: bare nesting 100,000 deep', file: 'v.json', content: deepObject(DEPTH), args: ['scan', '--sbom', 'SBOM', '--vex', 'FILE', ...SCAN], expected: { kind: 'error' } },
  { name: 'scan --sbom: CycloneDX components 100,000 deep', file: 's.cdx.json', content: `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":${deepJson(DEPTH, '{"type":"library","name":"x","version":"1"}')}}`, args: ['scan', '--sbom', 'FILE', '--policy', 'none', ...SCAN], expected: { kind: 'error-or-ok' } },
  { name: 'scan --sbom: nested components 100,000 deep', file: 's.cdx.json', content: `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[${'{"type":"library","name":"x","version":"1","components":['.repeat(DEPTH)}${']}'.repeat(DEPTH)}]}`, args: ['scan', '--sbom', 'FILE', '--policy', 'none', ...SCAN], expected: { kind: 'error-or-ok' } },
  { name: 'scan --sbom: SPDX 100,000 deep', file: 's.spdx.json', content: `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","packages":${deepJson(DEPTH)}}`, args: ['scan', '--sbom', 'FILE', '--policy', 'none', ...SCAN], expected: { kind: 'error-or-ok' } },
  { name: 'scan --baseline: 100,000 deep', file: 'b.json', content: deepObject(DEPTH), args: ['scan', '--sbom', 'SBOM', '--baseline', 'FILE', ...SCAN], expected: { kind: 'error' } },
  // npm's own node-semver refuses versions over 256 characters: portcullis says so (a warning), like npm.
  { name: 'scan --sbom: a 10,000-digit npm version', file: 's.cdx.json', content: JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [{ type: 'library', name: 'left-pad', version: `1.${'7'.repeat(10_000)}.0`, purl: `pkg:npm/left-pad@1.${'7'.repeat(10_000)}.0` }] }), args: ['scan', '--sbom', 'FILE', '--policy', 'none', '--allow-uncovered', ...SCAN], expected: { kind: 'ok' } },
];

const SBOM = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [{ type: 'library', name: 'left-pad', version: '1.0.0', purl: 'pkg:npm/left-pad@1.0.0' }] });

describe('deeply nested JSON / YAML and huge versions through the real CLI', () => {
  const db = suiteDb('hostile-json');

  for (const c of CASES) {
    it.concurrent(c.name, async () => {
      const sb = sandbox();
      try {
        const file = join(sb.input, c.file);
        writeFileSync(file, c.content);
        writeFileSync(join(sb.input, 'sbom.cdx.json'), SBOM);
        const out = join(sb.out, 'report.json');
        const args = c.args.map((a) => (a === 'FILE' ? file : a === 'DB' ? db.db : a === 'OUT' ? `${out}` : a === 'json=OUT' ? `json=${out}` : a === 'SBOM' ? join(sb.input, 'sbom.cdx.json') : a));
        const before = sb.snapshot();
        const r = await runCli(args, { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 });
        judge(c.name, r, c.expected, args[0] === 'scan' && r.code !== 2 ? out : undefined);
        const created = sb.snapshot().filter((p) => !before.includes(p));
        expect(created).toEqual(args[0] === 'scan' && r.code !== 2 ? ['out/sub/report.json'] : []);
      } finally {
        sb.cleanup();
      }
    }, 120_000);
  }

  // Where the deep value sits decides the outcome: an ignored field is fine (exit 0), a field the
  // config reader needs is a one-line error; never a crash.
  for (const [where, deep, expected] of [
    ['config.config (unknown keys inside)', deepObject(DEPTH), { kind: 'ok' }],
    ['config.config.Labels', `{"Labels":${deepObject(DEPTH)}}`, { kind: 'error-or-ok' }],
    ['config.config.Env', `{"Env":${deepJson(DEPTH)}}`, { kind: 'error-or-ok' }],
    ['config.history', `{}, "history": ${deepJson(DEPTH)}`, { kind: 'error-or-ok' }],
  ] as [string, string, Expected][]) {
    it(`image config nested 100,000 deep in ${where}`, async () => {
      await runScanCase(
        {
          name: `image config 100,000 deep in ${where}`,
          build: (sb) => {
            // A Debian with nothing installed: os-release and an empty dpkg status.
            const t = rawTar([{ name: 'etc/os-release', data: Buffer.from(DEBIAN_OS_RELEASE) }, { name: 'var/lib/dpkg/status', data: Buffer.alloc(0) }]);
            return writeRawImage(sb.input, [{ blob: t, diffId: sha256(t) }], { configText: `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["${sha256(t)}"]},"config":${deep}}` });
          },
          expected,
        },
        db.db,
      );
    }, 120_000);
  }

  it('db import: an OSV record 100,000 deep is a per-record warning, the other records are imported', async () => {
    const sb = sandbox();
    try {
      const dir = join(sb.input, 'records');
      mkdirSync(dir);
      writeFileSync(join(dir, 'a-deep.json'), `{"id":"DEEP-1","modified":"2025-01-01T00:00:00Z","affected":${deepJson(DEPTH)}}`);
      writeFileSync(join(dir, 'b-deep-db.json'), `{"id":"DEEP-2","modified":"2025-01-01T00:00:00Z","database_specific":${deepObject(DEPTH)},"affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}`);
      writeFileSync(join(dir, 'c-good.json'), JSON.stringify(osvRecord('GOOD-1', 'npm', 'left-pad', [{ introduced: '0' }, { fixed: '2.0.0' }])));
      const dbPath = join(sb.out, 'db.sqlite');
      const r = await runCli(['db', 'import', '--db', dbPath, dir], { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 });
      judge('db import deep', r, { kind: 'ok' });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/a-deep\.json.*skipped invalid OSV record/);
      expect(r.stderr).toMatch(/b-deep-db\.json.*nests deeper than/);
      const status = await runCli(['db', 'status', '--db', dbPath, '--format', 'json'], { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/"records":\s*1\b/);
    } finally {
      sb.cleanup();
    }
  }, 120_000);

  // crates.io versions are SemVer with unbounded numbers (src/version/semver2.ts).
  it('db import + scan: a 10,000-digit OSV version orders correctly and fast', async () => {
    const sb = sandbox();
    try {
      const big = `1.${'9'.repeat(10_000)}.0`;
      const dir = join(sb.input, 'records');
      mkdirSync(dir);
      writeFileSync(join(dir, 'big.json'), JSON.stringify(osvRecord('BIG-1', 'crates.io', 'serde', [{ introduced: '0' }, { fixed: big }])));
      writeFileSync(join(dir, 'big2.json'), JSON.stringify(osvRecord('BIG-2', 'crates.io', 'serde', [{ introduced: `1.${'9'.repeat(10_000)}.1` }])));
      const dbPath = join(sb.out, 'db.sqlite');
      const imp = await runCli(['db', 'import', '--db', dbPath, '--quiet', dir], { cwd: sb.cwd, env: sb.env, timeoutMs: 60_000 });
      judge('db import big versions', imp, { kind: 'ok' });
      const sbom = join(sb.input, 'big.cdx.json');
      const v = `1.${'9'.repeat(9_999)}8.5`;
      writeFileSync(sbom, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [{ type: 'library', name: 'serde', version: v, purl: `pkg:cargo/serde@${v}` }] }));
      const out = join(sb.out, 'r.json');
      const r = await runCli(['scan', '--sbom', sbom, '--policy', 'none', '--db', dbPath, '--offline', '--skip-db-age-check', '--quiet', '--format', `json=${out}`], { cwd: sb.cwd, env: sb.env, timeoutMs: 30_000 });
      judge('scan big versions', r, { kind: 'ok' }, out);
      const report = JSON.parse(readFileSync(out, 'utf8')) as { findings: { id: string }[] };
      // v < fixed (BIG-1 affects it), v < introduced of BIG-2 (not affected).
      expect(report.findings.map((f) => f.id)).toEqual(['BIG-1']);
      expect(r.ms).toBeLessThan(30_000);
    } finally {
      sb.cleanup();
    }
  }, 120_000);

  it('a dpkg status with 10,000-digit versions still parses (sbom)', async () => {
    await runScanCase(
      {
        name: 'dpkg 10k digits',
        command: 'sbom',
        build: (sb) => {
          const t = rawTar([
            { name: 'etc/os-release', data: Buffer.from(DEBIAN_OS_RELEASE) },
            { name: 'var/lib/dpkg/status', data: Buffer.from(dpkgStanza('a', `${'1'.repeat(10_000)}:1.0`) + dpkgStanza('b', `2.${'0'.repeat(10_000)}1-1`)) },
          ]);
          return writeRawImage(sb.input, [{ blob: t, diffId: sha256(t) }]);
        },
        expected: { kind: 'ok' },
        check: (rep) => expect((rep.packages ?? []).map((p) => p.name)).toContain('b'),
      },
      db.db,
    );
  }, 120_000);
});

// Class 6 of issue 15: an error never quotes an input file's content. A unique secret-looking
// token is put into every kind of file portcullis parses, as malformed input (the token where
// the parser stops, as a YAML tag or alias, as a whole file…), and the token must appear in
// neither stdout nor stderr — of the built CLI (bin/portcullis.js over dist/) and of the CLI run
// in-process (test/helpers/cli.ts). Errors still name the file, and a position where one exists.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorLines, runCli as runInProcess } from '../helpers/cli.js';
import { buildCli } from '../helpers/build-cli.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { DEBIAN_OS_RELEASE, suiteDb } from './fixtures.js';
import { rawTar, sandbox, sha256, writeRawImage, type Sandbox } from './harness.js';

const TOKEN = 'ghp_PcLeak7Qz9Xw3Vb5Nm1Kd8Rt6Yh2Uj4Gf0Ss';
const SBOM = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [{ type: 'library', name: 'left-pad', version: '1.0.0', purl: 'pkg:npm/left-pad@1.0.0' }] });

interface Case {
  name: string;
  /** Writes the inputs under sb.input; returns the CLI args (DB = the test DB). */
  setup(sb: Sandbox): string[];
  env?(sb: Sandbox): NodeJS.ProcessEnv;
  /** exit 2, naming this file (basename) and, when `position`, a LINE:COL after it. */
  error?: { file: string; position: boolean };
}

const scanTail = ['--offline', '--db', 'DB', '--skip-db-age-check', '--quiet'];
const put = (sb: Sandbox, name: string, text: string): string => {
  const p = join(sb.input, name);
  writeFileSync(p, text);
  return p;
};
const sbom = (sb: Sandbox): string => put(sb, 'sbom.cdx.json', SBOM);

/** An OCI layout whose config (or manifest, or index.json) is the given text, digests correct. */
function layoutWith(sb: Sandbox, part: 'config' | 'manifest' | 'index', text: string): string {
  const t = rawTar([{ name: 'etc/os-release', data: Buffer.from(DEBIAN_OS_RELEASE) }]);
  const image = writeRawImage(sb.input, [{ blob: t, diffId: sha256(t) }], part === 'config' ? { configText: text } : {});
  if (part === 'index') writeFileSync(join(sb.input, 'index.json'), text);
  if (part === 'manifest') {
    const digest = sha256(text);
    writeFileSync(join(sb.input, 'blobs', 'sha256', digest.slice(7)), text);
    writeFileSync(
      join(sb.input, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: Buffer.byteLength(text), annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }),
    );
  }
  return image;
}

/** A one-layer image holding `path` with `text` (a file a cataloger parses). */
function imageWithFile(sb: Sandbox, path: string, text: string): string {
  const t = rawTar([
    { name: 'etc/os-release', data: Buffer.from(DEBIAN_OS_RELEASE) },
    { name: path, data: Buffer.from(text) },
  ]);
  return writeRawImage(sb.input, [{ blob: t, diffId: sha256(t) }]);
}

const POLICY_HEAD = 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: leak}\n';
const POLICY_TEXTS: [string, string][] = [
  ['the token alone', `${TOKEN}\n`],
  ['a flow mapping broken at the token', `${POLICY_HEAD}spec: {rules: [${TOKEN} ]]\n`],
  ['the token as a tag', `${POLICY_HEAD}spec: !${TOKEN} {rules: []}\n`],
  ['the token as an unknown alias', `${POLICY_HEAD}spec: *${TOKEN}\n`],
  ['an unterminated quote', `${POLICY_HEAD}spec:\n  rules: "${TOKEN}\n`],
  ['the token as the value of an unknown key', `${POLICY_HEAD}GITHUB_TOKEN: ${TOKEN}\nspec: {rules: []}\n`],
  ['a tab indent before the token', `${POLICY_HEAD}spec:\n\t${TOKEN}: 1\n`],
  ['the token as a bad escape', `${POLICY_HEAD}spec: "\\${TOKEN.slice(0, 1)}${TOKEN}"\n`],
];

const CASES: Case[] = [
  ...POLICY_TEXTS.flatMap(([what, text]): Case[] => [
    { name: `policy validate: ${what}`, setup: (sb) => ['policy', 'validate', put(sb, 'leak-policy.yaml', text)], error: { file: 'leak-policy.yaml', position: true } },
    { name: `scan --policy: ${what}`, setup: (sb) => ['scan', '--sbom', sbom(sb), '--policy', put(sb, 'leak-policy.yaml', text), ...scanTail], error: { file: 'leak-policy.yaml', position: true } },
  ]),
  {
    name: 'policy test: a broken test file',
    setup: (sb) => ['policy', 'test', put(sb, 'leak-test.yaml', `apiVersion: portcullis.dev/v1\nkind: PolicyTest\nmetadata: {name: t}\nspec: {cases: [${TOKEN} }\n`)],
    error: { file: 'leak-test.yaml', position: true },
  },
  { name: 'scan --vex: the token as the file', setup: (sb) => ['scan', '--sbom', sbom(sb), '--policy', 'none', '--vex', put(sb, 'leak.vex.json', `${TOKEN}\n`), ...scanTail], error: { file: 'leak.vex.json', position: true } },
  { name: 'scan --vex: broken after the token', setup: (sb) => ['scan', '--sbom', sbom(sb), '--policy', 'none', '--vex', put(sb, 'leak.vex.json', `{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": "${TOKEN}" "status"`), ...scanTail], error: { file: 'leak.vex.json', position: true } },
  { name: 'scan --baseline', setup: (sb) => ['scan', '--sbom', sbom(sb), '--policy', 'none', '--baseline', put(sb, 'leak-base.json', `{"image": {}, "findings": [${TOKEN}]}`), ...scanTail], error: { file: 'leak-base.json', position: true } },
  { name: 'scan --sbom', setup: (sb) => ['scan', '--sbom', put(sb, 'leak.cdx.json', `{"bomFormat": "CycloneDX", "components": ${TOKEN}}`), '--policy', 'none', ...scanTail], error: { file: 'leak.cdx.json', position: true } },
  { name: 'scan --ignorefile: the token after an id', setup: (sb) => ['scan', '--sbom', sbom(sb), '--policy', 'none', '--ignorefile', put(sb, 'leak.ignore', `CVE-2024-0001 ${TOKEN}\n`), ...scanTail], error: { file: 'leak.ignore', position: true } },
  { name: 'scan --ignorefile: the token as a date', setup: (sb) => ['scan', '--sbom', sbom(sb), '--policy', 'none', '--ignorefile', put(sb, 'leak.ignore', `CVE-2024-0001 exp:${TOKEN}\n`), ...scanTail], error: { file: 'leak.ignore', position: true } },
  { name: 'policy explain: the report', setup: (sb) => ['policy', 'explain', put(sb, 'leak-report.json', `{"findings": [${TOKEN}`), '--finding', 'CVE-1'], error: { file: 'leak-report.json', position: true } },
  // An OSV file that is not JSON: a warning on stderr (and an import of nothing).
  { name: 'db import: an OSV file', setup: (sb) => ['db', 'import', '--db', join(sb.out, 'new.db'), put(sb, 'leak-osv.json', `{"id": "${TOKEN}", "affected": [}`)] },
  {
    name: 'registry: a broken Docker config.json',
    setup: () => ['scan', '127.0.0.1:9/leak/app:v1', '--policy', 'none', ...scanTail, '--timeout', '5s'],
    env: (sb) => {
      mkdirSync(join(sb.input, 'docker'), { recursive: true });
      put(sb, 'docker/config.json', `{"auths": {"127.0.0.1:9": {"auth": "${TOKEN}"}`);
      return { DOCKER_CONFIG: join(sb.input, 'docker') };
    },
    error: { file: 'config.json', position: false },
  },
  { name: 'image config', setup: (sb) => ['scan', layoutWith(sb, 'config', `{"architecture": ${TOKEN}}`), '--policy', 'none', ...scanTail], error: { file: 'input', position: true } },
  { name: 'image manifest', setup: (sb) => ['scan', layoutWith(sb, 'manifest', `{"schemaVersion": 2, "config": ${TOKEN}}`), '--policy', 'none', ...scanTail], error: { file: 'input', position: true } },
  { name: 'image index.json', setup: (sb) => ['scan', layoutWith(sb, 'index', `{"manifests": [${TOKEN}]}`), '--policy', 'none', ...scanTail], error: { file: 'input', position: false } },
  {
    name: 'a descriptor digest',
    setup: (sb) => ['scan', layoutWith(sb, 'index', JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${TOKEN}`, size: 10 }] })), '--policy', 'none', ...scanTail],
    error: { file: 'input', position: false },
  },
  {
    name: 'docker-archive manifest.json',
    setup: (sb) => {
      const tar = join(sb.input, 'leak.tar');
      writeFileSync(tar, rawTar([{ name: 'manifest.json', data: Buffer.from(`[{"Config": ${TOKEN}}]`) }]));
      return ['scan', `docker-archive:${tar}`, '--policy', 'none', ...scanTail];
    },
    error: { file: 'leak.tar', position: true },
  },
  // Files inside images: warnings in the report, written to stdout here.
  { name: 'package.json in an image', setup: (sb) => ['scan', imageWithFile(sb, 'app/node_modules/x/package.json', `{"name": "x", "version": ${TOKEN}}`), '--policy', 'none', ...scanTail, '--format', 'json'] },
  { name: 'pnpm-lock.yaml in an image (a tag)', setup: (sb) => ['scan', imageWithFile(sb, 'app/pnpm-lock.yaml', `lockfileVersion: '6.0'\npackages: !${TOKEN} {}\n`), '--policy', 'none', ...scanTail, '--format', 'json'] },
  { name: 'pnpm-lock.yaml in an image (an alias)', setup: (sb) => ['scan', imageWithFile(sb, 'app/pnpm-lock.yaml', `lockfileVersion: '6.0'\npackages: *${TOKEN}\n`), '--policy', 'none', ...scanTail, '--format', 'json'] },
  { name: 'yarn.lock (berry) in an image', setup: (sb) => ['scan', imageWithFile(sb, 'app/yarn.lock', `__metadata:\n  version: 6\n"x@npm:1.0.0": !${TOKEN}\n  version: 1.0.0\n`), '--policy', 'none', ...scanTail, '--format', 'json'] },
];

function runBuilt(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(PROJECT_ROOT, 'bin/portcullis.js'), ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, CI: 'true', ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

function check(c: Case, r: { code: number; stdout: string; stderr: string }): void {
  const both = `${r.stdout}\n${r.stderr}`;
  expect(both.includes(TOKEN), `${c.name}: the token was echoed:\n${r.stderr}`).toBe(false);
  // Not even a long piece of it.
  expect(both.includes(TOKEN.slice(4, 24)), `${c.name}: part of the token was echoed:\n${r.stderr}`).toBe(false);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  if (c.error) {
    expect(r.code, r.stderr).toBe(2);
    // The error line (a notice naming the local stores tried may come before a registry's error).
    const first = errorLines(r.stderr)[0]!;
    expect(first).toContain(c.error.file);
    if (c.error.position) expect(first, 'a LINE:COL position').toMatch(/(?<![0-9a-z])\d+:\d+(?=[:)\s])/);
  } else {
    expect([0, 1, 2]).toContain(r.code);
  }
}

describe('no input file content in any message', () => {
  const db = suiteDb('no-secret-echo');

  beforeAll(() => {
    buildCli();
  }, 300_000);

  for (const c of CASES) {
    it.concurrent(c.name, async () => {
      for (const how of ['built', 'in-process'] as const) {
        const sb = sandbox();
        try {
          const env = { ...sb.env, ...(c.env?.(sb) ?? {}) };
          const args = c.setup(sb).map((a) => (a === 'DB' ? db.db : a));
          const r = how === 'built' ? await runBuilt(args, sb.cwd, env) : await runInProcess(args, { cwd: sb.cwd, env });
          check({ ...c, name: `${c.name} (${how})` }, r);
        } finally {
          sb.cleanup();
        }
      }
    }, 120_000);
  }
});

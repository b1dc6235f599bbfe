// The programmatic API as a consumer gets it: the BUILT package (npm run build + build:types → dist/), imported
// by its name through package.json "exports" from a project of its own (node_modules/portcullis is
// a symlink to this checkout, as `npm link` makes it), scanning real image archives.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { buildPipelineFixture, CRITICAL_ID, MEDIUM_ID, npmOnlyDb, type PipelineFixture } from '../tekton/fixture.js';

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const WARN_ALL = 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata:\n  name: warn-all\nspec:\n  rules:\n    - id: warn-all\n      action: warn\n      when: true\n';

// What an embedding program writes: only the package name, no path into dist/.
const CONSUMER = `
import { scan, sbom, decide, render, verdictOf, formatNames, PortcullisError } from 'portcullis';
const [block, pass, db, npmDb, corrupt, warnAll] = process.argv.slice(2);
const common = (path) => ({ db: { path, offline: true, skipAgeCheck: true }, cache: { disabled: true } });
const out = {};
const blocked = await scan({ input: { image: block }, ...common(db) });
out.blocked = { verdict: blocked.verdict, ids: blocked.report.findings.map((f) => f.id).sort(), counts: blocked.report.decision.counts };
out.passed = (await scan({ input: { image: pass }, ...common(db) })).verdict;
const incomplete = await scan({ input: { image: pass }, ...common(npmDb) });
out.incomplete = { verdict: incomplete.verdict, complete: incomplete.report.coverage.complete, again: verdictOf(incomplete.report) };
const redecided = await decide(blocked.report, { policies: [warnAll] });
out.redecided = { verdict: redecided.verdict, counts: redecided.report.decision.counts, inputUnchanged: blocked.report.decision.blocked };
out.acceptedByFlag = (await decide(incomplete.report, { allowUncovered: true })).verdict;
const inventory = await sbom({ input: { image: pass }, cache: { disabled: true } });
out.sbom = { packages: inventory.packages.map((p) => p.name).sort(), findings: inventory.findings ?? null };
out.cyclonedx = JSON.parse(render(inventory, 'cyclonedx')).bomFormat;
out.sarif = JSON.parse(render(blocked.report, 'sarif')).version;
out.formats = formatNames();
for (const [name, attempt] of [['decideSbom', () => decide(inventory)], ['verdictSbom', async () => verdictOf(inventory)], ['corrupt', () => scan({ input: { image: corrupt }, ...common(db) })]]) {
  try { await attempt(); out[name] = 'no error'; } catch (e) { out[name] = { portcullisError: e instanceof PortcullisError, name: e.name, message: e.message }; }
}
process.stdout.write(JSON.stringify(out));
`;

// The same from TypeScript: the types come from dist/index.d.ts through "exports" → "types".
const TS_CONSUMER = `
import { scan, type ScanResult, type VerdictStatus, type Report } from 'portcullis';
export async function gate(image: string): Promise<number> {
  const r: ScanResult = await scan({ input: { image }, db: { offline: true } });
  const s: VerdictStatus = r.verdict.status;
  const report: Report = r.report;
  return s === 'pass' ? report.packages.length : r.verdict.exitCode;
}
`;
const TS_CONSUMER_BAD = `
import { scan } from 'portcullis';
export const wrong: string = (await scan({ input: { image: 'x' } })).verdict.exitCode;
`;

describe('the built package, imported by its name', () => {
  let f: PipelineFixture;
  let work: string;
  let npmDb: string;

  beforeAll(async () => {
    // What `prepare` runs (npm pack, git installs): the JS build, then the API's declarations.
    for (const script of ['build', 'build:types']) {
      const build = await run('npm', ['run', script], PROJECT_ROOT);
      expect(build.code, build.stdout + build.stderr).toBe(0);
    }
    work = mkdtempSync(join(tmpdir(), 'portcullis-consumer-'));
    f = await buildPipelineFixture(join(work, 'fixture'));
    // A DB with npm data only: the Debian packages of the images are then not checked.
    npmDb = await npmOnlyDb(f);

    const app = join(work, 'app');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    symlinkSync(PROJECT_ROOT, join(app, 'node_modules', 'portcullis'), 'dir');
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    writeFileSync(join(app, 'consumer.mjs'), CONSUMER);
    writeFileSync(join(app, 'warn-all.yaml'), WARN_ALL);
  }, 900_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('scan / decide / sbom / render: typed verdicts, the incomplete scan is exit 2, never a pass', async () => {
    const app = join(work, 'app');
    const r = await run(process.execPath, ['consumer.mjs', f.blockOci, f.passOci, f.db, npmDb, f.corrupt, join(app, 'warn-all.yaml')], app);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.blocked.verdict).toEqual({ status: 'blocked', exitCode: 1, gaps: [] });
    expect(out.blocked.ids).toEqual([CRITICAL_ID, MEDIUM_ID]);
    expect(out.blocked.counts).toEqual({ block: 1, warn: 1, ignore: 0 });
    expect(out.passed).toEqual({ status: 'pass', exitCode: 0, gaps: [] });

    expect(out.incomplete.verdict.status).toBe('incomplete');
    expect(out.incomplete.verdict.exitCode).toBe(2);
    expect(out.incomplete.verdict.gaps.join('\n')).toMatch(/^\d+ packages in Debian:12 not checked \(no-data/);
    expect(out.incomplete.complete).toBe(false);
    expect(out.incomplete.again).toEqual(out.incomplete.verdict);

    // Re-decided under a warn-only policy: a pass, and the caller's report is left as it was.
    expect(out.redecided.verdict.status).toBe('pass');
    expect(out.redecided.counts).toEqual({ block: 0, warn: 2, ignore: 0 });
    expect(out.redecided.inputUnchanged).toBe(true);
    // Accepting the gap on purpose is visible as that: the flag's acceptance, then a pass.
    expect(out.acceptedByFlag.status).toBe('pass');

    expect(out.sbom.packages).toEqual(expect.arrayContaining(['base-files', 'zlib1g']));
    expect(out.sbom.findings).toBeNull();
    expect(out.cyclonedx).toBe('CycloneDX');
    expect(out.sarif).toBe('2.1.0');
    expect(out.formats).toEqual(expect.arrayContaining(['json', 'sarif', 'cyclonedx', 'spdx']));

    // An unmatched inventory has no verdict: deciding it would pass unchecked data.
    expect(out.decideSbom).toMatchObject({ portcullisError: true, message: expect.stringMatching(/not matched against vulnerability data/) });
    expect(out.verdictSbom).toMatchObject({ portcullisError: true });
    expect(out.corrupt).toMatchObject({ portcullisError: true, message: expect.stringMatching(/not a tar archive/) });
  }, 300_000);

  it('"exports" is the only way in: a path into dist/ is refused', async () => {
    const app = join(work, 'app');
    writeFileSync(join(app, 'deep.mjs'), "await import('portcullis/dist/cli/main.js');\n");
    const r = await run(process.execPath, ['deep.mjs'], app);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
    writeFileSync(join(app, 'pkg.mjs'), "import { createRequire } from 'node:module'; process.stdout.write(createRequire(import.meta.url)('portcullis/package.json').name);\n");
    expect((await run(process.execPath, ['pkg.mjs'], app)).stdout).toBe('portcullis');
  });

  it('TypeScript consumers get the types through "exports" → "types" (and a misuse fails)', async () => {
    const app = join(work, 'app');
    const tsc = join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc');
    const opts = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', join(PROJECT_ROOT, 'node_modules/@types')];
    writeFileSync(join(app, 'good.ts'), TS_CONSUMER);
    const good = await run(process.execPath, [tsc, ...opts, 'good.ts', '--listFiles'], app);
    expect(good.code, good.stdout).toBe(0);
    expect(good.stdout).toMatch(/node_modules\/portcullis\/dist\/index\.d\.ts|\/dist\/index\.d\.ts/);
    writeFileSync(join(app, 'bad.ts'), TS_CONSUMER_BAD);
    const bad = await run(process.execPath, [tsc, ...opts, 'bad.ts'], app);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/bad\.ts\(3,14\): error TS2322: Type '(number|0 \| 1 \| 2)' is not assignable to type 'string'/);
  });
});

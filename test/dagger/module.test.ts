// The Dagger module (.dagger/) without an engine, part 1: its layout, its type check against the
// real @dagger.io/dagger types, the SDK's own introspection (what the engine runs to register the
// module's functions), and the pure functions it reads reports with, against the core's.
// Part 2 (replay.test.ts) runs the functions' withExec command lines in the real image.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { coverageGaps as coreGaps } from '../../src/match/coverage.js';
import { encoderFor, formatNames } from '../../src/report/index.js';
import { scan } from '../../src/index.js';
import { coverageGaps, decisionLine, REPORT_FILES, verdictStatus } from '../../.dagger/src/verdict.js';
import { buildPipelineFixture, npmOnlyDb, type PipelineFixture } from '../tekton/fixture.js';

const MODULE_DIR = join(PROJECT_ROOT, '.dagger');
const TSC = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const SDK = join(PROJECT_ROOT, 'node_modules', '@dagger.io', 'dagger');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; out: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: PROJECT_ROOT, env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: stdout + stderr, stdout });
    });
  });
}
const tsc = (args: string[]) => run(process.execPath, [TSC, ...args]);

/** A tsconfig that checks only `files` with the module's own options (its tsconfig.json). */
function onlyConfig(dir: string, files: string[]): string {
  const path = join(dir, 'tsconfig.json');
  // The module's `paths` point at ./sdk, which the engine generates; here the installed SDK.
  writeFileSync(path, JSON.stringify({ extends: join(MODULE_DIR, 'tsconfig.json'), compilerOptions: { noEmit: true, paths: {}, types: ['node'], typeRoots: [join(PROJECT_ROOT, 'node_modules/@types')] }, include: [], files }));
  return path;
}

describe('layout', () => {
  it('dagger.json points at .dagger, which holds the module as the TypeScript SDK expects it', () => {
    const dj = JSON.parse(readFileSync(join(PROJECT_ROOT, 'dagger.json'), 'utf8'));
    expect(dj).toMatchObject({ name: 'portcullis', sdk: { source: 'typescript' }, source: '.dagger' });
    expect(dj.engineVersion).toMatch(/^v0\.21\.\d+$/);
    const pkg = JSON.parse(readFileSync(join(MODULE_DIR, 'package.json'), 'utf8'));
    // type module; no @dagger.io/dagger dependency: the runtime bundles the SDK into ./sdk.
    expect(pkg.type).toBe('module');
    expect(pkg.dependencies).toEqual({ typescript: '5.9.3' });
    const tsconfig = JSON.parse(readFileSync(join(MODULE_DIR, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.compilerOptions.experimentalDecorators).toBe(true);
    expect(tsconfig.compilerOptions.paths['@dagger.io/dagger']).toEqual(['./sdk/index.ts']);
    expect(readdirSync(join(MODULE_DIR, 'src')).sort()).toEqual(['index.ts', 'verdict.ts']);
    expect(readFileSync(join(MODULE_DIR, '.gitignore'), 'utf8')).toMatch(/^\/sdk$/m);
  });

  it('the module imports nothing of the core (it runs the CLI in the image), and src/ never imports the SDK', () => {
    for (const f of readdirSync(join(MODULE_DIR, 'src'))) {
      const text = readFileSync(join(MODULE_DIR, 'src', f), 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      expect(imports.every((i) => i === '@dagger.io/dagger' || i.startsWith('./')), `${f}: ${imports.join(', ')}`).toBe(true);
    }
    const offenders: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && readFileSync(p, 'utf8').includes('@dagger.io/dagger')) offenders.push(relative(PROJECT_ROOT, p));
      }
    };
    walk(join(PROJECT_ROOT, 'src'));
    expect(offenders).toEqual([]);
  });

  it('the build (tsconfig.build.json) compiles the library entry src/index.ts, without the module or the SDK', async () => {
    const r = await tsc(['-p', 'tsconfig.build.json', '--noEmit', '--listFiles']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/\/src\/index\.ts$/m);
    expect(r.out).not.toMatch(/\.dagger\//);
    expect(r.out).not.toMatch(/@dagger\.io/);
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(pkg.files).not.toContain('.dagger');
  });
});

describe('type checks', () => {
  it('.dagger/src compiles against the real @dagger.io/dagger 0.21 types with the module tsconfig (TypeScript 5.9)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-dagger-tsc-'));
    const r = await tsc(['-p', onlyConfig(dir, [join(MODULE_DIR, 'src/index.ts')]), '--listFiles']).finally(() => rmSync(dir, { recursive: true, force: true }));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/node_modules\/@dagger\.io\/dagger\/dist\/src\/api\/client\.gen\.d\.ts/);
    expect(JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')).version).toMatch(/^0\.21\./);
    expect((await tsc(['--version'])).out).toMatch(/Version 5\.9\./);
  });

  it('the same check rejects a call that breaks the real Dagger types (negative control)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-dagger-tsc-'));
    const bad = join(dir, 'bad.ts');
    // The SDK by its path (a file under /tmp finds no node_modules): the same declarations the module resolves.
    writeFileSync(bad, `import type { Directory } from '${join(SDK, 'dist/src/index.js')}';\nimport { Portcullis } from '${join(MODULE_DIR, 'src', 'index.js')}';\nconst c: Directory = new Portcullis().container();\nexport default c;\n`);
    const r = await tsc(['-p', onlyConfig(dir, [bad])]).finally(() => rmSync(dir, { recursive: true, force: true }));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/bad\.ts\(3,7\): error TS2\d+: Type 'Container' is missing the following properties from type 'Directory'|bad\.ts\(3,7\): error TS2322/);
  });
});

interface IntroArg { name: string; type: { kind: string; name?: string; typeDef?: { kind: string; name?: string } }; isOptional: boolean; defaultValue?: unknown; defaultPath?: string; ignore?: string[] }
interface IntroFn { name: string; arguments: Record<string, IntroArg>; returnType: { kind: string; name?: string } }
interface IntroObject { name: string; description: string; constructor: { arguments: Record<string, IntroArg> }; methods: Record<string, IntroFn>; properties: Record<string, { name: string; isExposed: boolean; type: { kind: string; name?: string } }> }

describe("the SDK's own introspection (what the engine runs to register the module), offline", () => {
  let intro: { name: string; objects: Record<string, IntroObject> };
  let work: string;

  beforeAll(async () => {
    // The engine passes the generated client as sdk/client.gen.ts; its declarations are the
    // installed SDK's client.gen.d.ts (the introspector finds core types by that file name).
    work = mkdtempSync(join(tmpdir(), 'portcullis-dagger-intro-'));
    mkdirSync(join(work, 'sdk'));
    copyFileSync(join(SDK, 'dist/src/api/client.gen.d.ts'), join(work, 'sdk', 'client.gen.ts'));
    const entry = join(SDK, 'dist/src/module/entrypoint/introspection_entrypoint.js');
    const r = await run(process.execPath, [entry, 'portcullis', join(MODULE_DIR, 'src'), join(work, 'sdk', 'client.gen.ts')], { ...process.env, DRY_RUN: '1' });
    expect(r.code, r.out).toBe(0);
    intro = JSON.parse(r.stdout);
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('registers Portcullis and Scan with their functions and documented arguments', () => {
    expect(intro.name).toBe('Portcullis');
    expect(Object.keys(intro.objects).sort()).toEqual(['Portcullis', 'Scan']);
    const p = intro.objects.Portcullis;
    expect(p.description).toMatch(/container-image vulnerability gate/);
    expect(Object.keys(p.methods).sort()).toEqual(['container', 'dbUpdate', 'sbom', 'scan', 'withCacheBackend', 'withDb', 'withFilter', 'withPolicy', 'withPolicyDir', 'withRegistryAuth', 'withVex']);
    const scan = p.methods.scan;
    expect(scan.returnType).toEqual({ kind: 'OBJECT_KIND', name: 'Scan' });
    // Image choice only; the gate's inputs come from the with* builders.
    expect(Object.keys(scan.arguments)).toEqual(['container', 'address', 'tarball', 'platform']);
    // Optional: `?` or a default value.
    expect(Object.values(scan.arguments).every((a) => a.isOptional || a.defaultValue !== undefined)).toBe(true);
    expect(scan.arguments.container.type).toEqual({ kind: 'OBJECT_KIND', name: 'Container' });
    expect(scan.arguments.tarball.type).toEqual({ kind: 'OBJECT_KIND', name: 'File' });
    for (const fn of Object.values(p.methods)) expect(Object.keys(fn.arguments).length, fn.name).toBeLessThanOrEqual(5);
    // Passwords and the fleet cache URL/key are Secrets, the DB a CacheVolume.
    expect(p.methods.withRegistryAuth.arguments.password.type).toEqual({ kind: 'OBJECT_KIND', name: 'Secret' });
    expect(p.methods.withCacheBackend.arguments.backend.type.name).toBe('Secret');
    expect(p.methods.withCacheBackend.arguments.key.type.name).toBe('Secret');
    expect(p.methods.withDb.arguments.volume.type).toEqual({ kind: 'OBJECT_KIND', name: 'CacheVolume' });
    expect(p.methods.dbUpdate.arguments.enrichment.defaultValue).toBe(true);
    // The checkout the image is built from defaults to the module's context directory.
    expect(p.constructor.arguments.source).toMatchObject({ defaultPath: '/', isOptional: true, type: { name: 'Directory' } });
    expect(p.constructor.arguments.source.ignore).toEqual(expect.arrayContaining(['.git', 'node_modules']));
    expect(p.constructor.arguments.image.type).toEqual({ kind: 'OBJECT_KIND', name: 'Container' });
    // Builder state is kept, not exposed as functions.
    expect(Object.values(p.properties).filter((x) => x.isExposed)).toEqual([]);
  });

  it('Scan: report(format) → File, gate(), decision(), verdict(), attestation(key: Secret) → File', () => {
    const s = intro.objects.Scan;
    expect(Object.keys(s.methods).sort()).toEqual(['attestation', 'decision', 'gate', 'report', 'sarif', 'summary', 'verdict']);
    expect(s.methods.report.returnType).toEqual({ kind: 'OBJECT_KIND', name: 'File' });
    expect(s.methods.report.arguments.format).toMatchObject({ defaultValue: 'json' });
    expect(s.methods.gate.returnType.kind).toBe('STRING_KIND');
    expect(s.methods.decision.returnType.kind).toBe('STRING_KIND');
    expect(s.methods.attestation.arguments.key.type).toEqual({ kind: 'OBJECT_KIND', name: 'Secret' });
    expect(s.methods.attestation.returnType).toEqual({ kind: 'OBJECT_KIND', name: 'File' });
    expect(Object.values(s.properties).filter((x) => x.isExposed).map((x) => [x.name, x.type.kind])).toEqual([['reports', 'OBJECT_KIND'], ['exitCode', 'INTEGER_KIND']]);
  });

  it('a module that breaks the SDK rules is refused by the same introspection (negative control)', async () => {
    const bad = join(work, 'bad-src');
    mkdirSync(bad);
    writeFileSync(join(bad, 'index.ts'), "import { func, object } from '@dagger.io/dagger';\nclass Hidden { x = 1 }\n@object()\nexport class Portcullis {\n  @func()\n  get(): Hidden { return new Hidden(); }\n}\n");
    const entry = join(SDK, 'dist/src/module/entrypoint/introspection_entrypoint.js');
    const r = await run(process.execPath, [entry, 'portcullis', bad, join(work, 'sdk', 'client.gen.ts')], { ...process.env, DRY_RUN: '1' });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/Hidden .*not exposed with a dagger decorator|could not resolve type reference for Hidden/);
  });
});

describe("the module's report reading agrees with the core", () => {
  let f: PipelineFixture;
  let work: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'portcullis-dagger-verdict-'));
    f = await buildPipelineFixture(join(work, 'fx'));
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('every core report format has its file name, with the encoder\'s extension', () => {
    expect(Object.keys(REPORT_FILES).sort()).toEqual(formatNames().sort());
    for (const [format, name] of Object.entries(REPORT_FILES)) expect(name).toBe(`report.${encoderFor(format).extension}`);
  });

  it('decision lines and gaps from real reports (blocked, pass, incomplete) match the core verdict', async () => {
    const common = (db: string) => ({ db: { path: db, offline: true, skipAgeCheck: true }, cache: { disabled: true } });
    const blocked = await scan({ input: { image: f.blockOci }, ...common(f.db) });
    expect(blocked.verdict.exitCode).toBe(1);
    expect(decisionLine(1, blocked.report)).toMatch(/^blocked: 1 block, 1 warn, 0 ignore; findings CRITICAL 1, HIGH 0, MEDIUM 1, LOW 0, UNKNOWN 0$/);
    const passed = await scan({ input: { image: f.passOci }, ...common(f.db) });
    expect(decisionLine(passed.verdict.exitCode, passed.report)).toMatch(/^pass: 0 block, 1 warn, 0 ignore/);

    const incomplete = await scan({ input: { image: f.passOci }, ...common(await npmOnlyDb(f)) });
    expect(incomplete.verdict.status).toBe('incomplete');
    // Round trip through the JSON report, as the module reads it.
    const asRead = JSON.parse(encoderFor('json').encode(incomplete.report));
    expect(coverageGaps(asRead)).toEqual(coreGaps(incomplete.report.coverage!));
    expect(coverageGaps(asRead).length).toBeGreaterThan(0);
    expect(verdictStatus(2, asRead)).toBe('incomplete');
    expect(decisionLine(2, asRead)).toMatch(/^incomplete: \d+ packages in Debian:12 not checked \(no-data/);
    // Exit 2 from a complete report is not a verdict; neither is an unknown exit code.
    expect(() => verdictStatus(2, JSON.parse(encoderFor('json').encode(passed.report)))).toThrow(/exited 2 without an incomplete report/);
    expect(() => verdictStatus(3, asRead)).toThrow(/exited 3/);
  }, 120_000);
});

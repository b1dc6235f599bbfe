// The Dagger module without an engine: it type-checks against the real @dagger.io/dagger types,
// and its functions run over a stand-in for the Dagger objects they touch (test/dagger/stand-in.ts)
// against real image archives, a real DB and this checkout's CLI.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheVolume, Container, Directory, File, Secret } from '@dagger.io/dagger';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { dsseVerifies, sigstoreVerify } from '../attest/independent.js';
import { DB_CACHE_KEY, DB_PATH, NODE_IMAGE, Portcullis, setDaggerClient, type DaggerClient } from '../../src/index.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { kevCatalog } from '../helpers/kev.js';
import { importFiles } from '../../src/vulndb/index.js';
import { buildZip } from '../vulndb/zipfix.js';
import { buildPipelineFixture, CRITICAL_ID, MEDIUM_ID, osvRecords, type PipelineFixture } from '../tekton/fixture.js';
import { containerWithTarball, FakeCacheVolume, FakeClient, FakeContainer, FakeDirectory, FakeFile } from './stand-in.js';

const TSC = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function tsc(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSC, ...args], { cwd: PROJECT_ROOT, encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: stdout + stderr });
    });
  });
}

/**
 * A scratch dir under node_modules/.cache: inside the project, so packages and @types resolve, but
 * outside tsconfig's include, so a concurrent `tsc -p .` never sees the deliberately broken file.
 */
function scratch(): string {
  const base = join(PROJECT_ROOT, 'node_modules', '.cache');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, 'portcullis-dagger-tsc-'));
}

/** A tsconfig that checks only `files` (and what they import) with the project's options. */
function onlyConfig(dir: string, files: string[]): string {
  const path = join(dir, 'tsconfig.json');
  writeFileSync(path, JSON.stringify({ extends: join(PROJECT_ROOT, 'tsconfig.json'), compilerOptions: { noEmit: true, rootDir: PROJECT_ROOT }, include: [], files }));
  return path;
}

// The stand-ins are typed structurally; the module's signatures use the real Dagger classes.
const asFile = (f: FakeFile) => f as unknown as File;
const asContainer = (c: FakeContainer) => c as unknown as Container;
const asVolume = (v: FakeCacheVolume) => v as unknown as CacheVolume;
const asDirectory = (d: FakeDirectory) => d as unknown as Directory;

describe('type checks', () => {
  it('src/index.ts compiles against the real @dagger.io/dagger types (TypeScript 5.9)', async () => {
    const dir = scratch();
    const r = await tsc(['-p', onlyConfig(dir, [join(PROJECT_ROOT, 'src/index.ts')]), '--listFiles']).finally(() => rmSync(dir, { recursive: true, force: true }));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/node_modules\/@dagger\.io\/dagger\/dist\/src\/api\/client\.gen\.d\.ts/);
    expect((await tsc(['--version'])).out).toMatch(/Version 5\.9\./);
  });

  it('the same check rejects a call that breaks the real Dagger types (negative control)', async () => {
    const dir = scratch();
    const bad = join(dir, 'bad.ts');
    writeFileSync(bad, `import type { Directory } from '@dagger.io/dagger';\nimport { Portcullis } from '${join(PROJECT_ROOT, 'src', 'index.js')}';\nconst c: Directory = new Portcullis().container();\nexport default c;\n`);
    const r = await tsc(['-p', onlyConfig(dir, [bad])]).finally(() => rmSync(dir, { recursive: true, force: true }));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/bad\.ts\(3,7\): error TS2\d+: Type 'Container' is missing the following properties from type 'Directory'|bad\.ts\(3,7\): error TS2322/);
  });

  it('the CLI build (tsconfig.build.json) leaves src/index.ts out and still type-checks', async () => {
    const r = await tsc(['-p', 'tsconfig.build.json', '--noEmit', '--listFiles']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toMatch(/\/src\/index\.ts/);
    expect(r.out).not.toMatch(/@dagger\.io/);
  });

  it('no other file under src/ imports @dagger.io/dagger (the runtime loads every src/*.ts)', () => {
    const offenders: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && p !== join(PROJECT_ROOT, 'src/index.ts') && readFileSync(p, 'utf8').includes('@dagger.io/dagger')) offenders.push(relative(PROJECT_ROOT, p));
      }
    };
    walk(join(PROJECT_ROOT, 'src'));
    expect(offenders).toEqual([]);
    const dj = JSON.parse(readFileSync(join(PROJECT_ROOT, 'dagger.json'), 'utf8'));
    expect(dj).toMatchObject({ name: 'portcullis', sdk: { source: 'typescript' }, source: '.' });
    expect(dj.engineVersion).toMatch(/^v0\.21\.\d+$/);
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));
    expect(pkg.dependencies['@dagger.io/dagger']).toMatch(/^0\.21\.\d+$/);
    expect(pkg.devDependencies.typescript).toBe('5.9.3');
  });
});

describe('module functions over the stand-in', () => {
  let f: PipelineFixture;
  let fake: FakeClient;
  let previous: DaggerClient;
  const mod = new Portcullis();

  beforeAll(async () => {
    f = await buildPipelineFixture(mkdtempSync(join(tmpdir(), 'dagger-fx-')));
    fake = new FakeClient([f.binDir], join(f.dir, 'volumes'));
    previous = setDaggerClient(fake as unknown as DaggerClient);
  });
  afterAll(() => {
    setDaggerClient(previous);
  });

  /** A cache volume that already holds the fixture DB, as after dbUpdate. */
  function filledVolume(key: string): FakeCacheVolume {
    const v = fake.cacheVolume(key);
    copyFileSync(f.db, join(v.dir, 'db.sqlite'));
    return v;
  }

  it('scan(container) exports the OCI tarball, reads the DB out of the cache volume, and blocks a CRITICAL', async () => {
    const vol = filledVolume('blocking');
    const before = fake.ran.length;
    const s = await mod.scan(asContainer(containerWithTarball(f.blockOci)), undefined, undefined, [], undefined, [], undefined, false, undefined, asVolume(vol), undefined, true);

    const copy = fake.ran.slice(before);
    expect(copy.map((r) => r.args[0])).toEqual(['sh']);
    expect(copy[0].code).toBe(0);

    const report = JSON.parse(s.json);
    expect(report.findings.map((x: { id: string }) => x.id).sort()).toEqual([CRITICAL_ID, MEDIUM_ID]);
    expect(report.db.location).toMatch(/db\.sqlite/);
    expect(s.decision()).toMatch(/^blocked: 1 block, 1 warn, 0 ignore; findings CRITICAL 1, HIGH 0, MEDIUM 1/);
    expect(() => s.gate()).toThrow(/portcullis gate: blocked/);

    const dir = mkdtempSync(join(tmpdir(), 'dagger-out-'));
    const json = JSON.parse(readFileSync(await (s.report('json') as unknown as FakeFile).export(join(dir, 'r.json')), 'utf8'));
    expect(json.decision.blocked).toBe(true);
    const sarif = JSON.parse(await (s.sarif() as unknown as FakeFile).contents());
    expect(sarif.version).toBe('2.1.0');
    expect(JSON.stringify(sarif.runs[0].results)).toContain(CRITICAL_ID);
    const cdx = JSON.parse(await (s.sbom() as unknown as FakeFile).contents());
    expect(cdx.bomFormat).toBe('CycloneDX');
    expect(cdx.components.map((c: { name: string }) => c.name)).toContain('libssl3');
    const spdx = JSON.parse(await (s.sbom('spdx') as unknown as FakeFile).contents());
    expect(spdx.spdxVersion).toMatch(/^SPDX-2\./);
    expect(() => s.sbom('xml')).toThrow(/cyclonedx or spdx/);
    expect(() => s.report('nope')).toThrow(/unknown format "nope"/);
    expect(s.summary()).toContain(CRITICAL_ID);
    expect(await (s.report('junit') as unknown as FakeFile).contents()).toMatch(/^<\?xml/);
  });

  it('scan(tarball) of a passing image: decision pass, gate returns the line', async () => {
    const s = await mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.passOci })), [], undefined, [], undefined, false, undefined, undefined, asFile(new FakeFile({ path: f.db })), true);
    expect(s.decision()).toMatch(/^pass: 0 block, 1 warn/);
    expect(s.gate()).toBe(s.decision());
  });

  it('an incomplete scan (the DB holds no Debian:12 data) is never a pass: decision says incomplete, gate fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-dagger-npm-db-'));
    const npmRecord = { ...(osvRecords()[0] as Record<string, unknown>), id: 'GHSA-test-npm-0001', affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }] };
    writeFileSync(join(dir, 'r.json'), JSON.stringify(npmRecord));
    writeFileSync(join(dir, 'kev.json'), kevCatalog());
    await importFiles(join(dir, 'db.sqlite'), [join(dir, 'r.json'), join(dir, 'kev.json')]);
    const s = await mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.passOci })), [], undefined, [], undefined, false, undefined, undefined, asFile(new FakeFile({ path: join(dir, 'db.sqlite') })), true);
    expect(s.decision()).toMatch(/^incomplete: \d+ packages in Debian:12 not checked \(no-data/);
    expect(() => s.gate()).toThrow(/portcullis gate: incomplete/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('Scan.attestation(key): a Sigstore bundle of the signed VSA about the scanned manifest digest', async () => {
    const s = await mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.passOci })), [], undefined, [], undefined, false, undefined, undefined, asFile(new FakeFile({ path: f.db })), true);
    const pair = generateKeyPairSync('ed25519');
    const secret = { plaintext: async () => pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() } as unknown as Secret;
    const bundle = JSON.parse(await ((await s.attestation(secret)) as unknown as FakeFile).contents()) as { mediaType: string; dsseEnvelope: { payloadType: string; payload: string; signatures: { sig: string }[] } };
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(dsseVerifies(bundle.dsseEnvelope, pair.publicKey)).toBe(true);
    expect(() => sigstoreVerify(bundle, pair.publicKey)).not.toThrow();
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    const report = JSON.parse(s.json);
    expect(statement.subject[0].digest.sha256).toBe(report.image.manifestDigest.slice(7));
    expect(statement.predicate.verificationResult).toBe('PASSED');
    // The policy was digested at scan time (its temp copy is gone by now): the shipped default.
    expect(statement.predicate.policy.digest.sha256).toBe(createHash('sha256').update(readFileSync(join(PROJECT_ROOT, 'policies/default.yaml'))).digest('hex'));
    const bad = { plaintext: async () => 'not a key' } as unknown as Secret;
    await expect(s.attestation(bad)).rejects.toThrow(/^attestation: the key secret is not a PEM private key$/);
  });

  it('scan(tarball) detects a docker-archive too', async () => {
    const s = await mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.blockDocker })), [], undefined, [], undefined, false, undefined, undefined, asFile(new FakeFile({ path: f.db })), true);
    expect(s.decision()).toMatch(/^blocked/);
  });

  it('policy files, a policy directory and the severity filter reach the core', async () => {
    const db = asFile(new FakeFile({ path: f.db }));
    const warnAll = 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata:\n  name: warn-all\nspec:\n  rules:\n    - id: warn-all\n      action: warn\n      when: true\n';
    const byFile = await mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.blockOci })), [asFile(new FakeFile({ contents: warnAll }))], undefined, [], undefined, false, undefined, undefined, db, true);
    expect(byFile.decision()).toMatch(/^pass: 0 block, 2 warn/);

    const policyDir = new FakeDirectory(undefined, new Map([['10-warn.yaml', warnAll], ['README.md', '# not a policy']]));
    const byDir = await mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.blockOci })), [], asDirectory(policyDir), [], undefined, false, undefined, undefined, db, true);
    expect(JSON.parse(byDir.json).decision.policies).toHaveLength(1);
    expect(byDir.decision()).toMatch(/^pass/);

    const medium = await mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.blockOci })), [], undefined, [], 'MEDIUM', false, undefined, undefined, db, true);
    expect(JSON.parse(medium.json).findings.map((x: { id: string }) => x.id)).toEqual([MEDIUM_ID]);
    expect(medium.decision()).toMatch(/^pass/);

    await expect(mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.blockOci })), [], undefined, [], 'SEVERE', false, undefined, undefined, db, true)).rejects.toThrow(/unknown severity "SEVERE"/);
  });

  it('VEX documents reach the gate: not_affected on the CRITICAL lets the image pass', async () => {
    const db = asFile(new FakeFile({ path: f.db }));
    const first = await mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.blockOci })), [], undefined, [], undefined, false, undefined, undefined, db, true);
    const purl = JSON.parse(first.json).findings.find((x: { id: string }) => x.id === CRITICAL_ID).package.purl as string;
    const vex = {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.com/vex/1',
      author: 'test',
      timestamp: '2024-05-01T00:00:00Z',
      version: 1,
      statements: [{ vulnerability: { name: CRITICAL_ID }, products: [{ '@id': purl }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }],
    };
    const s = await mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.blockOci })), [], undefined, [asFile(new FakeFile({ contents: JSON.stringify(vex) }))], undefined, false, undefined, undefined, db, true);
    expect(s.decision()).toMatch(/^pass: 0 block, 1 warn, 1 ignore/);
  });

  it('input errors: none or two images, a corrupt tarball, an empty cache volume offline', async () => {
    await expect(mod.scan()).rejects.toThrow(/exactly one of --container, --address or --tarball \(got 0\)/);
    await expect(mod.scan(asContainer(containerWithTarball(f.blockOci)), 'example.com/app:1')).rejects.toThrow(/got 2/);
    const db = asFile(new FakeFile({ path: f.db }));
    await expect(mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.corrupt })), [], undefined, [], undefined, false, undefined, undefined, db, true)).rejects.toThrow(/not a tar archive/);
    const empty = fake.cacheVolume('empty');
    await expect(mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.passOci })), [], undefined, [], undefined, false, undefined, asVolume(empty), undefined, true)).rejects.toThrow(/no vulnerability database \(offline\)/);
  });

  it('container(): pinned node base, npm ci + build from the source, non-root user, portcullis entrypoint', () => {
    const c = mod.container(asDirectory(new FakeDirectory())) as unknown as FakeContainer;
    const steps = c.steps;
    expect(steps[0]).toEqual({ op: 'from', address: NODE_IMAGE });
    expect(NODE_IMAGE).toMatch(/^node:20\.\d+\.\d+-[a-z]+-slim(@sha256:[0-9a-f]{64})?$/);
    const execs = steps.filter((s) => s.op === 'exec').map((s) => (s as { args: string[] }).args.join(' '));
    const npmCi = execs.findIndex((e) => /^npm ci/.test(e));
    expect(npmCi).toBeGreaterThanOrEqual(0);
    // Build tools for better-sqlite3's source build come first and are purged after the prune.
    expect(execs.slice(0, npmCi).join('\n')).toMatch(/apt-get install .*python3 make g\+\+/);
    expect(execs.slice(npmCi).join('\n')).toMatch(/npm prune --omit=dev[\s\S]*apt-get purge/);
    expect(execs.join('\n')).toContain('/usr/local/bin/portcullis');
    expect(steps.find((s) => s.op === 'directory')).toMatchObject({ exclude: expect.arrayContaining(['node_modules', '.git']) });
    expect(steps.filter((s) => s.op === 'user').at(-1)).toEqual({ op: 'user', name: 'node' });
    expect(steps.at(-1)).toEqual({ op: 'entrypoint', args: ['portcullis'] });
    expect(steps).toContainEqual({ op: 'env', name: 'PORTCULLIS_DB', value: DB_PATH });
  });

  it('dbUpdate fills the cache volume through the CLI (db update from a local OSV source), and scan then uses it', async () => {
    const zip = await buildZip(osvRecords());
    const paths: string[] = [];
    const server: Server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length });
      res.end(zip);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const vol = fake.cacheVolume(DB_CACHE_KEY);
      const out = await mod.dbUpdate(undefined, ['Debian:12'], [`http://127.0.0.1:${port}/{ecosystem}/all.zip`], [], false, asDirectory(new FakeDirectory()));
      expect(paths.length).toBeGreaterThan(0);
      expect(existsSync(join(vol.dir, 'db.sqlite'))).toBe(true);
      expect(out).toMatch(/Debian/);
      const cmds = fake.ran.slice(-2).map((r) => r.args.slice(0, 3).join(' '));
      expect(cmds).toEqual(['portcullis db update', 'portcullis db status']);

      // The default volume is what scan reads when no db is given. Updated without enrichment it
      // holds no KEV data, so the default gate (which reads kev) fails closed rather than pass.
      await expect(mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.blockOci })), [], undefined, [], undefined, false, undefined, undefined, undefined, true)).rejects.toThrow(
        /block-kev .* holds no KEV .* db update --enrichment/,
      );
      const severityOnly = asFile(new FakeFile({ contents: 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: severity-only}\nspec:\n  rules:\n    - {id: block-critical, action: block, when: {severity: CRITICAL}}\n' }));
      const s = await mod.scan(undefined, undefined, asFile(new FakeFile({ path: f.blockOci })), [severityOnly], undefined, [], undefined, false, undefined, undefined, undefined, true);
      expect(s.decision()).toMatch(/^blocked/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

// The Dagger module without an engine, part 2: every function runs for real, its withExec command
// lines replayed by the stand-in (test/dagger/stand-in.ts) as `docker run`s of the REAL portcullis
// image (built from this checkout's Containerfile, test/fixtures/portcullis-image.ts) in a private
// dockerd, with the recorded mounts, env and secrets, against real image archives and a real DB.
import { chownSync, copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheVolume, Container, Directory, File, Secret } from '@dagger.io/dagger';
import { dsseVerifies, sigstoreVerify } from '../attest/independent.js';
import { DB_CACHE_KEY, DB_PATH, OUT_DIR, Portcullis, setDaggerClient, type DaggerClient } from '../../.dagger/src/index.js';
import { REPORT_FILES } from '../../.dagger/src/verdict.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { buildZip } from '../vulndb/zipfix.js';
import { exec, hasCommand, startDockerd, type Daemon } from '../stores/daemons.js';
import { DOCKER_CLI, PORTCULLIS_IMAGE_TAG, portcullisImageArchive } from '../fixtures/portcullis-image.js';
import { buildPipelineFixture, CRITICAL_ID, MEDIUM_ID, npmOnlyDb, osvRecords, type PipelineFixture } from '../tekton/fixture.js';
import { FakeCacheVolume, FakeClient, FakeContainer, FakeDirectory, FakeFile, FakeSecret, type ExecResult } from './stand-in.js';

const asFile = (f: FakeFile) => f as unknown as File;
const asContainer = (c: FakeContainer) => c as unknown as Container;
const asVolume = (v: FakeCacheVolume) => v as unknown as CacheVolume;
const asDirectory = (d: FakeDirectory) => d as unknown as Directory;
const asSecret = (s: FakeSecret) => s as unknown as Secret;
const text = async (f: File) => (f as unknown as FakeFile).contents();

const UID = 65532;
const WARN_ALL = 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata:\n  name: warn-all\nspec:\n  rules:\n    - id: warn-all\n      action: warn\n      when: true\n';
const CAN_RUN = hasCommand('dockerd') && process.getuid?.() === 0;
/** Each withExec is one `docker run` (tens of seconds on a loaded machine); a test runs up to eight. */
const EXEC_TIMEOUT = 1_200_000;

describe.skipIf(!CAN_RUN)('module functions, their withExec lines run in the real portcullis image', () => {
  let f: PipelineFixture;
  let work: string;
  let daemon: Daemon;
  let fake: FakeClient;
  let previous: DaggerClient;
  let npmDb: string;
  const mod = new Portcullis();

  beforeAll(async () => {
    const archive = await portcullisImageArchive();
    work = mkdtempSync(join(tmpdir(), 'portcullis-dagger-replay-'));
    f = await buildPipelineFixture(join(work, 'fx'));
    // overlay2: vfs copies the whole image (~370 MB) for every container, and these run dozens.
    daemon = await startDockerd({ storageDriver: 'overlay2' });
    await exec(DOCKER_CLI, ['load', '-i', archive], { env: { ...process.env, ...daemon.env }, maxBuffer: 64 << 20 });
    fake = new FakeClient(PORTCULLIS_IMAGE_TAG, daemon.env, join(work, 'volumes'), DOCKER_CLI);
    previous = setDaggerClient(fake as unknown as DaggerClient);

    npmDb = await npmOnlyDb(f);
  }, 3_600_000);
  afterAll(async () => {
    if (previous) setDaggerClient(previous);
    fake?.cleanup();
    await daemon?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A cache volume that already holds the fixture DB, as after dbUpdate (owned by the image's user). */
  function filledVolume(key: string): FakeCacheVolume {
    const v = fake.cacheVolume(key);
    copyFileSync(f.db, join(v.dir, 'db.sqlite'));
    for (const p of [v.dir, join(v.dir, 'db.sqlite')]) chownSync(p, UID, UID);
    return v;
  }
  const dbFile = (path: string) => asFile(new FakeFile({ path }));
  const offlineDb = (path = f.db) => mod.withDb(undefined, dbFile(path), '', true, true);
  const scanExec = (): ExecResult => fake.ran.filter((r) => r.args[1] === 'scan').at(-1)!;

  it('scan(container) from the cache volume: blocked, every report, the DB stamp makes the exec cacheable by inputs', async () => {
    const vol = filledVolume('blocking');
    const before = fake.ran.length;
    const s = await mod.withDb(asVolume(vol), undefined, '', true, true).scan(asContainer(fake.containerWithTarball(f.blockOci)));
    const ran = fake.ran.slice(before);
    // First the DB's identity is read (a fresh run each time), then the scan runs with it as an input.
    expect(ran.map((r) => r.args.slice(0, 2).join(' '))).toEqual(['node -e', 'portcullis scan']);
    const db = statSync(join(vol.dir, 'db.sqlite'));
    expect(ran[0].stdout).toBe([db.ino, db.size, db.mtimeMs].join('-'));
    expect(ran[1].docker).toContain(`PORTCULLIS_DB_STAMP=${ran[0].stdout}`);
    expect(ran[1].docker).toContain(`PORTCULLIS_DB=${DB_PATH}`);
    expect(ran[1].docker).not.toContain('--user'); // the image's own non-root user
    expect(ran[1].args.slice(0, 3)).toEqual(['portcullis', 'scan', 'oci-archive:/run/portcullis/in/image.tar']);

    expect(s.exitCode).toBe(1);
    expect(await s.verdict()).toBe('blocked');
    expect(await s.decision()).toMatch(/^blocked: 1 block, 1 warn, 0 ignore; findings CRITICAL 1, HIGH 0, MEDIUM 1/);
    await expect(s.gate()).rejects.toThrow(/^portcullis gate: blocked/);

    expect((await (s.reports as unknown as FakeDirectory).entries()).sort()).toEqual(Object.values(REPORT_FILES).sort());
    const out = mkdtempSync(join(work, 'out-'));
    const jsonPath = await (s.report('json') as unknown as FakeFile).export(join(out, 'r.json'));
    const report = JSON.parse(readFileSync(jsonPath, 'utf8'));
    expect(report.findings.map((x: { id: string }) => x.id).sort()).toEqual([CRITICAL_ID, MEDIUM_ID]);
    expect(report.db.location).toContain(DB_PATH);
    const sarif = JSON.parse(await text(s.sarif()));
    expect(sarif.version).toBe('2.1.0');
    expect(JSON.stringify(sarif.runs[0].results)).toContain(CRITICAL_ID);
    const cdx = JSON.parse(await text(s.report('cyclonedx')));
    expect(cdx.bomFormat).toBe('CycloneDX');
    expect(cdx.components.map((c: { name: string }) => c.name)).toContain('libssl3');
    expect(JSON.parse(await text(s.report('spdx'))).spdxVersion).toMatch(/^SPDX-2\./);
    expect(await text(s.report('junit'))).toMatch(/^<\?xml/);
    expect(await s.summary()).toContain(CRITICAL_ID);
    expect(() => s.report('nope')).toThrow(/unknown format "nope"/);
  }, EXEC_TIMEOUT);

  it('scan(tarball) with a DB file: pass, gate returns the decision line', async () => {
    const s = await offlineDb().scan(undefined, undefined, dbFile(f.passOci));
    expect(s.exitCode).toBe(0);
    expect(await s.decision()).toMatch(/^pass: 0 block, 1 warn/);
    expect(await s.gate()).toBe(await s.decision());
    expect(scanExec().args).toEqual(expect.arrayContaining(['--db', '/run/portcullis/in/db.sqlite', '--offline', '--skip-db-age-check']));
  }, EXEC_TIMEOUT);

  it('an incomplete scan (the DB holds no Debian:12 data) is never a pass: exit 2 as a verdict, decision says incomplete, gate fails', async () => {
    const s = await offlineDb(npmDb).scan(undefined, undefined, dbFile(f.passOci));
    expect(s.exitCode).toBe(2);
    expect(await s.verdict()).toBe('incomplete');
    expect(await s.decision()).toMatch(/^incomplete: \d+ packages in Debian:12 not checked \(no-data/);
    await expect(s.gate()).rejects.toThrow(/^portcullis gate: incomplete/);
    // The CLI said so too, in its one line.
    expect(scanExec().stderr).toMatch(/incomplete scan, not a pass/);
    // And it is not attested.
    await expect(s.attestation(asSecret(new FakeSecret('unused')))).rejects.toThrow(/^attestation: /);
  }, EXEC_TIMEOUT);

  it('Scan.attestation(key): the signed VSA about the scanned manifest digest; the key goes in by name only', async () => {
    const s = await offlineDb().scan(undefined, undefined, dbFile(f.passOci));
    const pair = generateKeyPairSync('ed25519');
    const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const bundle = JSON.parse(await text(await s.attestation(asSecret(new FakeSecret(pem))))) as { mediaType: string; dsseEnvelope: { payloadType: string; payload: string; signatures: { sig: string }[] } };
    const signedRun = fake.ran.at(-1)!;
    expect(signedRun.docker).toEqual(expect.arrayContaining(['--env', 'PORTCULLIS_SIGNING_KEY']));
    expect(signedRun.docker.join(' ')).not.toContain('PRIVATE KEY');
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(dsseVerifies(bundle.dsseEnvelope, pair.publicKey)).toBe(true);
    expect(() => sigstoreVerify(bundle, pair.publicKey)).not.toThrow();
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    const report = JSON.parse(await text(s.report('json')));
    expect(statement.subject[0].digest.sha256).toBe(report.image.manifestDigest.slice(7));
    expect(statement.predicate.verificationResult).toBe('PASSED');
    // The image ships the same default policy as this checkout.
    expect(statement.predicate.policy.digest.sha256).toBe(createHash('sha256').update(readFileSync(join(PROJECT_ROOT, 'policies/default.yaml'))).digest('hex'));
    await expect(s.attestation(asSecret(new FakeSecret('not a key')))).rejects.toThrow(/^attestation: .*key/);
  }, EXEC_TIMEOUT);

  it('scan(tarball) detects a docker-archive too', async () => {
    const s = await offlineDb().scan(undefined, undefined, dbFile(f.blockDocker));
    expect(await s.verdict()).toBe('blocked');
  }, EXEC_TIMEOUT);

  it('policy files, a policy directory, VEX and the severity filter reach the CLI', async () => {
    const db = offlineDb();
    const byFile = await db.withPolicy(asFile(new FakeFile({ contents: WARN_ALL }))).scan(undefined, undefined, dbFile(f.blockOci));
    expect(await byFile.decision()).toMatch(/^pass: 0 block, 2 warn/);

    const dir = new FakeDirectory(fake, undefined, new Map([['10-warn.yaml', WARN_ALL], ['README.md', '# not a policy']]));
    const byDir = await db.withPolicyDir(asDirectory(dir)).scan(undefined, undefined, dbFile(f.blockOci));
    const applied = JSON.parse(await text(byDir.report('json'))).decision.policies as string[];
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatch(/policies-0\/10-warn\.yaml$/);
    expect(await byDir.verdict()).toBe('pass');

    const medium = await db.withFilter('MEDIUM').scan(undefined, undefined, dbFile(f.blockOci));
    expect(JSON.parse(await text(medium.report('json'))).findings.map((x: { id: string }) => x.id)).toEqual([MEDIUM_ID]);
    expect(await medium.verdict()).toBe('pass');
    await expect(db.withFilter('SEVERE').scan(undefined, undefined, dbFile(f.blockOci))).rejects.toThrow(/^scan: .*unknown severity "SEVERE"/);

    const first = JSON.parse(await text((await db.scan(undefined, undefined, dbFile(f.blockOci))).report('json')));
    const purl = first.findings.find((x: { id: string }) => x.id === CRITICAL_ID).package.purl as string;
    const vex = {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.com/vex/1',
      author: 'test',
      timestamp: '2024-05-01T00:00:00Z',
      version: 1,
      statements: [{ vulnerability: { name: CRITICAL_ID }, products: [{ '@id': purl }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' }],
    };
    const vexed = await db.withVex(asFile(new FakeFile({ contents: JSON.stringify(vex) }))).scan(undefined, undefined, dbFile(f.blockOci));
    expect(await vexed.decision()).toMatch(/^pass: 0 block, 1 warn, 1 ignore/);
  }, EXEC_TIMEOUT);

  it('input errors: none or two images, a corrupt tarball, an empty cache volume offline', async () => {
    await expect(mod.scan()).rejects.toThrow(/exactly one of --container, --address or --tarball \(got 0\)/);
    await expect(mod.scan(asContainer(fake.containerWithTarball(f.blockOci)), 'example.com/app:1')).rejects.toThrow(/got 2/);
    await expect(offlineDb().scan(undefined, undefined, dbFile(f.corrupt))).rejects.toThrow(/^scan: .*not a tar archive/);
    const empty = fake.cacheVolume('empty');
    await expect(mod.withDb(asVolume(empty), undefined, '', true).scan(undefined, undefined, dbFile(f.passOci))).rejects.toThrow(/no vulnerability database \(offline\)/);
    // An empty volume is stamped with a fresh value: such a scan is never served from the cache.
    expect(scanExec().docker.find((a) => a.startsWith('PORTCULLIS_DB_STAMP='))).toMatch(/^PORTCULLIS_DB_STAMP=none-/);
  }, EXEC_TIMEOUT);

  it('registry credentials are a Secret: the password reaches the CLI by env name, never in an argv', async () => {
    const p = mod.withRegistryAuth('ci-bot', asSecret(new FakeSecret('s3cr3t-pw'))).withDb(undefined, dbFile(f.db), '', true, true);
    await expect(p.scan(undefined, '127.0.0.1:1/app:1')).rejects.toThrow(/^scan: /);
    const r = scanExec();
    expect(r.args).toEqual(expect.arrayContaining(['--username', 'ci-bot']));
    expect(r.docker).toEqual(expect.arrayContaining(['--env', 'PORTCULLIS_REGISTRY_PASSWORD']));
    expect(r.docker.join(' ')).not.toContain('s3cr3t-pw');
  }, EXEC_TIMEOUT);

  it('sbom(tarball): the CycloneDX inventory from the image', async () => {
    const bom = JSON.parse(await text(mod.sbom(undefined, undefined, dbFile(f.blockOci))));
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.components.map((c: { name: string }) => c.name)).toContain('libssl3');
    expect(() => mod.sbom(undefined, undefined, dbFile(f.blockOci), 'xml')).toThrow(/not cyclonedx, spdx or json/);
  }, EXEC_TIMEOUT);

  it('container(): the checkout built from its Containerfile, or the image given to the module', () => {
    const built = mod.container() as unknown as FakeContainer;
    expect(built.steps).toEqual([{ op: 'build', dockerfile: 'Containerfile' }, { op: 'from', address: PORTCULLIS_IMAGE_TAG }]);
    const pinned = fake.container().from('registry.example.com/portcullis@sha256:' + 'a'.repeat(64));
    expect(new Portcullis(asContainer(pinned)).container()).toBe(pinned);
  }, EXEC_TIMEOUT);

  it('dbUpdate fills the default volume through the CLI in the image (from a local OSV source); scans then use it and re-run only when it changed', async () => {
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
      const update = () => mod.dbUpdate(['Debian:12'], [`http://127.0.0.1:${port}/{ecosystem}/all.zip`], false);
      const out = await update();
      expect(paths.length).toBeGreaterThan(0);
      expect(out).toMatch(/Debian/);
      expect(fake.ran.slice(-2).map((r) => r.args.slice(0, 3).join(' '))).toEqual(['portcullis db update', 'portcullis db status']);
      const vol = fake.volumes.get(DB_CACHE_KEY)!;
      expect(statSync(join(vol.dir, 'db.sqlite')).uid).toBe(UID);

      // Updated without enrichment it holds no KEV data, so the default gate (which reads kev)
      // fails closed rather than pass.
      await expect(mod.scan(undefined, undefined, dbFile(f.blockOci))).rejects.toThrow(/^scan: .*block-kev .* holds no KEV .*db update --enrichment/);
      const severityOnly = asFile(new FakeFile({ contents: 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: severity-only}\nspec:\n  rules:\n    - {id: block-critical, action: block, when: {severity: CRITICAL}}\n' }));
      const gated = mod.withPolicy(severityOnly).withDb(undefined, undefined, '', false, true);
      expect(await (await gated.scan(undefined, undefined, dbFile(f.blockOci))).verdict()).toBe('blocked');
      const stamp1 = scanExec().docker.find((a) => a.startsWith('PORTCULLIS_DB_STAMP='));
      await gated.scan(undefined, undefined, dbFile(f.blockOci));
      expect(scanExec().docker.find((a) => a.startsWith('PORTCULLIS_DB_STAMP='))).toBe(stamp1); // same inputs: the engine's cache hit
      await update();
      await gated.scan(undefined, undefined, dbFile(f.blockOci));
      expect(scanExec().docker.find((a) => a.startsWith('PORTCULLIS_DB_STAMP='))).not.toBe(stamp1); // a new DB: a new input
      expect(existsSync(join(vol.dir, 'db.sqlite'))).toBe(true);
      expect(readdirSync(join(work, 'volumes'))).toContain(DB_CACHE_KEY);
      expect(OUT_DIR).toBe('/run/portcullis/out');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, EXEC_TIMEOUT);
});

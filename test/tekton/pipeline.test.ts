// The build-scan-push Pipeline run locally by a minimal controller (test/tekton/tekton.ts): the
// build task's real buildah script builds a FROM-scratch Containerfile (private storage); scan
// runs the real Task steps on this host (containers.test.ts runs them in the portcullis image);
// push runs its real skopeo script against a real local registry.
import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_DEBS, buildPipelineFixture, PASS_DEBS, privateStorageConf, writeBuildContext, type Deb, type PipelineFixture } from './fixture.js';
import { loadTektonDocs, runPipeline, type TaskSpec } from './tekton.js';

const docs = loadTektonDocs();
const pipeline = docs.find((d) => d.kind === 'Pipeline')!;
const tasks = new Map<string, TaskSpec>(docs.filter((d) => d.kind === 'Task').map((d) => [d.metadata.name, d.spec]));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('portcullis-build-scan-push, run locally', () => {
  let f: PipelineFixture;
  let registry: ChildProcess;
  let host: string;
  let storageConf: string;

  beforeAll(async () => {
    f = await buildPipelineFixture(mkdtempSync(join(tmpdir(), 'tekton-pipe-')));
    storageConf = privateStorageConf(join(f.dir, 'buildah'));
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    const cfg = join(f.dir, 'registry.yml');
    writeFileSync(cfg, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(f.dir, 'registry-data')}\nhttp:\n  addr: ${host}\nlog:\n  level: error\n`);
    registry = spawn('docker-registry', ['serve', cfg], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`http://${host}/v2/`).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(() => {
    if (registry?.pid) process.kill(registry.pid);
  });

  async function run(debs: Deb[], tag: string, extra: Record<string, string> = {}) {
    const ws = { source: writeBuildContext(mkdtempSync(join(f.dir, 'src-')), debs), build: mkdtempSync(join(f.dir, 'build-')), reports: mkdtempSync(join(f.dir, 'reports-')), db: mkdtempSync(join(f.dir, 'db-')), ...extra };
    copyFileSync(f.db, join(ws.db, 'db.sqlite'));
    const result = await runPipeline(pipeline, tasks, {
      params: { IMAGE_URL: `${host}/team/app:${tag}`, TLS_VERIFY: 'false' }, // the local registry speaks plain HTTP
      workspaces: ws,
      pathDirs: [f.binDir],
      env: { CONTAINERS_STORAGE_CONF: storageConf },
    });
    return { result, ws };
  }

  it('a passing image is pushed; the push task reports IMAGE_URL and the real IMAGE_DIGEST', async () => {
    const { result } = await run(PASS_DEBS, 'pass');
    expect(result.status, JSON.stringify(result.runs.push?.steps ?? result.runs.scan?.steps)).toEqual({ build: 'Succeeded', scan: 'Succeeded', push: 'Succeeded', attest: 'Succeeded', 'publish-reports': 'Succeeded' });
    expect(result.succeeded).toBe(true);
    const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${host}/team/app:pass`], { encoding: 'utf8' }));
    expect(result.results).toEqual({ IMAGE_URL: `${host}/team/app:pass`, IMAGE_DIGEST: inspected.Digest, DECISION: 'pass', ATTESTATION_DIGEST: '' });
    expect(result.results.IMAGE_DIGEST).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.runs['publish-reports'].steps[0].stdout).toMatch(/scan task: Succeeded/);
  });

  it('with a signing key: the image and its signed verdict are pushed together, and portcullis verify accepts it', async () => {
    const keyWs = mkdtempSync(join(f.dir, 'key-'));
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(join(keyWs, 'key.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const pub = join(keyWs, 'pub.pem');
    writeFileSync(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }));
    const { result } = await run(PASS_DEBS, 'signed', { 'signing-key': keyWs });
    expect(result.status, JSON.stringify(result.runs.attest?.steps ?? result.runs.scan?.steps)).toEqual({ build: 'Succeeded', scan: 'Succeeded', push: 'Succeeded', attest: 'Succeeded', 'publish-reports': 'Succeeded' });
    expect(result.results.ATTESTATION_DIGEST).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The referrers tag of the pushed digest lists exactly that attestation.
    const tag = await fetch(`http://${host}/v2/team/app/manifests/${result.results.IMAGE_DIGEST!.replace(':', '-')}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
    const index = (await tag.json()) as { manifests: { digest: string }[] };
    expect(index.manifests.map((m) => m.digest)).toEqual([result.results.ATTESTATION_DIGEST]);
    const verify = execFileSync(join(f.binDir, 'portcullis'), ['verify', `${host}/team/app:signed`, '--key', pub, '--max-age', '1h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(verify).toMatch(new RegExp(`^portcullis: VERIFIED ${result.results.IMAGE_DIGEST}: PASSED`));
  });

  it('a blocked image is not pushed; finally still publishes the reports', async () => {
    const { result } = await run(BLOCK_DEBS, 'blocked');
    expect(result.status).toEqual({ build: 'Succeeded', scan: 'Failed', push: 'None', attest: 'None', 'publish-reports': 'Succeeded' });
    expect(result.succeeded).toBe(false);
    expect(result.runs.scan.results.BLOCKED).toBe('true');
    expect(result.runs['publish-reports'].steps[0].stdout).toMatch(/scan task: Failed[\s\S]*report\.json/);
    const res = await fetch(`http://${host}/v2/team/app/tags/list`);
    expect([200, 404]).toContain(res.status); // 404: the repository was never pushed to
    const tags = res.status === 200 ? ((await res.json()) as { tags?: string[] }).tags ?? [] : [];
    expect(tags).not.toContain('blocked');
  });
});

// The Tasks' steps in REAL containers: the portcullis image built from this checkout
// (test/fixtures/portcullis-image.ts), loaded into a private dockerd, each step run under Tekton's
// step contract by test/tekton/container-runner.ts (workspaces at /workspace/NAME, /tekton/results,
// the steps' exit codes, array params expanded, the stepTemplate's security context applied:
// the image's numeric USER, a read-only root, all capabilities dropped, no privilege escalation).
// Then the Pipeline: buildah really builds the image (its task's script, on this host: no buildah
// image can be had here), portcullis scans it in its own image, skopeo pushes it to a real
// docker-registry.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEKTON_RESULTS_BUDGET } from '../../src/report/tekton-results.js';
import { DOCKER_CLI, PORTCULLIS_IMAGE_TAG, portcullisImageArchive } from '../fixtures/portcullis-image.js';
import { hasCommand, startDockerd, type Daemon } from '../stores/daemons.js';
import { runTaskInContainers, type ContainerEngine } from './container-runner.js';
import { BLOCK_DEBS, buildPipelineFixture, taskWorkspaces, CRITICAL_ID, PASS_DEBS, privateStorageConf, writeBuildContext, type PipelineFixture } from './fixture.js';
import type { ParamValue } from './substitute.js';
import { loadTektonDocs, runPipeline, runTask, type TaskSpec } from './tekton.js';

const docs = loadTektonDocs();
const scanTask = docs.find((d) => d.metadata.name === 'portcullis-scan')!.spec as TaskSpec;
const pipeline = docs.find((d) => d.kind === 'Pipeline')!;
const tasks = new Map<string, TaskSpec>(docs.filter((d) => d.kind === 'Task').map((d) => [d.metadata.name, d.spec]));
const HAVE_DOCKERD = hasCommand('dockerd');
const IMAGE_UID = 65532;
/** Each step is one container start; under vfs on a busy machine that is about a minute. */
const STEP_TIMEOUT = 20 * 60_000;

describe.skipIf(!HAVE_DOCKERD)('portcullis-scan Task in the real portcullis image (private dockerd)', () => {
  let f: PipelineFixture;
  let daemon: Daemon;
  let engine: ContainerEngine;
  let imageWs: string;
  let sourceWs: string;
  let dbWs: string;

  beforeAll(async () => {
    const archive = await portcullisImageArchive();
    f = await buildPipelineFixture(mkdtempSync(join(tmpdir(), 'tekton-ctr-')));
    // overlay2: vfs copies the whole image (~370 MB) for every container, and these run dozens.
    daemon = await startDockerd({ storageDriver: 'overlay2' });
    engine = { cli: DOCKER_CLI, env: daemon.env };
    execFileSync(DOCKER_CLI, ['load', '-q', '-i', archive], { env: { ...process.env, ...daemon.env } });
    ({ imageWs, sourceWs, dbWs } = taskWorkspaces(f, [[f.passOci, 'pass.tar'], [f.blockOci, 'block.tar'], [f.corrupt, 'corrupt.tar']]));
    // As the db-update Task leaves it: written by the image's user.
    chownSync(join(dbWs, 'db.sqlite'), IMAGE_UID, IMAGE_UID);
  }, 60 * 60_000);
  afterAll(async () => {
    await daemon?.stop();
  });

  const run = async (params: Record<string, ParamValue>, workspaces: Record<string, string> = {}) => {
    const reports = mkdtempSync(join(f.dir, 'reports-'));
    const r = await runTaskInContainers(engine, scanTask, { params: { PORTCULLIS_IMAGE: PORTCULLIS_IMAGE_TAG, ...params }, workspaces: { image: imageWs, db: dbWs, reports, ...workspaces } });
    return { ...r, reports, codes: Object.fromEntries(r.steps.map((s) => [s.name, s.code])) };
  };

  it('a passing image: every step in the image as its USER 65532, read-only root, caps dropped; results from the CLI', async () => {
    const r = await run({ IMAGE_TARBALL: 'pass.tar' });
    expect(r.codes, JSON.stringify(r.steps.map((s) => [s.name, s.stderr]))).toEqual({ scan: 0, gate: 0, attest: 0 });
    const report = join(r.reports, 'report.json');
    expect(r.results).toEqual({
      DECISION: 'pass', BLOCKED: 'false', CRITICAL: '0', HIGH: '0', MEDIUM: '1', LOW: '0', UNKNOWN: '0',
      COVERAGE: 'complete: covered Debian:12',
      REPORT: '/workspace/reports/report.json', // the path inside the pod
      REPORT_DIGEST: `sha256:${createHash('sha256').update(readFileSync(report)).digest('hex')}`,
      ERROR: '', ATTESTATION_DIGEST: '',
    });
    expect(r.resultsBytes).toBeLessThanOrEqual(TEKTON_RESULTS_BUDGET);
    // Written by the image's user, not root: no uid was forced.
    expect(statSync(report).uid).toBe(IMAGE_UID);
    for (const name of ['report.sarif', 'report.md']) expect(existsSync(join(r.reports, name)), name).toBe(true);
    for (const s of r.steps) {
      expect(s.argv, s.name).toEqual(expect.arrayContaining(['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges']));
      expect(s.argv).not.toContain('--user');
    }
    // The array param FORMATS reached the CLI as separate arguments.
    expect(r.steps[0]!.argv.slice(-3)).toEqual(['--formats', 'sarif', 'markdown']);
  }, STEP_TIMEOUT);

  it("a blocking image: the scan step exits 1, the gate step fails the Task with that code, reports stay", async () => {
    const r = await run({ IMAGE_TARBALL: 'block.tar' });
    expect(r.codes).toEqual({ scan: 1, gate: 1 });
    expect(r.succeeded).toBe(false);
    expect(r.results).toMatchObject({ DECISION: 'blocked', BLOCKED: 'true', CRITICAL: '1', ERROR: '' });
    expect(JSON.parse(readFileSync(join(r.reports, 'report.json'), 'utf8')).findings.map((x: { id: string }) => x.id)).toContain(CRITICAL_ID);
    expect(r.steps[1]!.stdout).toMatch(/the scan step exited 1 \(DECISION=blocked\)/);
  }, STEP_TIMEOUT);

  it('a corrupt archive: exit 2 through the gate step, DECISION=error with the one-line ERROR', async () => {
    const r = await run({ IMAGE_TARBALL: 'corrupt.tar' });
    expect(r.codes).toEqual({ scan: 2, gate: 2 });
    expect(r.results).toMatchObject({ DECISION: 'error', BLOCKED: 'true', REPORT: '' });
    expect(r.results.ERROR).toMatch(/^\/workspace\/image\/corrupt\.tar: not a tar archive/);
  }, STEP_TIMEOUT);

  it('POLICY (array) from the read-only source workspace', async () => {
    const r = await run({ IMAGE_TARBALL: 'block.tar', POLICY: ['policies/warn-all.yaml'] }, { source: sourceWs });
    expect(r.codes, JSON.stringify(r.steps.map((s) => s.stderr))).toEqual({ scan: 0, gate: 0, attest: 0 });
    expect(r.results.DECISION).toBe('pass');
  }, STEP_TIMEOUT);

  it('the contract is enforced, not assumed: the root is read-only, scratch volumes are writable, runAsNonRoot is checked', async () => {
    const probe: TaskSpec = {
      params: [{ name: 'PORTCULLIS_IMAGE', type: 'string' }],
      volumes: scanTask.volumes,
      stepTemplate: scanTask.stepTemplate,
      results: [{ name: 'OUT' }],
      steps: [{ name: 'probe', image: '$(params.PORTCULLIS_IMAGE)', script: '#!/bin/sh\nid -u\ntouch /opt/probe 2>/dev/null && echo root-writable || echo root-read-only\ntouch /tmp/x /var/cache/portcullis/x && echo scratch-writable\nprintf ok > $(results.OUT.path)\n' }],
    };
    const r = await runTaskInContainers(engine, probe, { params: { PORTCULLIS_IMAGE: PORTCULLIS_IMAGE_TAG } });
    expect(r.steps[0]!.stdout.split('\n').filter(Boolean)).toEqual([String(IMAGE_UID), 'root-read-only', 'scratch-writable']);
    expect(r.results).toEqual({ OUT: 'ok' });
    const root: TaskSpec = { ...probe, stepTemplate: { securityContext: { runAsNonRoot: true, runAsUser: 0 } } };
    await expect(runTaskInContainers(engine, root, { params: { PORTCULLIS_IMAGE: PORTCULLIS_IMAGE_TAG } })).rejects.toThrow(/runAsNonRoot with runAsUser 0/);
  }, STEP_TIMEOUT);

  describe.skipIf(!hasCommand('buildah') || !hasCommand('skopeo') || !hasCommand('docker-registry'))('portcullis-build-scan-push: buildah builds, the image scans, skopeo pushes to a real registry', () => {
    let registry: ChildProcess;
    let host: string;
    let storageConf: string;

    beforeAll(async () => {
      const port = await new Promise<number>((resolve) => {
        const s = createServer();
        s.listen(0, '127.0.0.1', () => {
          const { port: p } = s.address() as { port: number };
          s.close(() => resolve(p));
        });
      });
      host = `127.0.0.1:${port}`;
      const cfg = join(f.dir, 'registry.yml');
      writeFileSync(cfg, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(f.dir, 'registry-data')}\nhttp:\n  addr: ${host}\nlog:\n  level: error\n`);
      registry = spawn('docker-registry', ['serve', cfg], { stdio: 'ignore' });
      for (let i = 0; i < 100 && !(await fetch(`http://${host}/v2/`).then((x) => x.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
      storageConf = privateStorageConf(mkdtempSync(join(f.dir, 'buildah-')));
    });
    afterAll(() => {
      if (registry?.pid) process.kill(registry.pid);
    });

    const source = (debs: typeof PASS_DEBS) => writeBuildContext(mkdtempSync(join(f.dir, 'src-')), debs);

    async function runIt(debs: typeof PASS_DEBS, tag: string) {
      const ws = { source: source(debs), build: mkdtempSync(join(f.dir, 'build-')), reports: mkdtempSync(join(f.dir, 'reports-')), db: mkdtempSync(join(f.dir, 'db-')) };
      copyFileSync(f.db, join(ws.db, 'db.sqlite'));
      chownSync(join(ws.db, 'db.sqlite'), IMAGE_UID, IMAGE_UID);
      const hostEnv = { CONTAINERS_STORAGE_CONF: storageConf };
      return runPipeline(pipeline, tasks, {
        params: { IMAGE_URL: `${host}/team/app:${tag}`, TLS_VERIFY: 'false', PORTCULLIS_IMAGE: PORTCULLIS_IMAGE_TAG },
        workspaces: ws,
        // buildah and skopeo run their tasks' real scripts on this host; every portcullis step runs in its image.
        runTask: (spec, input, name) => (name === 'build' || name === 'push' ? runTask(spec, { ...input, env: { ...input.env, ...hostEnv } }) : runTaskInContainers(engine, spec, input)),
      });
    }

    it('a passing build is scanned in the image and pushed; IMAGE_DIGEST is what the registry serves', async () => {
      const result = await runIt(PASS_DEBS, 'pass');
      expect(result.status, JSON.stringify(Object.fromEntries(Object.entries(result.runs).map(([k, v]) => [k, v.steps.map((s) => s.stderr.slice(-400))])))).toEqual({ build: 'Succeeded', scan: 'Succeeded', push: 'Succeeded', attest: 'Succeeded', 'publish-reports': 'Succeeded' });
      const inspected = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${host}/team/app:pass`], { encoding: 'utf8' }));
      expect(result.results).toEqual({ IMAGE_URL: `${host}/team/app:pass`, IMAGE_DIGEST: inspected.Digest, DECISION: 'pass', ATTESTATION_DIGEST: '' });
      // The scan read what buildah built: its packages are the Containerfile's.
      expect(result.runs.scan!.results.COVERAGE).toBe('complete: covered Debian:12');
      expect(result.runs['publish-reports']!.steps[0]!.stdout).toMatch(/scan task: Succeeded/);
    }, STEP_TIMEOUT);

    it('a blocked build is never pushed; finally still publishes the reports', async () => {
      const result = await runIt(BLOCK_DEBS, 'blocked');
      expect(result.status).toEqual({ build: 'Succeeded', scan: 'Failed', push: 'None', attest: 'None', 'publish-reports': 'Succeeded' });
      expect(result.runs.scan!.results).toMatchObject({ DECISION: 'blocked', BLOCKED: 'true', CRITICAL: '1' });
      const res = await fetch(`http://${host}/v2/team/app/tags/list`);
      const tags = res.status === 200 ? ((await res.json()) as { tags?: string[] }).tags ?? [] : [];
      expect(tags).not.toContain('blocked');
    }, STEP_TIMEOUT);
  });
});

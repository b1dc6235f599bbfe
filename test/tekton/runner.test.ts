// The Tasks' scripts run locally the way a cluster runs them (variables substituted as text, each
// script executed by its shebang, onError honoured), with `portcullis` on PATH running this
// checkout's CLI, against real image archives and a real DB.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOciLayout, toOciArchive } from '../image/build-layout.js';
import { buildZip } from '../vulndb/zipfix.js';
import { buildPipelineFixture, taskWorkspaces, CRITICAL_ID, OS_RELEASE, osvRecords, type PipelineFixture } from './fixture.js';
import { TEKTON_RESULTS_BUDGET } from '../../src/report/tekton-results.js';
import type { ParamValue } from './substitute.js';
import { loadTektonDocs, runTask, type TaskRun, type TaskSpec } from './tekton.js';

const docs = loadTektonDocs();
const scanTask = docs.find((d) => d.metadata.name === 'portcullis-scan')!.spec as TaskSpec;
const dbTask = docs.find((d) => d.metadata.name === 'portcullis-db-update')!.spec as TaskSpec;

describe('portcullis-scan Task, run locally', () => {
  let f: PipelineFixture;
  let imageWs: string;
  let sourceWs: string;
  let dbWs: string;

  beforeAll(async () => {
    f = await buildPipelineFixture(mkdtempSync(join(tmpdir(), 'tekton-fx-')));
    ({ imageWs, sourceWs, dbWs } = taskWorkspaces(f, [[f.passOci, 'pass.tar'], [f.blockOci, 'block.tar'], [f.blockDocker, 'block-docker.tar'], [f.corrupt, 'corrupt.tar']]));
  });

  function run(params: Record<string, ParamValue>, workspaces: Record<string, string> = {}): Promise<TaskRun & { reports: string }> {
    const reports = mkdtempSync(join(f.dir, 'reports-'));
    return runTask(scanTask, { params, workspaces: { image: imageWs, db: dbWs, reports, ...workspaces }, pathDirs: [f.binDir] }).then((r) => ({ ...r, reports }));
  }
  const codes = (r: TaskRun) => Object.fromEntries(r.steps.map((s) => [s.name, s.code]));
  const digest = (path: string) => `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;

  it('a passing image: DECISION pass, every result from the CLI, reports written, the Task succeeds', async () => {
    const r = await run({ IMAGE_TARBALL: 'pass.tar' });
    expect(codes(r), JSON.stringify(r.steps)).toEqual({ scan: 0, gate: 0, attest: 0 });
    expect(r.succeeded).toBe(true);
    const report = join(r.reports, 'report.json');
    expect(r.results).toEqual({
      DECISION: 'pass', BLOCKED: 'false', CRITICAL: '0', HIGH: '0', MEDIUM: '1', LOW: '0', UNKNOWN: '0',
      COVERAGE: 'complete: covered Debian:12', REPORT: report, REPORT_DIGEST: digest(report), ERROR: '', ATTESTATION_DIGEST: '',
    });
    expect(r.resultsBytes).toBeLessThanOrEqual(TEKTON_RESULTS_BUDGET);
    for (const name of ['report.json', 'report.sarif', 'report.md']) expect(existsSync(join(r.reports, name)), name).toBe(true);
    expect(JSON.parse(readFileSync(join(r.reports, 'report.sarif'), 'utf8')).version).toBe('2.1.0');
    expect(r.steps[1].stdout).toMatch(/the scan step exited 0 \(DECISION=pass\)/);
  });

  it('a blocking image (CRITICAL): reports still written, BLOCKED=true, the gate step exits 1 with the scan step\'s code', async () => {
    const r = await run({ IMAGE_TARBALL: 'block.tar', FORMATS: ['sarif', 'markdown', 'cyclonedx', 'junit'] });
    expect(codes(r)).toEqual({ scan: 1, gate: 1 });
    expect(r.succeeded).toBe(false);
    expect(r.results).toMatchObject({ DECISION: 'blocked', BLOCKED: 'true', CRITICAL: '1', HIGH: '0', MEDIUM: '1', REPORT: join(r.reports, 'report.json'), ERROR: '' });
    expect(r.results.ATTESTATION_DIGEST).toBeUndefined(); // the attest step never ran
    const report = JSON.parse(readFileSync(join(r.reports, 'report.json'), 'utf8'));
    expect(report.decision.blocked).toBe(true);
    expect(report.findings.map((x: { id: string }) => x.id)).toContain(CRITICAL_ID);
    for (const name of ['report.sarif', 'report.md', 'report.cdx.json', 'report.xml']) expect(existsSync(join(r.reports, name)), name).toBe(true);
  });

  it('a docker-archive in the image workspace is scanned too', async () => {
    const r = await run({ IMAGE_TARBALL: 'block-docker.tar' });
    expect(r.results.BLOCKED).toBe('true');
    expect(codes(r).gate).toBe(1);
  });

  it('a corrupt tarball: the CLI writes DECISION=error and the one-line ERROR, the Task fails with 2', async () => {
    const r = await run({ IMAGE_TARBALL: 'corrupt.tar' });
    expect(codes(r)).toEqual({ scan: 2, gate: 2 });
    expect(r.succeeded).toBe(false);
    expect(r.results).toMatchObject({ DECISION: 'error', BLOCKED: 'true', CRITICAL: 'n/a', HIGH: 'n/a', COVERAGE: 'n/a', REPORT: '', REPORT_DIGEST: '' });
    expect(r.results.ERROR).toMatch(/corrupt\.tar: not a tar archive/);
    expect(r.steps[0].stderr).toMatch(/corrupt\.tar: not a tar archive/);
    expect(existsSync(join(r.reports, 'report.json'))).toBe(false);
  });

  it('an OS package database that cannot be read: DECISION=incomplete, never a pass, COVERAGE names the gap, exit 2', async () => {
    const layout = join(f.dir, 'malformed-layout');
    await buildOciLayout(layout, {
      tag: 'v1',
      layers: [{ files: [{ path: 'etc/', type: 'directory' }, { path: 'etc/os-release', content: OS_RELEASE }, { path: 'var/lib/dpkg/', type: 'directory' }, { path: 'var/lib/dpkg/status', content: 'this is not a dpkg database\n' }] }],
    });
    toOciArchive(layout, 'v1', join(imageWs, 'malformed.tar'));
    const r = await run({ IMAGE_TARBALL: 'malformed.tar' });
    expect(codes(r), JSON.stringify(r.steps.map((s) => s.stderr))).toEqual({ scan: 2, gate: 2 });
    expect(r.results).toMatchObject({ DECISION: 'incomplete', BLOCKED: 'true', REPORT: join(r.reports, 'report.json'), ERROR: '' });
    expect(r.results.COVERAGE).toMatch(/^incomplete: OS package database \/var\/lib\/dpkg\/status \(dpkg\) was not read \(malformed/);
  });

  it('POLICY (an array) files from the source workspace and SEVERITY reach the CLI', async () => {
    const r = await run({ IMAGE_TARBALL: 'block.tar', POLICY: ['policies/warn-all.yaml'] }, { source: sourceWs });
    expect(r.results.DECISION, JSON.stringify(r.steps)).toBe('pass');
    expect(r.succeeded).toBe(true);
    const sev = await run({ IMAGE_TARBALL: 'block.tar', SEVERITY: 'MEDIUM' });
    expect(sev.results).toMatchObject({ DECISION: 'pass', CRITICAL: '0' });
  });

  it.skipIf(!existsSync('/usr/bin/skopeo'))('STORAGE_IMAGE: a containers-storage in the image workspace is scanned in place, no archive', async () => {
    const { execFileSync } = await import('node:child_process');
    const storageWs = mkdtempSync(join(f.dir, 'storage-ws-'));
    const root = join(storageWs, 'containers', 'storage');
    execFileSync('skopeo', ['copy', '-q', `oci-archive:${f.blockOci}`, `containers-storage:[vfs@${root}+${join(storageWs, 'run')}]localhost/app:1`]);
    const r = await run({ STORAGE_IMAGE: 'localhost/app:1' }, { image: storageWs });
    expect(codes(r), JSON.stringify(r.steps)).toEqual({ scan: 1, gate: 1 });
    expect(r.results.DECISION).toBe('blocked');
    const both = await run({ STORAGE_IMAGE: 'localhost/app:1', IMAGE_TARBALL: 'pass.tar' });
    expect(both.results.ERROR).toMatch(/expected one image argument or --sbom FILE \(got 2 arguments\)/);
  });

  it('input mistakes: the CLI says what is wrong in ERROR and the Task fails with 2', async () => {
    const cases: [Record<string, ParamValue>, Record<string, string>, RegExp][] = [
      [{}, {}, /expected one image argument or --sbom FILE \(got 0 arguments\)/],
      [{ IMAGE: 'example.com/app:1', IMAGE_TARBALL: 'pass.tar' }, {}, /got 2 arguments/],
      // Without the source workspace the policy path is not there (its path variable is empty).
      [{ IMAGE_TARBALL: 'block.tar', POLICY: ['policies/warn-all.yaml'] }, {}, /\/policies\/warn-all\.yaml/],
      [{ IMAGE_TARBALL: 'pass.tar', FORMATS: ['pdf'] }, {}, /unknown format "pdf"/],
      [{ IMAGE_TARBALL: 'missing.tar' }, {}, /missing\.tar/],
    ];
    for (const [params, ws, expected] of cases) {
      const r = await run(params, ws);
      expect(codes(r).gate, JSON.stringify(params)).toBe(2);
      expect(r.results.DECISION).toBe('error');
      expect(r.results.ERROR, JSON.stringify(params)).toMatch(expected);
    }
  });
});

describe('portcullis-db-update Task, run locally', () => {
  it('fills db.sqlite on the db workspace from DB_SOURCE and reports the time', async () => {
    const f = await buildPipelineFixture(mkdtempSync(join(tmpdir(), 'tekton-db-')));
    const zip = await buildZip(osvRecords());
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length });
      res.end(zip);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const db = mkdtempSync(join(f.dir, 'db-'));
      const seen: string[] = [];
      server.on('request', (req) => seen.push(req.url ?? ''));
      const r = await runTask(dbTask, {
        params: { ECOSYSTEMS: ['Debian:12'], DB_SOURCE: `http://127.0.0.1:${port}/osv/{ecosystem}/all.zip`, ENRICHMENT: 'false' },
        workspaces: { db },
        pathDirs: [f.binDir],
      });
      expect(r.succeeded, JSON.stringify(r.steps)).toBe(true);
      expect(seen).toEqual(['/osv/Debian/all.zip']); // the core fetches the main ecosystem's archive
      expect(existsSync(join(db, 'db.sqlite'))).toBe(true);
      expect(r.steps[0].stdout).toMatch(/Debian/);
      expect(r.results.UPDATED).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

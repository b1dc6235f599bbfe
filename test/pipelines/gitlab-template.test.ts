// templates/portcullis.yml, the GitLab CI/CD component: interpolated as GitLab does and its job's
// script run in bash the way a runner runs it (CI_* environment, project directory), with this
// checkout's CLI as `portcullis`, against real OCI image archives and a real DB.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { gitlabFactErrors } from '../report/gitlab-schema-facts.js';
import { buildPipelineFixture, npmOnlyDb, CRITICAL_ID, MEDIUM_ID, type PipelineFixture } from '../tekton/fixture.js';
import { interpolate, loadTemplate, runJob } from './gitlab-ci.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const TEMPLATE = join(PROJECT_ROOT, 'templates', 'portcullis.yml');
const REPORT = 'gl-container-scanning-report.json';
const SCHEMA_PATH = process.env.PORTCULLIS_GITLAB_SCHEMA;
const schemaErrors = SCHEMA_PATH && existsSync(SCHEMA_PATH)
  ? (() => {
      const v = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Json);
      return (doc: unknown) => (v(doc) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
    })()
  : undefined;
if (!schemaErrors) console.warn('[portcullis tests] PORTCULLIS_GITLAB_SCHEMA not set or absent: the job\'s report is checked against the schema facts only');

describe('the GitLab component template', () => {
  const t = loadTemplate(TEMPLATE);

  it('declares documented inputs, publishes the container-scanning report even when the gate fails', () => {
    for (const [name, spec] of Object.entries(t.inputs)) expect(spec.description, name).toBeTruthy();
    const job = interpolate(t).portcullis;
    expect(job.artifacts.reports.container_scanning).toBe(REPORT);
    expect(job.artifacts.paths).toContain(REPORT);
    expect(job.artifacts.when).toBe('always');
    expect(job.image).toEqual({ name: 'ghcr.io/portcullis/portcullis:0.1.0', entrypoint: [''] });
    expect(job.variables.PORTCULLIS_SCAN_IMAGE).toBe('$CI_REGISTRY_IMAGE/$CI_COMMIT_REF_SLUG:$CI_COMMIT_SHA');
  });

  it('interpolation refuses unknown inputs and values of the wrong type, as GitLab does', () => {
    expect(() => interpolate(t, { imgae: 'x' })).toThrow(/unknown input/);
    expect(() => interpolate(t, { allow_uncovered: 'yes' })).toThrow(/not a boolean/);
    expect(Object.keys(interpolate(t, { job_name: 'scan-app' }))).toEqual(['scan-app']);
  });
});

describe('the job, run as a runner runs it', () => {
  let f: PipelineFixture;
  let noDebianDb: string;
  const t = loadTemplate(TEMPLATE);

  beforeAll(async () => {
    f = await buildPipelineFixture(mkdtempSync(join(tmpdir(), 'gitlab-fx-')));
    // Vulnerability data without any Debian:12 record: the image's packages are not covered.
    noDebianDb = await npmOnlyDb(f);
  }, 240_000);

  /** A fresh project directory with the image archives and the cached DB a previous pipeline left. */
  async function job(inputs: Record<string, string | boolean>, opts: { db?: string; files?: Record<string, string> } = {}) {
    const project = mkdtempSync(join(f.dir, 'project-'));
    for (const [from, to] of [[f.passOci, 'pass.tar'], [f.blockOci, 'block.tar'], [f.corrupt, 'corrupt.tar']] as const) copyFileSync(from, join(project, to));
    mkdirSync(join(project, '.portcullis'));
    copyFileSync(opts.db ?? f.db, join(project, '.portcullis', 'db.sqlite'));
    for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(project, name), text);
    const ciEnv = {
      PATH: `${f.binDir}:${process.env.PATH}`,
      HOME: project,
      CI: 'true', GITLAB_CI: 'true', CI_PROJECT_DIR: project, CI_JOB_NAME: 'portcullis',
      CI_REGISTRY: 'registry.gitlab.example.com', CI_REGISTRY_IMAGE: 'registry.gitlab.example.com/team/app',
      CI_REGISTRY_USER: 'gitlab-ci-token', CI_REGISTRY_PASSWORD: 'job-token-secret',
      CI_COMMIT_REF_SLUG: 'main', CI_COMMIT_SHA: '0123456789abcdef0123456789abcdef01234567',
    };
    const run = await runJob(interpolate(t, inputs), 'portcullis', project, ciEnv);
    const path = join(project, REPORT);
    const report = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Json) : undefined;
    return { ...run, project, report };
  }

  function expectValid(report: Json | undefined) {
    expect(report).toBeDefined();
    expect(gitlabFactErrors(report)).toEqual([]);
    if (schemaErrors) expect(schemaErrors(report)).toEqual([]);
  }

  it('a passing image: exit 0, the report lists the MEDIUM finding, the scan a success', async () => {
    const r = await job({ image: 'pass.tar' });
    expect(r.code, r.log).toBe(0);
    expectValid(r.report);
    expect(r.report!.scan.status).toBe('success');
    expect(r.report!.vulnerabilities.map((v: Json) => [v.name, v.severity])).toEqual([[MEDIUM_ID, 'Medium']]);
    expect(r.report!.vulnerabilities[0].location.image).toMatch(/pass\.tar$/);
    for (const name of ['portcullis-report.json', 'portcullis-summary.md']) expect(existsSync(join(r.project, name)), name).toBe(true);
    expect(r.log).toContain(MEDIUM_ID); // the table in the job log
  }, 120_000);

  it('a blocking image: the job fails with 1, and the report is still there for GitLab', async () => {
    const r = await job({ image: 'block.tar' });
    expect(r.code, r.log).toBe(1);
    expectValid(r.report);
    const critical = r.report!.vulnerabilities.find((v: Json) => v.name === CRITICAL_ID);
    expect(critical).toMatchObject({ severity: 'Critical', solution: 'Upgrade libssl3 from 3.0.11-1~deb12u2 to 3.0.13-1~deb12u1 or later.' });
    expect(critical.location.dependency).toEqual({ package: { name: 'libssl3' }, version: '3.0.11-1~deb12u2' });
  }, 120_000);

  it('the policy input reaches the gate: a warn-only policy lets the same image pass', async () => {
    const warnAll = 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata:\n  name: warn-all\nspec:\n  rules:\n    - id: warn-all\n      action: warn\n      when: true\n';
    const r = await job({ image: 'block.tar', policy: 'warn-all.yaml' }, { files: { 'warn-all.yaml': warnAll } });
    expect(r.code, r.log).toBe(0);
    expectValid(r.report);
    expect(r.report!.vulnerabilities.map((v: Json) => v.name).sort()).toEqual([CRITICAL_ID, MEDIUM_ID].sort());
  }, 120_000);

  it('data that does not cover the image: the job fails with 2 and the report says the scan failed', async () => {
    // --offline: no first-run download of the missing ecosystem (this machine reaches no OSV host).
    const r = await job({ image: 'pass.tar', args: '--offline' }, { db: noDebianDb });
    expect(r.code, r.log).toBe(2);
    expectValid(r.report);
    expect(r.report!.scan.status).toBe('failure');
    expect(r.report!.scan.messages.some((m: Json) => m.level === 'fatal' && /^Debian:12 .*NO-DATA/.test(m.value))).toBe(true);
  }, 120_000);

  it('allow_uncovered accepts the gap: exit 0, the scan a success with the gap as a warning', async () => {
    const r = await job({ image: 'pass.tar', allow_uncovered: true, args: '--offline' }, { db: noDebianDb });
    expect(r.code, r.log).toBe(0);
    expectValid(r.report);
    expect(r.report!.scan.status).toBe('success');
    expect(r.report!.scan.messages.some((m: Json) => m.level === 'warn' && /Debian:12.*accepted/.test(m.value))).toBe(true);
  }, 120_000);

  it('a corrupt image: the job fails with 2 and no report is left to look like a result', async () => {
    const r = await job({ image: 'corrupt.tar' });
    expect(r.code, r.log).toBe(2);
    expect(r.report).toBeUndefined();
  }, 120_000);

  it('the project registry token is given only for images in the project registry', async () => {
    // A `portcullis` that records the registry credentials it was given, first on PATH.
    const spy = mkdtempSync(join(f.dir, 'spy-'));
    writeFileSync(join(spy, 'portcullis'), '#!/bin/sh\necho "user=${PORTCULLIS_REGISTRY_USERNAME:-} password=${PORTCULLIS_REGISTRY_PASSWORD:-}" > "$CI_PROJECT_DIR/creds.txt"\n');
    chmodSync(join(spy, 'portcullis'), 0o755);
    const project = mkdtempSync(join(f.dir, 'project-'));
    const env = (image: string) => ({
      PATH: `${spy}:${process.env.PATH}`, HOME: project, CI_PROJECT_DIR: project, CI_REGISTRY: 'registry.gitlab.example.com',
      CI_REGISTRY_USER: 'gitlab-ci-token', CI_REGISTRY_PASSWORD: 'job-token-secret', IMAGE: image,
    });
    const creds = async (image: string) => {
      const r = await runJob(interpolate(t, { image: '$IMAGE' }), 'portcullis', project, env(image));
      expect(r.code, r.log).toBe(0);
      return readFileSync(join(project, 'creds.txt'), 'utf8').trim();
    };
    expect(await creds('registry.gitlab.example.com/team/app:1')).toBe('user=gitlab-ci-token password=job-token-secret');
    expect(await creds('registry.gitlab.example.com.evil.example/team/app:1')).toBe('user= password=');
    expect(await creds('docker.io/library/debian:12')).toBe('user= password=');
  });
});

describe('docs/pipelines.md', () => {
  it('the GitLab example includes the component with inputs it declares, of their types', async () => {
    const { readFileSync: read } = await import('node:fs');
    const yaml = (await import('js-yaml')).default;
    const doc = read(join(PROJECT_ROOT, 'docs', 'pipelines.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## GitLab CI: `templates/portcullis.yml`'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const include = (yaml.load(block) as Json).include[0];
    expect(include.component).toMatch(/\/portcullis@/);
    const job = interpolate(loadTemplate(TEMPLATE), include.inputs).portcullis;
    expect(job.variables.PORTCULLIS_POLICY).toBe('.portcullis.yaml');
  });
});

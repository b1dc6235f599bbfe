// action.yml, run as the GitHub runner runs a composite action (github-action.ts): real OCI image
// archives and a real DB; the CLI is this checkout's build (dist/, `npm run build`) as the action
// would install it, or the `portcullis` input. Checks outputs, the step summary and the SARIF file.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatErrors, validateSarif } from '../helpers/schemas.js';
import { HAVE_SHARED, PROJECT_ROOT } from '../helpers/shared.js';
import { gitlabFactErrors } from '../report/gitlab-schema-facts.js';
import { buildPipelineFixture, npmOnlyDb, CRITICAL_ID, MEDIUM_ID, type PipelineFixture } from '../tekton/fixture.js';
import { loadAction, parseOutputFile, runAction } from './github-action.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const action = loadAction(join(PROJECT_ROOT, 'action.yml'));
const BUILT = existsSync(join(PROJECT_ROOT, 'dist', 'cli', 'main.js'));
if (!BUILT) console.warn('[portcullis tests] dist/ is absent (run `npm run build`): the action\'s own-checkout install path is not exercised');

describe('action.yml', () => {
  it('is a composite action with documented inputs and the outputs a workflow needs', () => {
    expect(action.runs.using).toBe('composite');
    for (const [name, spec] of Object.entries(action.inputs as Record<string, Json>)) expect(spec.description, name).toBeTruthy();
    expect(action.inputs.image.required).toBe(true);
    expect(Object.keys(action.outputs)).toEqual(expect.arrayContaining(['decision', 'exit-code', 'report', 'sarif', 'markdown', 'reports-dir']));
    // Inputs reach the scripts only through env (an expression inside `run` is open to injection).
    for (const step of action.runs.steps as Json[]) expect(step.run).not.toContain('${{');
  });

  it('the GITHUB_OUTPUT parser reads both forms', () => {
    expect(parseOutputFile('a=1\nb<<EOF\nx\ny\nEOF\nc=x=y\n')).toEqual({ a: '1', b: 'x\ny', c: 'x=y' });
  });
});

describe('the action, run as the runner runs it', () => {
  let f: PipelineFixture;
  let noDebianDb: string;

  beforeAll(async () => {
    f = await buildPipelineFixture(mkdtempSync(join(tmpdir(), 'gh-action-fx-')));
    noDebianDb = await npmOnlyDb(f);
  }, 240_000);

  async function run(inputs: Record<string, string>, opts: { db?: string; viaInput?: boolean } = {}) {
    const workspace = mkdtempSync(join(f.dir, 'ws-'));
    for (const [from, to] of [[f.passOci, 'pass.tar'], [f.blockOci, 'block.tar'], [f.corrupt, 'corrupt.tar']] as const) copyFileSync(from, join(workspace, to));
    copyFileSync(opts.db ?? f.db, join(workspace, 'db.sqlite'));
    const viaInput = opts.viaInput || !BUILT;
    const r = await runAction(action, {
      actionPath: PROJECT_ROOT,
      workspace,
      inputs: { db: 'db.sqlite', ...(viaInput ? { portcullis: join(f.binDir, 'portcullis') } : {}), ...inputs },
      env: { PATH: process.env.PATH!, HOME: workspace },
    });
    return { ...r, workspace };
  }

  function sarifOf(path: string): Json {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as Json;
    if (HAVE_SHARED) {
      const errors = validateSarif(doc);
      expect(errors, formatErrors(errors)).toEqual([]);
    }
    return doc;
  }

  it('a passing image: decision pass, the summary and a SARIF file ready for upload-sarif', async () => {
    const r = await run({ image: 'pass.tar' });
    expect(r.code, r.log).toBe(0);
    expect(r.outputs).toMatchObject({ decision: 'pass', 'exit-code': '0', 'reports-dir': join(r.workspace, 'portcullis-reports') });
    expect(r.outputs.report).toBe(join(r.workspace, 'portcullis-reports', 'portcullis-report.json'));
    expect(r.summary).toMatch(/^## portcullis: /);
    expect(r.summary).toContain('PASSED');
    expect(r.summary).toContain(MEDIUM_ID);
    const sarif = sarifOf(r.outputs.sarif!);
    expect(sarif.runs[0].results.map((x: Json) => x.ruleId)).toEqual([MEDIUM_ID]);
    expect(sarif.runs[0].properties.truncation).toBeUndefined();
  }, 120_000);

  it('a blocking image: the step fails with 1, decision blocked, the blocker in the summary and the SARIF', async () => {
    const r = await run({ image: 'block.tar' });
    expect(r.code, r.log).toBe(1);
    expect(r.failedStep).toBe('scan');
    expect(r.outputs.decision).toBe('blocked');
    expect(r.summary).toContain('BLOCKED');
    expect(r.summary).toContain(CRITICAL_ID);
    const results = sarifOf(r.outputs.sarif!).runs[0].results as Json[];
    expect(results.find((x) => x.ruleId === CRITICAL_ID)?.level).toBe('error');
  }, 120_000);

  it('fail-on-block false: the step succeeds, the decision still says blocked', async () => {
    const r = await run({ image: 'block.tar', 'fail-on-block': 'false' });
    expect(r.code, r.log).toBe(0);
    expect(r.outputs).toMatchObject({ decision: 'blocked', 'exit-code': '1' });
  }, 120_000);

  it('policy and formats inputs: a warn-only policy passes the image; extra reports are written', async () => {
    const workspaceFiles = 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata:\n  name: warn-all\nspec:\n  rules:\n    - id: warn-all\n      action: warn\n      when: true\n';
    const policy = join(f.dir, 'warn-all.yaml');
    writeFileSync(policy, workspaceFiles);
    const r = await run({ image: 'block.tar', policy, formats: 'cyclonedx gitlab' }, { viaInput: true });
    expect(r.code, r.log).toBe(0);
    expect(r.outputs.decision).toBe('pass');
    const dir = r.outputs['reports-dir']!;
    expect(JSON.parse(readFileSync(join(dir, 'portcullis-report.cyclonedx'), 'utf8')).bomFormat).toBe('CycloneDX');
    expect(gitlabFactErrors(JSON.parse(readFileSync(join(dir, 'portcullis-report.gitlab'), 'utf8')))).toEqual([]);
  }, 120_000);

  it('data that does not cover the image: decision incomplete, exit 2, the gap in the summary', async () => {
    const r = await run({ image: 'pass.tar', args: '--offline' }, { db: noDebianDb });
    expect(r.code, r.log).toBe(2);
    expect(r.outputs.decision).toBe('incomplete');
    expect(r.summary).toMatch(/INCOMPLETE/);
    expect(r.summary).toMatch(/Debian:12/);
    expect(existsSync(r.outputs.sarif!)).toBe(true);
  }, 120_000);

  it('a corrupt image: decision error, no SARIF output, an error in the summary', async () => {
    const r = await run({ image: 'corrupt.tar' });
    expect(r.code, r.log).toBe(2);
    expect(r.outputs.decision).toBe('error');
    expect(r.outputs.sarif).toBe('');
    expect(r.summary).toMatch(/\*\*ERROR\*\*: the scan did not finish \(exit 2\)/);
  }, 120_000);
});

describe('docs/pipelines.md', () => {
  it('the GitHub example passes inputs the action declares and reads outputs it sets', async () => {
    const yaml = (await import('js-yaml')).default;
    const doc = readFileSync(join(PROJECT_ROOT, 'docs', 'pipelines.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## GitHub Actions: `action.yml`'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const steps = (yaml.load(block) as Json).jobs.scan.steps as Json[];
    const ours = steps.find((s) => s.id === 'portcullis')!;
    for (const k of Object.keys(ours.with)) expect(Object.keys(action.inputs)).toContain(k);
    for (const m of block.matchAll(/steps\.portcullis\.outputs\.([a-z-]+)/g)) expect(Object.keys(action.outputs)).toContain(m[1]);
  });
});

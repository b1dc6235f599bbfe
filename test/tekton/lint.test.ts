// Every YAML under tekton/: the tekton.dev/v1 CRD schema (strict: unknown fields rejected, as
// `kubectl apply --validate=strict`), plus the rules Tekton checks in Go, plus project rules
// (non-root, resources, small results, Chains hints only on the push task).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import yaml from 'js-yaml';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { HAVE_SHARED, PROJECT_ROOT, shared } from '../helpers/shared.js';
import { TEKTON_RESULT_NAMES } from '../../src/report/tekton-results.js';
import { checkPipeline, checkTaskSpec, loadTektonDocs, references, type Doc, type TaskSpec } from './tekton.js';

const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (a: Ajv) => void;

/** additionalProperties: false wherever the schema lists properties and says nothing (structural schemas prune unknown fields; strict validation rejects them). */
function strictify(node: unknown, key = ''): void {
  if (Array.isArray(node)) node.forEach((n) => strictify(n));
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.properties && o.additionalProperties === undefined && key !== 'metadata') o.additionalProperties = false;
    for (const [k, v] of Object.entries(o)) strictify(v, k === 'properties' ? '' : k === 'metadata' ? 'metadata' : '');
  }
}

function validator(kind: 'task' | 'pipeline'): (doc: unknown) => string[] {
  const schema = JSON.parse(readFileSync(shared('schemas', 'tekton', `${kind}-v1.schema.json`), 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  strictify(schema);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const fn = ajv.compile(schema);
  return (doc) => (fn(doc) ? [] : (fn.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));
}

const docs = loadTektonDocs();
const tasks = new Map<string, TaskSpec>(docs.filter((d) => d.kind === 'Task').map((d) => [d.metadata.name, d.spec]));
const byFile = (f: string): Doc => docs.find((d) => d.file === f) as Doc;
const clean = (d: Doc) => Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'file'));
const clone = <T>(x: T): T => structuredClone(x);

describe('tekton/ files', () => {
  it('holds the two Tasks and the Pipeline, all tekton.dev/v1', () => {
    expect(docs.map((d) => `${d.file}:${d.kind}/${d.metadata.name}`).sort()).toEqual([
      'pipeline-build-scan-push.yaml:Pipeline/portcullis-build-scan-push',
      'task-db-update.yaml:Task/portcullis-db-update',
      'task-scan.yaml:Task/portcullis-scan',
    ]);
    for (const d of docs) expect(d.apiVersion).toBe('tekton.dev/v1');
  });

  describe.skipIf(!HAVE_SHARED)('CRD schema (shared/schemas/tekton)', () => {
    // Built on first use: a skipped block's body still runs at collection, without ../shared.
    let validators: Record<'Task' | 'Pipeline', (doc: unknown) => string[]> | undefined;
    const check = (kind: 'Task' | 'Pipeline', doc: unknown): string[] => {
      validators ??= { Task: validator('task'), Pipeline: validator('pipeline') };
      return validators[kind](doc);
    };
    for (const d of docs) {
      it(`${d.file} validates`, () => {
        expect(check(d.kind as 'Task' | 'Pipeline', clean(d))).toEqual([]);
      });
    }
    it('rejects a misspelt field and a wrong type (the check can fail)', () => {
      const bad = clone(clean(byFile('task-scan.yaml'))) as { spec: { steps: Record<string, unknown>[] } };
      bad.spec.steps[0].computeResource = bad.spec.steps[0].computeResources;
      expect(check('Task', bad).join('\n')).toMatch(/additional properties.*computeResource"/);
      const bad2 = clone(clean(byFile('task-scan.yaml'))) as { spec: { params: Record<string, unknown>[] } };
      bad2.spec.params[0].type = 42;
      expect(check('Task', bad2).length).toBeGreaterThan(0);
    });
  });

  it('Tasks pass the checks Tekton does in Go', () => {
    for (const d of docs.filter((x) => x.kind === 'Task')) expect(checkTaskSpec(d.spec, d.file)).toEqual([]);
  });

  it('the Pipeline references only what the Tasks and itself declare', () => {
    expect(checkPipeline(byFile('pipeline-build-scan-push.yaml'), tasks)).toEqual([]);
  });

  it('the Go-rule checks catch each kind of mistake (negative controls)', () => {
    const base = byFile('task-scan.yaml').spec;
    const cases: [string, (s: TaskSpec) => void, RegExp][] = [
      ['unnamed step', (s) => delete s.steps![1].name, /step 1 has no name/],
      ['duplicate step', (s) => (s.steps![1].name = 'scan'), /step name "scan" used twice/],
      ['script + command', (s) => (s.steps![0].command = ['sh']), /script and command/],
      ['array param in a script', (s) => (s.steps![0].script += '\necho $(params.POLICY[*])\n'), /array param outside args/],
      ['array param not isolated', (s) => (s.steps![0].args = ['--x=$(params.POLICY[*])']), /not an isolated array element/],
      ['array param used as a string', (s) => (s.steps![0].env![0].value = '$(params.FORMATS)'), /an array param is only used as \[\*\]/],
      ['[*] on a string param', (s) => (s.steps![0].args = ['$(params.IMAGE[*])']), /\[\*\] on a string param/],
      ['undeclared param', (s) => (s.steps![0].env![0].value = '$(params.NOPE)'), /\$\(params\.NOPE\) is not a declared param/],
      ['undeclared workspace', (s) => (s.steps![2].script += '\necho $(workspaces.nope.path)\n'), /workspaces\.nope\.path\) is not a declared workspace/],
      ['undeclared result', (s) => (s.steps![1].script += '\n# $(results.NOPE.path)\n'), /results\.NOPE\.path\) is not a declared result/],
      ['bad param name', (s) => (s.params![0].name = '1BAD'), /param name "1BAD"/],
      ['bad result name', (s) => (s.results![0].name = 'BAD-'), /result name "BAD-"/],
    ];
    for (const [label, mutate, expected] of cases) {
      const s = clone(base);
      mutate(s);
      expect(checkTaskSpec(s, 'x').join('\n'), label).toMatch(expected);
    }
    const p = byFile('pipeline-build-scan-push.yaml');
    const pcases: [string, (d: Doc) => void, RegExp][] = [
      ['unknown task param', (d) => d.spec.tasks![1].params!.push({ name: 'NOPE', value: 'x' }), /passes param NOPE/],
      ['string for an array param', (d) => (d.spec.tasks![1].params!.find((p) => p.name === 'POLICY')!.value = '$(params.IMAGE_URL)'), /param POLICY is an array in the task/],
      ['unknown result', (d) => (d.spec.tasks![2].when![0].input = '$(tasks.scan.results.IMAGE_DIGEST)'), /declares no result IMAGE_DIGEST/],
      ['required workspace unbound', (d) => (d.spec.tasks![1].workspaces = d.spec.tasks![1].workspaces!.filter((w) => w.name !== 'reports')), /required workspace reports not bound/],
      ['optional to required', (d) => (d.spec.tasks![1].workspaces!.find((w) => w.name === 'reports')!.workspace = 'db'), /optional pipeline workspace db bound to required/],
      ['undeclared pipeline param', (d) => (d.spec.tasks![1].params![1].value = '$(params.NOPE)'), /\$\(params\.NOPE\) is not a pipeline param/],
      ['status outside finally', (d) => (d.spec.tasks![2].params![0].value = '$(tasks.scan.status)'), /only available in finally/],
    ];
    for (const [label, mutate, expected] of pcases) {
      const d = clone(p);
      mutate(d);
      expect(checkPipeline(d, tasks).join('\n'), label).toMatch(expected);
    }
  });

  it('scan Task: params, workspaces and results as documented; no Chains hints on it', () => {
    const s = byFile('task-scan.yaml').spec;
    expect(s.params!.map((p) => p.name)).toEqual(['IMAGE', 'IMAGE_TARBALL', 'STORAGE_IMAGE', 'STORAGE_ROOT', 'STORAGE_DRIVER', 'POLICY', 'SEVERITY', 'DB_URL', 'FORMATS', 'PORTCULLIS_IMAGE', 'SIGNING_KEY_FILE']);
    expect(s.params!.every((p) => p.default !== undefined)).toBe(true);
    expect(Object.fromEntries(s.workspaces!.map((w) => [w.name, w.optional ?? false]))).toEqual({ source: true, image: true, reports: false, db: true, dockerconfig: true, 'signing-key': true });
    expect(Object.fromEntries(s.params!.filter((p) => p.type === 'array').map((p) => [p.name, p.default]))).toEqual({ POLICY: [], FORMATS: ['sarif', 'markdown'] });
    // The CLI writes these (TEKTON_RESULT_NAMES); the attest step writes ATTESTATION_DIGEST.
    expect(s.results!.map((r) => r.name)).toEqual([...TEKTON_RESULT_NAMES, 'ATTESTATION_DIGEST']);
    expect(s.results!.some((r) => /IMAGE_(URL|DIGEST)|ARTIFACT_/.test(r.name))).toBe(false);
    expect(s.steps!.map((x) => [x.name, x.onError ?? 'stopAndFail'])).toEqual([['scan', 'continue'], ['gate', 'stopAndFail'], ['attest', 'stopAndFail']]);
    // The exit status travels as the scan step's exit code, read back by the gate step.
    expect(s.steps![1].script).toContain('$(steps.step-scan.exitCode.path)');
    expect(s.steps![0].script).toContain('--results-dir');
    // No step re-derives the decision from report.json.
    for (const st of s.steps!) expect(st.script ?? '').not.toMatch(/report\.json|\/scan\.exit|JSON\.parse/);
    for (const st of s.steps!) expect(st.image).toBe('$(params.PORTCULLIS_IMAGE)');
    // Params reach scripts through env only (no shell injection through a param value).
    for (const st of s.steps!) expect(references(st.script ?? '').filter((r) => r.startsWith('params.'))).toEqual([]);
    const push = byFile('pipeline-build-scan-push.yaml').spec.tasks!.find((t) => t.name === 'push')!;
    expect(push.taskSpec!.results!.map((r) => r.name)).toEqual(['IMAGE_URL', 'IMAGE_DIGEST']);
    expect(push.when).toEqual([{ input: '$(tasks.scan.results.BLOCKED)', operator: 'in', values: ['false'] }]);
    expect(push.runAfter).toEqual(['scan']);
    // The verdict is attached to the digest the push task reports, only after a pass.
    const attest = byFile('pipeline-build-scan-push.yaml').spec.tasks!.find((t) => t.name === 'attest')!;
    expect(attest.runAfter).toEqual(['push']);
    expect(attest.when).toEqual(push.when);
  });

  it('portcullis steps run non-root without privilege escalation, with requests and limits', () => {
    const stepsOf = (s: TaskSpec) => (s.steps ?? []).map((st) => ({ ...st, securityContext: { ...(s.stepTemplate?.securityContext ?? {}), ...(st.securityContext ?? {}) } }));
    const all: { where: string; st: ReturnType<typeof stepsOf>[number] }[] = [];
    for (const d of docs) {
      if (d.kind === 'Task') for (const st of stepsOf(d.spec)) all.push({ where: `${d.file}/${st.name}`, st });
      else for (const t of [...(d.spec.tasks ?? []), ...(d.spec.finally ?? [])]) if (t.taskSpec) for (const st of stepsOf(t.taskSpec)) all.push({ where: `${d.file}/${t.name}/${st.name}`, st });
    }
    for (const { where, st } of all) {
      expect(st.computeResources?.requests, where).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(st.computeResources?.limits, where).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      if (where.endsWith('/build/build')) {
        expect(st.securityContext.privileged, 'buildah is the one privileged step').toBe(true);
        continue;
      }
      expect(st.securityContext, where).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      // The image's numeric USER runs: no uid is hard-coded.
      expect(st.securityContext.runAsUser, where).toBeUndefined();
    }
    expect(all.length).toBeGreaterThanOrEqual(7);
  });

  it('every Task carries the security context in its stepTemplate, not per step (buildah excepted)', () => {
    const specs: [string, TaskSpec][] = [];
    for (const d of docs) {
      if (d.kind === 'Task') specs.push([d.file, d.spec]);
      else for (const t of [...(d.spec.tasks ?? []), ...(d.spec.finally ?? [])]) if (t.taskSpec && t.name !== 'build') specs.push([`${d.file}/${t.name}`, t.taskSpec]);
    }
    for (const [where, s] of specs) {
      expect(s.stepTemplate?.securityContext, where).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const st of s.steps ?? []) expect(st.securityContext, `${where}/${st.name}`).toBeUndefined();
    }
    expect(specs.length).toBe(5);
  });
});

describe('tekton-lint (npm)', () => {
  const bin = join(PROJECT_ROOT, 'node_modules', 'tekton-lint', 'lib', 'lint.js');
  /** Runs tekton-lint as `npx tekton-lint` would, in `cwd` (where it reads .tektonlintrc.yaml). */
  const lint = (cwd: string, glob: string) => {
    const r = spawnSync(process.execPath, [bin, '--format', 'json', glob], { cwd, encoding: 'utf8' });
    return { code: r.status, problems: JSON.parse(r.stdout || '[]') as { rule: string; level: string; message: string }[] };
  };

  it("tekton/*.yaml: no errors and no warnings, with only the kebab-case rule off (.tektonlintrc.yaml says why)", () => {
    const r = lint(PROJECT_ROOT, 'tekton/*.yaml');
    expect(r.problems).toEqual([]);
    expect(r.code).toBe(0);
    const rc = readFileSync(join(PROJECT_ROOT, '.tektonlintrc.yaml'), 'utf8');
    expect(yaml.load(rc)).toEqual({ rules: { 'prefer-kebab-case': 'off' } });
  });

  it('negative control: the same lint fails on a Pipeline that uses an undeclared param', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tekton-lint-'));
    for (const f of readdirSync(join(PROJECT_ROOT, 'tekton'))) copyFileSync(join(PROJECT_ROOT, 'tekton', f), join(dir, f));
    copyFileSync(join(PROJECT_ROOT, '.tektonlintrc.yaml'), join(dir, '.tektonlintrc.yaml'));
    const p = join(dir, 'pipeline-build-scan-push.yaml');
    writeFileSync(p, readFileSync(p, 'utf8').replace('value: $(params.CONTEXT)', 'value: $(params.CONTEXTX)'));
    const r = lint(dir, './*.yaml');
    expect(r.problems.filter((x) => x.level === 'error').map((x) => x.rule)).toEqual(['no-undefined-param']);
  });
});

// Test helpers for tekton/: load the YAML, the checks Tekton does in Go (beyond the CRD schema),
// and a local step runner that substitutes variables the way Tekton does (plain string
// replacement before the step runs) and runs each step's script with its own interpreter.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import yaml from 'js-yaml';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { resolveStep, type ParamValue, type SubstitutionContext } from './substitute.js';

export const TEKTON_DIR = join(PROJECT_ROOT, 'tekton');
export const PARAM_NAME = /^[_a-zA-Z][_a-zA-Z0-9.-]*$/;
export const RESULT_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface Param { name: string; type?: string; default?: ParamValue; description?: string }
export interface Workspace { name: string; optional?: boolean; readOnly?: boolean }
export interface Result { name: string; description?: string; value?: string }
export interface EnvVar { name: string; value?: string }
export interface Step {
  name?: string;
  image?: string;
  script?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string }[];
  onError?: 'continue' | 'stopAndFail';
  workingDir?: string;
  securityContext?: Record<string, unknown>;
  computeResources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
export interface TaskSpec {
  params?: Param[];
  workspaces?: Workspace[];
  results?: Result[];
  steps?: Step[];
  stepTemplate?: Step;
  volumes?: { name: string; emptyDir?: object }[];
}
export interface PipelineTask {
  name: string;
  taskRef?: { name: string };
  taskSpec?: TaskSpec;
  params?: { name: string; value: ParamValue }[];
  workspaces?: { name: string; workspace: string }[];
  runAfter?: string[];
  when?: { input: string; operator: string; values: string[] }[];
}
export interface PipelineSpec {
  params?: Param[];
  workspaces?: Workspace[];
  results?: Result[];
  tasks?: PipelineTask[];
  finally?: PipelineTask[];
}
export interface Doc { apiVersion: string; kind: string; metadata: { name: string }; spec: TaskSpec & PipelineSpec; file: string }

export function loadTektonDocs(dir = TEKTON_DIR): Doc[] {
  const docs: Doc[] = [];
  for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    for (const d of yaml.loadAll(readFileSync(join(dir, name), 'utf8'))) if (d) docs.push({ ...(d as Omit<Doc, 'file'>), file: name });
  }
  return docs;
}

/** Every string inside a value (deep). */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

/** `$(...)` variable references (not shell `$(cmd)`: Tekton only knows these prefixes). */
export function references(text: string): string[] {
  return [...text.matchAll(/\$\((params|workspaces|results|tasks|context|steps|inputs|outputs)\.([^)]*)\)/g)].map((m) => `${m[1]}.${m[2]}`);
}

function dupes(names: string[]): string[] {
  return names.filter((n, i) => names.indexOf(n) !== i);
}

/** The checks Tekton's webhook does in Go for a Task spec; returns error lines (empty = valid). */
export function checkTaskSpec(spec: TaskSpec, where: string): string[] {
  const errors: string[] = [];
  const e = (m: string) => errors.push(`${where}: ${m}`);
  const params = (spec.params ?? []).map((p) => p.name);
  const workspaces = (spec.workspaces ?? []).map((w) => w.name);
  const results = (spec.results ?? []).map((r) => r.name);
  for (const p of params) if (!PARAM_NAME.test(p)) e(`param name "${p}" does not match ${PARAM_NAME}`);
  for (const r of results) if (!RESULT_NAME.test(r)) e(`result name "${r}" does not match ${RESULT_NAME}`);
  for (const d of dupes(params)) e(`param "${d}" declared twice`);
  for (const d of dupes(results)) e(`result "${d}" declared twice`);
  for (const d of dupes(workspaces)) e(`workspace "${d}" declared twice`);
  const steps = spec.steps ?? [];
  if (steps.length === 0) e('a Task needs at least one step');
  const stepNames = steps.map((s) => s.name ?? '');
  for (const [i, s] of steps.entries()) {
    if (!s.name) e(`step ${i} has no name`);
    else if (!DNS_LABEL.test(s.name)) e(`step name "${s.name}" is not a DNS label`);
    if (!s.image) e(`step ${s.name ?? i} has no image`);
    if (s.script !== undefined && s.command !== undefined) e(`step ${s.name ?? i}: script and command cannot both be set`);
    if (s.onError !== undefined && !['continue', 'stopAndFail'].includes(s.onError)) e(`step ${s.name}: onError "${s.onError}"`);
  }
  for (const d of dupes(stepNames.filter(Boolean))) e(`step name "${d}" used twice`);
  // An array param expands only as a whole element of args or command.
  for (const s of [...steps, ...(spec.stepTemplate ? [spec.stepTemplate] : [])]) {
    const { args, command, ...rest } = s;
    for (const text of strings(rest)) if (/\[\*\]\)/.test(text)) e(`step ${s.name ?? 'template'}: an array param outside args/command: ${text.slice(0, 60)}`);
    for (const el of [...(args ?? []), ...(command ?? [])]) if (/\[\*\]\)/.test(el) && !/^\$\(params\.[^)]*\[\*\]\)$/.test(el)) e(`step ${s.name}: "${el}" is not an isolated array element`);
  }
  for (const p of spec.params ?? []) {
    if (p.default !== undefined && Array.isArray(p.default) !== (p.type === 'array')) e(`param ${p.name}: default does not match type ${p.type ?? 'string'}`);
  }
  for (const text of strings([spec.steps, spec.stepTemplate])) {
    for (const ref of references(text)) {
      const [kind, ...rest] = ref.split('.');
      const name = rest.slice(0, kind === 'params' ? rest.length : -1).join('.');
      const leaf = rest.at(-1);
      if (kind === 'params') {
        const star = name.endsWith('[*]');
        const decl = (spec.params ?? []).find((p) => p.name === (star ? name.slice(0, -3) : name));
        if (!decl) e(`$(${ref}) is not a declared param`);
        else if ((decl.type === 'array') !== star) e(`$(${ref}): ${star ? '[*] on a string param' : 'an array param is only used as [*]'}`);
      } else if (kind === 'workspaces') {
        if (!workspaces.includes(name)) e(`$(${ref}) is not a declared workspace`);
        if (!['path', 'bound', 'claim', 'volume'].includes(leaf ?? '')) e(`$(${ref}): unknown workspace variable`);
      } else if (kind === 'results') {
        if (!results.includes(name)) e(`$(${ref}) is not a declared result`);
        if (leaf !== 'path') e(`$(${ref}): only results.NAME.path exists in a Task`);
      } else if (kind !== 'context' && kind !== 'steps') e(`$(${ref}) is not a Task variable`);
    }
  }
  return errors;
}

/** Pipeline references: params, workspaces, tasks' results / status, and each task's bindings. */
export function checkPipeline(doc: Doc, tasksByName: Map<string, TaskSpec>): string[] {
  const spec = doc.spec;
  const errors: string[] = [];
  const e = (m: string) => errors.push(`${doc.file}: ${m}`);
  const pParams = (spec.params ?? []).map((p) => p.name);
  const pWorkspaces = new Map((spec.workspaces ?? []).map((w) => [w.name, w]));
  const all = [...(spec.tasks ?? []), ...(spec.finally ?? [])];
  const specOf = (t: PipelineTask): TaskSpec | undefined => t.taskSpec ?? (t.taskRef ? tasksByName.get(t.taskRef.name) : undefined);
  const taskNames = all.map((t) => t.name);
  for (const d of dupes(taskNames)) e(`pipeline task "${d}" twice`);
  for (const p of pParams) if (!PARAM_NAME.test(p)) e(`param name "${p}"`);
  const finallyNames = new Set((spec.finally ?? []).map((t) => t.name));

  const checkRefs = (text: string, where: string, inFinally: boolean) => {
    for (const ref of references(text)) {
      const parts = ref.split('.');
      if (parts[0] === 'params') {
        if (!pParams.includes(parts.slice(1).join('.').replace(/\[\*\]$/, ''))) e(`${where}: $(${ref}) is not a pipeline param`);
      } else if (parts[0] === 'tasks') {
        const target = all.find((t) => t.name === parts[1]);
        if (!target) e(`${where}: $(${ref}) names no pipeline task`);
        else if (parts[2] === 'results') {
          const ts = specOf(target);
          if (!(ts?.results ?? []).some((r) => r.name === parts[3])) e(`${where}: $(${ref}): task ${parts[1]} declares no result ${parts[3]}`);
          if (finallyNames.has(parts[1]) && !where.startsWith('results')) e(`${where}: $(${ref}) reads a finally task`);
        } else if (parts[2] === 'status') {
          if (!inFinally) e(`${where}: $(${ref}) is only available in finally tasks`);
        } else e(`${where}: $(${ref}) unknown`);
      } else if (parts[0] === 'workspaces') {
        if (!pWorkspaces.has(parts[1]) || parts[2] !== 'bound') e(`${where}: $(${ref}) is not a pipeline workspace variable`);
      } else if (parts[0] !== 'context') e(`${where}: $(${ref}) is not a Pipeline variable`);
    }
  };

  for (const t of all) {
    const inFinally = finallyNames.has(t.name);
    const where = `task ${t.name}`;
    if (!DNS_LABEL.test(t.name)) e(`${where}: name is not a DNS label`);
    if (!!t.taskRef === !!t.taskSpec) e(`${where}: needs exactly one of taskRef or taskSpec`);
    const ts = specOf(t);
    if (!ts) {
      e(`${where}: taskRef ${t.taskRef?.name} is not a Task under tekton/`);
      continue;
    }
    if (t.taskSpec) errors.push(...checkTaskSpec(t.taskSpec, `${doc.file} ${where}`));
    const declared = new Map((ts.params ?? []).map((p) => [p.name, p]));
    for (const p of t.params ?? []) {
      if (!declared.has(p.name)) e(`${where}: passes param ${p.name}, which the task does not declare`);
      for (const v of [p.value].flat()) checkRefs(v, where, inFinally);
      const want = declared.get(p.name)?.type === 'array';
      if (declared.has(p.name) && Array.isArray(p.value) !== want) e(`${where}: param ${p.name} is ${want ? 'an array' : 'a string'} in the task`);
    }
    for (const p of ts.params ?? []) if (p.default === undefined && !(t.params ?? []).some((x) => x.name === p.name)) e(`${where}: required param ${p.name} not given`);
    const tWs = new Map((ts.workspaces ?? []).map((w) => [w.name, w]));
    for (const w of t.workspaces ?? []) {
      const tw = tWs.get(w.name);
      if (!tw) e(`${where}: binds workspace ${w.name}, which the task does not declare`);
      const pw = pWorkspaces.get(w.workspace);
      if (!pw) e(`${where}: workspace ${w.name} -> ${w.workspace}, not a pipeline workspace`);
      else if (pw.optional && tw && !tw.optional) e(`${where}: optional pipeline workspace ${w.workspace} bound to required task workspace ${w.name}`);
    }
    for (const w of ts.workspaces ?? []) if (!w.optional && !(t.workspaces ?? []).some((x) => x.name === w.name)) e(`${where}: required workspace ${w.name} not bound`);
    for (const r of t.runAfter ?? []) if (!taskNames.includes(r) || finallyNames.has(r)) e(`${where}: runAfter ${r} is not a pipeline task`);
    for (const w of t.when ?? []) {
      checkRefs(w.input, `${where} when`, inFinally);
      if (!['in', 'notin'].includes(w.operator)) e(`${where}: when operator ${w.operator}`);
    }
  }
  for (const r of spec.results ?? []) {
    if (!RESULT_NAME.test(r.name)) e(`result name ${r.name}`);
    checkRefs(r.value ?? '', `results ${r.name}`, false);
  }
  return errors;
}

// ---- the local runner ----

export interface StepRun {
  name: string;
  code: number;
  stdout: string;
  stderr: string;
}
export interface TaskRun {
  steps: StepRun[];
  succeeded: boolean;
  results: Record<string, string>;
  /** The results as the entrypoint's termination message would carry them (JSON bytes). */
  resultsBytes: number;
}
export interface TaskInput {
  params?: Record<string, ParamValue>;
  /** Bound workspaces: name -> host directory. */
  workspaces?: Record<string, string>;
  pathDirs?: string[];
  env?: Record<string, string>;
}
/** Where a runner puts things, as the steps see them. */
export interface TaskLayout {
  workspacePath(name: string, hostDir: string): string;
  resultsDir: string;
  stepsDir: string;
}

/** The substitution values of one TaskRun (params with defaults, workspaces, results, steps' exit codes). */
export function taskContext(spec: TaskSpec, input: TaskInput, layout: TaskLayout): SubstitutionContext {
  const strings = new Map<string, string>();
  const arrays = new Map<string, string[]>();
  const given = input.params ?? {};
  for (const name of Object.keys(given)) if (!(spec.params ?? []).some((p) => p.name === name)) throw new Error(`param ${name} is not declared`);
  for (const p of spec.params ?? []) {
    const v = given[p.name] ?? p.default;
    if (v === undefined) throw new Error(`param ${p.name} has no value`);
    if (Array.isArray(v) !== (p.type === 'array')) throw new Error(`param ${p.name}: a ${Array.isArray(v) ? 'array' : 'string'} value for a ${p.type ?? 'string'} param`);
    if (Array.isArray(v)) arrays.set(`params.${p.name}`, v);
    else strings.set(`params.${p.name}`, v);
  }
  for (const w of spec.workspaces ?? []) {
    const dir = input.workspaces?.[w.name];
    if (!dir && !w.optional) throw new Error(`workspace ${w.name} is required`);
    // An unbound optional workspace's path is the empty string.
    strings.set(`workspaces.${w.name}.path`, dir ? layout.workspacePath(w.name, dir) : '');
    strings.set(`workspaces.${w.name}.bound`, dir ? 'true' : 'false');
  }
  for (const r of spec.results ?? []) strings.set(`results.${r.name}.path`, `${layout.resultsDir}/${r.name}`);
  for (const [i, st] of (spec.steps ?? []).entries()) {
    const dir = st.name ? `step-${st.name}` : `step-unnamed-${i}`;
    strings.set(`steps.${dir}.exitCode.path`, `${layout.stepsDir}/${dir}/exitCode`);
  }
  return { strings, arrays };
}

/** Declared results read back from the results directory, with their termination-message size. */
export function collectResults(spec: TaskSpec, resultsDir: string): { results: Record<string, string>; resultsBytes: number } {
  const results: Record<string, string> = {};
  for (const r of spec.results ?? []) {
    const f = join(resultsDir, r.name);
    try {
      if (statSync(f).isFile()) results[r.name] = readFileSync(f, 'utf8');
    } catch {
      // not written
    }
  }
  const message = JSON.stringify(Object.entries(results).map(([key, value]) => ({ key, value, type: 1 })));
  return { results, resultsBytes: Buffer.byteLength(message) };
}

function exec(file: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { ...opts, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 180_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * Runs a Task's steps on this host in order (the fast stand-in; test/tekton/container-runner.ts
 * runs them in the real image): each script is written to a file and executed with the step's
 * args (its shebang picks the interpreter; none means `sh` with `set -e`), each step's exit code
 * goes to its `steps.step-NAME.exitCode.path`, and a failing step stops the Task unless it has
 * onError: continue. Volumes and the security context are not applied here.
 */
export async function runTask(spec: TaskSpec, input: TaskInput): Promise<TaskRun> {
  const scratch = mkdtempSync(join(tmpdir(), 'taskrun-'));
  const layout: TaskLayout = { workspacePath: (_n, dir) => dir, resultsDir: join(scratch, 'results'), stepsDir: join(scratch, 'steps') };
  mkdirSync(layout.resultsDir);
  const ctx = taskContext(spec, input, layout);
  const steps: StepRun[] = [];
  let succeeded = true;
  for (const [i, raw] of (spec.steps ?? []).entries()) {
    const step = resolveStep(raw, spec.stepTemplate, ctx, i);
    if (step.script === undefined) throw new Error(`step ${step.name}: the runner only runs scripts`);
    const file = join(scratch, `script-${i}`);
    writeFileSync(file, step.script.startsWith('#!') ? step.script : `#!/bin/sh\nset -e\n${step.script}`);
    chmodSync(file, 0o755);
    const env: NodeJS.ProcessEnv = {
      PATH: [...(input.pathDirs ?? []), dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
      HOME: join(scratch, 'home'),
      TMPDIR: scratch,
      ...input.env,
      ...step.env,
    };
    mkdirSync(env.HOME as string, { recursive: true });
    const r = await exec(file, step.args, { env, cwd: step.workingDir || scratch });
    const stepDir = join(layout.stepsDir, raw.name ? `step-${raw.name}` : `step-unnamed-${i}`);
    mkdirSync(stepDir, { recursive: true });
    writeFileSync(join(stepDir, 'exitCode'), String(r.code));
    steps.push({ name: step.name, ...r });
    if (r.code !== 0 && step.onError !== 'continue') {
      succeeded = false;
      break;
    }
  }
  return { steps, succeeded, ...collectResults(spec, layout.resultsDir) };
}

// ---- a minimal pipeline controller for the local runs ----

export interface PipelineRunResult {
  /** Status per pipeline task: Succeeded, Failed, Skipped (when false) or None (not reached). */
  status: Record<string, 'Succeeded' | 'Failed' | 'Skipped' | 'None'>;
  runs: Record<string, TaskRun>;
  results: Record<string, string>;
  succeeded: boolean;
}

/**
 * Runs a Pipeline's tasks in order the way the controller would for a linear DAG: params and
 * `$(tasks.T.results.R)` substituted, `when` evaluated, a failed task stops the remaining ones,
 * finally tasks always run with `$(tasks.T.status)`. `standIns` replaces tasks that cannot run
 * here (buildah) with a function that does their job.
 */
export async function runPipeline(
  doc: Doc,
  tasks: Map<string, TaskSpec>,
  input: {
    params: Record<string, ParamValue>;
    workspaces: Record<string, string>;
    pathDirs?: string[];
    env?: Record<string, string>;
    standIns?: Record<string, () => Promise<void>>;
    /** How each task runs: on this host (default) or in real containers. */
    runTask?: (spec: TaskSpec, input: TaskInput, name: string) => Promise<TaskRun>;
  },
): Promise<PipelineRunResult> {
  const spec = doc.spec;
  const pvars = new Map<string, string>();
  const parrays = new Map<string, string[]>();
  for (const p of spec.params ?? []) {
    const v = input.params[p.name] ?? p.default;
    if (v === undefined) throw new Error(`pipeline param ${p.name} has no value`);
    if (Array.isArray(v)) parrays.set(`params.${p.name}`, v);
    else pvars.set(`params.${p.name}`, v);
  }
  /** A task's param value: an array param's `[*]` element expands, everything else is text. */
  const resolveValue = (v: ParamValue): ParamValue =>
    Array.isArray(v) ? v.flatMap((el) => { const m = /^\$\((params\.[^)[]+)\[\*\]\)$/.exec(el); return m ? parrays.get(m[1]!) ?? (() => { throw new Error(`unresolved ${el}`); })() : [resolve(el)]; }) : resolve(v);
  const status: PipelineRunResult['status'] = {};
  const runs: Record<string, TaskRun> = {};
  const resolve = (text: string): string =>
    text.replace(/\$\((params\.[^)]*|tasks\.[^)]*)\)/g, (whole, ref: string) => {
      const parts = ref.split('.');
      if (parts[0] === 'params') return pvars.get(ref) ?? (() => { throw new Error(`unresolved ${whole}`); })();
      if (parts[2] === 'status') return status[parts[1]] ?? 'None';
      const v = runs[parts[1]]?.results[parts[3]];
      if (v === undefined) throw new Error(`unresolved ${whole}`);
      return v;
    });
  const runOne = async (t: PipelineTask): Promise<void> => {
    const ts = t.taskSpec ?? tasks.get(t.taskRef?.name ?? '');
    if (!ts) throw new Error(`no task for ${t.name}`);
    if (!(t.when ?? []).every((w) => (w.operator === 'in') === w.values.includes(resolve(w.input)))) {
      status[t.name] = 'Skipped';
      return;
    }
    const stand = input.standIns?.[t.name];
    if (stand) {
      await stand();
      status[t.name] = 'Succeeded';
      return;
    }
    const params = Object.fromEntries((t.params ?? []).map((p) => [p.name, resolveValue(p.value)]));
    const workspaces = Object.fromEntries(
      (t.workspaces ?? []).filter((w) => input.workspaces[w.workspace] !== undefined).map((w) => [w.name, input.workspaces[w.workspace]]),
    );
    const run = await (input.runTask ?? runTask)(ts, { params, workspaces, pathDirs: input.pathDirs, env: input.env }, t.name);
    runs[t.name] = run;
    status[t.name] = run.succeeded ? 'Succeeded' : 'Failed';
  };
  let failed = false;
  for (const t of spec.tasks ?? []) {
    if (failed) {
      status[t.name] = 'None';
      continue;
    }
    await runOne(t);
    if (status[t.name] === 'Failed') failed = true;
  }
  for (const t of spec.finally ?? []) await runOne(t);
  const results: Record<string, string> = {};
  for (const r of spec.results ?? []) {
    try {
      results[r.name] = resolve(r.value ?? '');
    } catch {
      // a result whose task did not run is left out, as Tekton does
    }
  }
  return { status, runs, results, succeeded: !failed && Object.values(status).every((s) => s !== 'Failed') };
}

// Test helpers for tekton/: load the YAML, the checks Tekton does in Go (beyond the CRD schema),
// and a local step runner that substitutes variables the way Tekton does (plain string
// replacement before the step runs) and runs each step's script with its own interpreter.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import yaml from 'js-yaml';
import { PROJECT_ROOT } from '../helpers/shared.js';

export const TEKTON_DIR = join(PROJECT_ROOT, 'tekton');
export const PARAM_NAME = /^[_a-zA-Z][_a-zA-Z0-9.-]*$/;
export const RESULT_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface Param { name: string; type?: string; default?: string; description?: string }
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
}
export interface PipelineTask {
  name: string;
  taskRef?: { name: string };
  taskSpec?: TaskSpec;
  params?: { name: string; value: string }[];
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
  for (const text of strings([spec.steps, spec.stepTemplate])) {
    for (const ref of references(text)) {
      const [kind, ...rest] = ref.split('.');
      const name = rest.slice(0, kind === 'params' ? rest.length : -1).join('.');
      const leaf = rest.at(-1);
      if (kind === 'params') {
        if (!params.includes(name)) e(`$(${ref}) is not a declared param`);
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
        if (!pParams.includes(parts.slice(1).join('.'))) e(`${where}: $(${ref}) is not a pipeline param`);
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
      checkRefs(p.value, where, inFinally);
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
  resultsBytes: number;
}

/** Tekton's substitution: plain text replacement of the known variables, before the step runs. */
export function substitute(text: string, vars: Map<string, string>): string {
  return text.replace(/\$\((params|workspaces|results)\.([^)]*)\)/g, (whole, kind: string, rest: string) => {
    const v = vars.get(`${kind}.${rest}`);
    if (v === undefined) throw new Error(`unresolved ${whole}`);
    return v;
  });
}

function exec(file: string, opts: { env: NodeJS.ProcessEnv; cwd: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, [], { ...opts, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 180_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * Runs a Task's steps locally in order, as the Tekton entrypoint would: each script is written to
 * a file and executed (its shebang picks the interpreter; none means sh), a failing step stops the
 * Task unless it has onError: continue. `workspaces` maps bound workspace names to directories.
 */
export async function runTask(
  spec: TaskSpec,
  input: { params?: Record<string, string>; workspaces?: Record<string, string>; pathDirs?: string[]; env?: Record<string, string> },
): Promise<TaskRun> {
  const scratch = mkdtempSync(join(tmpdir(), 'taskrun-'));
  const resultsDir = join(scratch, 'results');
  mkdirSync(resultsDir);
  const vars = new Map<string, string>();
  const given = input.params ?? {};
  for (const name of Object.keys(given)) if (!(spec.params ?? []).some((p) => p.name === name)) throw new Error(`param ${name} is not declared`);
  for (const p of spec.params ?? []) {
    const v = given[p.name] ?? p.default;
    if (v === undefined) throw new Error(`param ${p.name} has no value`);
    vars.set(`params.${p.name}`, v);
  }
  for (const w of spec.workspaces ?? []) {
    const dir = input.workspaces?.[w.name];
    if (!dir && !w.optional) throw new Error(`workspace ${w.name} is required`);
    vars.set(`workspaces.${w.name}.path`, dir ?? '');
    vars.set(`workspaces.${w.name}.bound`, dir ? 'true' : 'false');
  }
  for (const r of spec.results ?? []) vars.set(`results.${r.name}.path`, join(resultsDir, r.name));

  const steps: StepRun[] = [];
  let succeeded = true;
  for (const [i, step] of (spec.steps ?? []).entries()) {
    if (step.script === undefined) throw new Error(`step ${step.name}: the runner only runs scripts`);
    const file = join(scratch, `step-${i}`);
    const script = substitute(step.script, vars);
    writeFileSync(file, script.startsWith('#!') ? script : `#!/bin/sh\n${script}`);
    chmodSync(file, 0o755);
    const env: NodeJS.ProcessEnv = {
      PATH: [...(input.pathDirs ?? []), dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
      HOME: join(scratch, 'home'),
      TMPDIR: scratch,
      ...input.env,
    };
    for (const v of [...(spec.stepTemplate?.env ?? []), ...(step.env ?? [])]) env[v.name] = substitute(v.value ?? '', vars);
    mkdirSync(env.HOME as string, { recursive: true });
    const cwd = step.workingDir ? substitute(step.workingDir, vars) : scratch;
    const r = await exec(file, { env, cwd });
    steps.push({ name: step.name ?? `step-${i}`, ...r });
    if (r.code !== 0 && step.onError !== 'continue') {
      succeeded = false;
      break;
    }
  }
  const results: Record<string, string> = {};
  let resultsBytes = 0;
  for (const name of readdirSync(resultsDir)) {
    results[name] = readFileSync(join(resultsDir, name), 'utf8');
    resultsBytes += statSync(join(resultsDir, name)).size;
  }
  return { steps, succeeded, results, resultsBytes };
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
    params: Record<string, string>;
    workspaces: Record<string, string>;
    pathDirs?: string[];
    env?: Record<string, string>;
    standIns?: Record<string, () => Promise<void>>;
  },
): Promise<PipelineRunResult> {
  const spec = doc.spec;
  const pvars = new Map<string, string>();
  for (const p of spec.params ?? []) {
    const v = input.params[p.name] ?? p.default;
    if (v === undefined) throw new Error(`pipeline param ${p.name} has no value`);
    pvars.set(`params.${p.name}`, v);
  }
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
    const params = Object.fromEntries((t.params ?? []).map((p) => [p.name, resolve(p.value)]));
    const workspaces = Object.fromEntries(
      (t.workspaces ?? []).filter((w) => input.workspaces[w.workspace] !== undefined).map((w) => [w.name, input.workspaces[w.workspace]]),
    );
    const run = await runTask(ts, { params, workspaces, pathDirs: input.pathDirs, env: input.env });
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

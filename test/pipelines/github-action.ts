// Runs a composite GitHub Action the way the runner does: inputs with their defaults, each step's
// `env` evaluated (`${{ inputs.x }}`, `${{ steps.id.outputs.y }}`, `${{ github.action_path }}`),
// `run` executed by `bash --noprofile --norc -eo pipefail` with GITHUB_OUTPUT / GITHUB_STEP_SUMMARY
// files and GITHUB_ACTION_PATH, a failing step ending the action, and the action's outputs taken
// from its `outputs.*.value`. Expressions other than those are refused, not guessed.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ActionRun {
  /** Exit code of the step that failed, else 0. */
  code: number;
  failedStep?: string;
  outputs: Record<string, string>;
  summary: string;
  log: string;
}

export function loadAction(path: string): Json {
  return yaml.load(readFileSync(path, 'utf8')) as Json;
}

interface Context {
  inputs: Record<string, string>;
  steps: Record<string, Record<string, string>>;
  actionPath: string;
}

function evaluate(text: string, ctx: Context): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expr: string) => {
    let m = /^inputs\.([A-Za-z0-9_-]+)$/.exec(expr);
    if (m) {
      if (!(m[1]! in ctx.inputs)) throw new Error(`unknown input ${m[1]}`);
      return ctx.inputs[m[1]!]!;
    }
    m = /^steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)$/.exec(expr);
    if (m) return ctx.steps[m[1]!]?.[m[2]!] ?? '';
    if (expr === 'github.action_path') return ctx.actionPath;
    throw new Error(`expression not supported by this runner: ${expr}`);
  });
}

/** GITHUB_OUTPUT's two forms: `name=value` and `name<<DELIMITER` … `DELIMITER`. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) body.push(lines[i]!);
      out[heredoc[1]!] = body.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

function bash(script: string, env: Record<string, string>, cwd: string): Promise<{ code: number; log: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (log += d.toString('utf8')));
    child.on('close', (code) => resolve({ code: code ?? -1, log }));
  });
}

export async function runAction(
  action: Json,
  opts: { actionPath: string; workspace: string; inputs: Record<string, string>; env: Record<string, string> },
): Promise<ActionRun> {
  if (action.runs?.using !== 'composite') throw new Error('not a composite action');
  const declared = (action.inputs ?? {}) as Record<string, { default?: string; required?: boolean }>;
  for (const k of Object.keys(opts.inputs)) if (!(k in declared)) throw new Error(`unexpected input ${k}`);
  const inputs: Record<string, string> = {};
  for (const [k, spec] of Object.entries(declared)) {
    const v = opts.inputs[k] ?? spec.default;
    if (v === undefined && spec.required) throw new Error(`input required and not supplied: ${k}`);
    inputs[k] = v ?? '';
  }
  const ctx: Context = { inputs, steps: {}, actionPath: opts.actionPath };
  const temp = mkdtempSync(join(opts.workspace, '.runner-'));
  const summaryFile = join(temp, 'job-summary.md');
  writeFileSync(summaryFile, '');
  let log = '';
  let code = 0;
  let failedStep: string | undefined;
  for (const [i, step] of (action.runs.steps as Json[]).entries()) {
    const id = (step.id as string | undefined) ?? `step${i}`;
    if (step.shell !== 'bash' || typeof step.run !== 'string') throw new Error(`step ${id}: only bash run steps are supported`);
    if (step.run.includes('${{')) throw new Error(`step ${id}: an expression inside run is open to script injection; pass it through env`);
    const outputFile = join(temp, `${id}.output`);
    const stepSummary = join(temp, `${id}.summary`);
    writeFileSync(outputFile, '');
    writeFileSync(stepSummary, '');
    const env: Record<string, string> = {
      ...opts.env,
      CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: opts.workspace, RUNNER_TEMP: temp,
      GITHUB_ACTION_PATH: opts.actionPath, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: stepSummary,
    };
    for (const [k, v] of Object.entries((step.env ?? {}) as Record<string, string>)) env[k] = evaluate(String(v), ctx);
    const script = join(temp, `${id}.sh`);
    writeFileSync(script, step.run);
    const r = await bash(script, env, opts.workspace);
    log += r.log;
    ctx.steps[id] = parseOutputFile(readFileSync(outputFile, 'utf8'));
    appendFileSync(summaryFile, readFileSync(stepSummary, 'utf8'));
    if (r.code !== 0) {
      code = r.code;
      failedStep = id;
      break;
    }
  }
  const outputs: Record<string, string> = {};
  for (const [k, spec] of Object.entries((action.outputs ?? {}) as Record<string, { value: string }>)) outputs[k] = evaluate(spec.value, ctx);
  return { code, failedStep, outputs, summary: readFileSync(summaryFile, 'utf8'), log };
}

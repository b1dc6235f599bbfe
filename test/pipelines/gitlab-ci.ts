// Runs a GitLab CI job from a component template the way GitLab and a runner would: the
// `spec: inputs` header interpolated into the job (`$[[ inputs.x ]]`, defaults, types, unknown
// inputs refused), job variables expanded against the CI_* environment, then `before_script` +
// `script` as one bash script under `set -eo pipefail` in the project directory.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface InputSpec {
  default?: unknown;
  type?: 'string' | 'boolean' | 'number' | 'array';
  description?: string;
  options?: unknown[];
}

export interface Template {
  inputs: Record<string, InputSpec>;
  /** The job part of the file, before interpolation. */
  body: string;
}

export function loadTemplate(path: string): Template {
  const text = readFileSync(path, 'utf8');
  const parts = text.split(/^---[ \t]*$/m);
  if (parts.length !== 2) throw new Error(`${path}: a component is a spec header, ---, and the jobs`);
  const header = yaml.load(parts[0]!) as Json;
  return { inputs: (header?.spec?.inputs ?? {}) as Record<string, InputSpec>, body: parts[1]! };
}

/** GitLab's include-time interpolation: every input is given or has a default, of its type. */
export function interpolate(t: Template, given: Record<string, string | boolean | number> = {}): Json {
  for (const k of Object.keys(given)) if (!(k in t.inputs)) throw new Error(`unknown input: ${k}`);
  const value = (name: string): string => {
    const spec = t.inputs[name];
    if (!spec) throw new Error(`unknown interpolation key: inputs.${name}`);
    const v = name in given ? given[name] : spec.default;
    if (v === undefined) throw new Error(`\`${name}\` input: required value not provided`);
    const type = spec.type ?? 'string';
    if (typeof v !== type) throw new Error(`\`${name}\` input: provided value is not a ${type}`);
    if (spec.options && !spec.options.includes(v)) throw new Error(`\`${name}\` input: not one of the options`);
    return String(v);
  };
  const body = t.body.replace(/\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]/g, (_, name: string) => value(name));
  return yaml.load(body) as Json;
}

/** `$VAR` / `${VAR}` references in a variable's value, expanded as the runner does. */
export function expandVariables(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a: string | undefined, b: string | undefined) => env[(a ?? b)!] ?? '');
}

export interface JobRun {
  code: number;
  log: string;
}

/** Runs one job of the interpolated config in `projectDir` with the given CI environment. */
export function runJob(config: Json, jobName: string, projectDir: string, ciEnv: Record<string, string>): Promise<JobRun> {
  const job = config[jobName] as Json | undefined;
  if (!job) throw new Error(`no job ${jobName}`);
  const env: Record<string, string> = { ...ciEnv };
  for (const [k, v] of Object.entries((job.variables ?? {}) as Record<string, unknown>)) {
    const raw = typeof v === 'object' && v !== null ? String((v as Json).value ?? '') : String(v);
    env[k] = expandVariables(raw, env);
  }
  const lines = [...((job.before_script ?? []) as string[]), ...((job.script ?? []) as string[])];
  const script = join(projectDir, '.gitlab-job.sh');
  writeFileSync(script, ['set -eo pipefail', ...lines].join('\n') + '\n');
  return new Promise((resolve) => {
    const child = spawn('bash', [script], { cwd: projectDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (log += d.toString('utf8')));
    child.on('close', (code) => resolve({ code: code ?? -1, log }));
  });
}

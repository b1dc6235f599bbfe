// Runs a Task's steps in real containers (docker, a private dockerd) under Tekton's step contract,
// as the kubelet and Tekton's entrypoint would run them in a pod:
// - each workspace is mounted at /workspace/NAME (read-only when the Task says so), results are
//   files in a writable /tekton/results, each step's exit code is written to
//   /tekton/steps/step-NAME/exitCode, and the Task's emptyDir volumes are mounted where its
//   stepTemplate / steps say;
// - variables are substituted as Tekton does (test/tekton/substitute.ts), array params expand in
//   args; the script is a file run as the entrypoint with the step's args;
// - the security context is applied: --user from runAsUser (else the image's USER, which
//   runAsNonRoot requires to be numeric and not 0, as the kubelet checks), --read-only for
//   readOnlyRootFilesystem, --cap-drop for capabilities.drop, no-new-privileges for
//   allowPrivilegeEscalation: false (docker's default seccomp profile is RuntimeDefault);
// - a step failing stops the Task unless onError: continue.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveStep, type ResolvedStep } from './substitute.js';
import { collectResults, taskContext, type StepRun, type TaskInput, type TaskLayout, type TaskRun, type TaskSpec } from './tekton.js';

const run = promisify(execFile);

export interface ContainerEngine {
  /** The docker CLI to run. */
  cli: string;
  /** Points the CLI at the private daemon (DOCKER_HOST). */
  env: NodeJS.ProcessEnv;
}

/** What the last run executed, for tests that check the contract itself. */
export interface ContainerStepRun extends StepRun {
  argv: string[];
}

function exec(engine: ContainerEngine, args: string[], timeout = 300_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(engine.cli, args, { env: { ...process.env, ...engine.env }, encoding: 'utf8', maxBuffer: 64 << 20, timeout }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** The user the container runs as, with the kubelet's runAsNonRoot check. */
async function userFor(engine: ContainerEngine, step: ResolvedStep): Promise<string | undefined> {
  const sc = step.securityContext as { runAsUser?: number; runAsGroup?: number; runAsNonRoot?: boolean };
  if (sc.runAsUser !== undefined) {
    if (sc.runAsNonRoot && sc.runAsUser === 0) throw new Error(`step ${step.name}: runAsNonRoot with runAsUser 0`);
    return sc.runAsGroup !== undefined ? `${sc.runAsUser}:${sc.runAsGroup}` : String(sc.runAsUser);
  }
  if (sc.runAsNonRoot) {
    const { stdout } = await run(engine.cli, ['image', 'inspect', '-f', '{{.Config.User}}', step.image], { env: { ...process.env, ...engine.env } });
    const user = stdout.trim().split(':')[0] ?? '';
    // The kubelet refuses to start such a container (CreateContainerConfigError).
    if (!/^\d+$/.test(user) || user === '0') throw new Error(`step ${step.name}: runAsNonRoot, but image ${step.image} runs as "${stdout.trim() || 'root'}" (not a numeric non-root USER)`);
  }
  return sc.runAsGroup !== undefined ? `:${sc.runAsGroup}` : undefined;
}

/** The `docker run` flags of the step's security context. */
function securityFlags(step: ResolvedStep): string[] {
  const sc = step.securityContext as { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; privileged?: boolean; capabilities?: { drop?: string[]; add?: string[] } };
  const out: string[] = [];
  if (sc.privileged) out.push('--privileged');
  if (sc.readOnlyRootFilesystem) out.push('--read-only');
  if (sc.allowPrivilegeEscalation === false) out.push('--security-opt', 'no-new-privileges');
  for (const c of sc.capabilities?.drop ?? []) out.push('--cap-drop', c);
  for (const c of sc.capabilities?.add ?? []) out.push('--cap-add', c);
  return out;
}

/**
 * Runs `spec` with `input` in containers of `engine`. Workspace directories on the host are
 * opened to the container's user (the pod's fsGroup does that in a cluster).
 */
export async function runTaskInContainers(engine: ContainerEngine, spec: TaskSpec, input: TaskInput): Promise<TaskRun & { steps: ContainerStepRun[] }> {
  const scratch = mkdtempSync(join(tmpdir(), 'taskrun-ctr-'));
  const host = { results: join(scratch, 'results'), steps: join(scratch, 'steps'), scripts: join(scratch, 'scripts') };
  for (const d of Object.values(host)) mkdirSync(d);
  chmodSync(host.results, 0o777);
  chmodSync(host.steps, 0o777);
  chmodSync(scratch, 0o755);
  const layout: TaskLayout = { workspacePath: (name) => `/workspace/${name}`, resultsDir: '/tekton/results', stepsDir: '/tekton/steps' };
  const ctx = taskContext(spec, input, layout);

  const mounts: string[] = ['-v', `${host.results}:/tekton/results`, '-v', `${host.steps}:/tekton/steps`, '-v', `${host.scripts}:/tekton/scripts:ro`];
  for (const w of spec.workspaces ?? []) {
    const dir = input.workspaces?.[w.name];
    if (!dir) continue;
    chmodSync(dir, w.readOnly ? 0o755 : 0o777);
    mounts.push('-v', `${dir}:/workspace/${w.name}${w.readOnly ? ':ro' : ''}`);
  }
  // emptyDir volumes: one host directory each for the whole TaskRun, shared by the steps.
  const volumes = new Map<string, string>();
  for (const v of spec.volumes ?? []) {
    if (!v.emptyDir) throw new Error(`volume ${v.name}: only emptyDir is run here`);
    const dir = join(scratch, `vol-${v.name}`);
    mkdirSync(dir);
    chmodSync(dir, 0o1777);
    volumes.set(v.name, dir);
  }

  const steps: ContainerStepRun[] = [];
  let succeeded = true;
  for (const [i, raw] of (spec.steps ?? []).entries()) {
    const step = resolveStep(raw, spec.stepTemplate, ctx, i);
    const argv = ['run', '--rm', '--network', 'host', ...securityFlags(step)];
    const user = await userFor(engine, step);
    if (user) argv.push('--user', user);
    argv.push(...mounts);
    for (const m of step.volumeMounts) {
      const dir = volumes.get(m.name);
      if (!dir) throw new Error(`step ${step.name}: volumeMount ${m.name} names no volume`);
      argv.push('-v', `${dir}:${m.mountPath}`);
    }
    for (const [k, v] of Object.entries({ ...input.env, ...step.env })) argv.push('-e', `${k}=${v}`);
    if (step.workingDir) argv.push('-w', step.workingDir);
    if (step.script !== undefined) {
      const name = `script-${i}`;
      writeFileSync(join(host.scripts, name), step.script.startsWith('#!') ? step.script : `#!/bin/sh\nset -e\n${step.script}`);
      chmodSync(join(host.scripts, name), 0o755);
      argv.push('--entrypoint', `/tekton/scripts/${name}`, step.image, ...step.args);
    } else if (step.command) {
      argv.push('--entrypoint', step.command[0]!, step.image, ...step.command.slice(1), ...step.args);
    } else argv.push(step.image, ...step.args);
    const r = await exec(engine, argv);
    // Tekton's entrypoint writes it inside the step; docker hands back the same code.
    const stepDir = join(host.steps, raw.name ? `step-${raw.name}` : `step-unnamed-${i}`);
    mkdirSync(stepDir, { recursive: true });
    writeFileSync(join(stepDir, 'exitCode'), String(r.code));
    steps.push({ name: step.name, ...r, argv });
    if (r.code !== 0 && step.onError !== 'continue') {
      succeeded = false;
      break;
    }
  }
  return { steps, succeeded, ...collectResults(spec, host.results) };
}

// Tekton's variable substitution, as its docs state it (docs/tasks.md "Using variable
// substitution", docs/variables.md): plain string replacement by the controller before the step
// runs, nothing escaped. `$(params.NAME)`, `$(params['NAME'])` and `$(params["NAME"])` are the
// same reference; an array param is used only as `$(params.NAME[*])`, alone in one element of
// `args` / `command`, where it expands to its elements; anywhere else it is an error.
import type { Step } from './tekton.js';

export type ParamValue = string | string[];

/** What the step's references resolve to: string variables (`params.X`, `workspaces.w.path`…) and array params. */
export interface SubstitutionContext {
  strings: Map<string, string>;
  arrays: Map<string, string[]>;
}

/** One `$(…)` reference: its normalised key (`params.NAME`) and whether it ends in `[*]`. */
const REF = /\$\((params|workspaces|results|steps|context|tasks)((?:\.[^.()[\]]+|\[(?:'[^']*'|"[^"]*")\])+)(\[\*\])?\)/g;

function keyOf(kind: string, path: string): string {
  const parts = [...path.matchAll(/\.([^.()[\]]+)|\[(?:'([^']*)'|"([^"]*)")\]/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  return [kind, ...parts].join('.');
}

/** Substitutes a string field. Throws on an unknown reference or an array param outside `args`. */
export function substituteString(text: string, ctx: SubstitutionContext, where: string): string {
  return text.replace(REF, (whole, kind: string, path: string, star: string | undefined) => {
    const key = keyOf(kind, path);
    if (star || ctx.arrays.has(key)) throw new Error(`${where}: array param ${whole} must be a whole element of args or command`);
    const v = ctx.strings.get(key);
    if (v === undefined) throw new Error(`${where}: unresolved ${whole}`);
    return v;
  });
}

/** Substitutes a list field (`args`, `command`): an element that is exactly `$(params.A[*])` becomes A's elements. */
export function substituteList(list: readonly string[], ctx: SubstitutionContext, where: string): string[] {
  const out: string[] = [];
  for (const el of list) {
    const m = /^\$\((params)((?:\.[^.()[\]]+|\[(?:'[^']*'|"[^"]*")\])+)\[\*\]\)$/.exec(el);
    if (m) {
      const key = keyOf(m[1]!, m[2]!);
      const arr = ctx.arrays.get(key);
      if (!arr) throw new Error(`${where}: ${el} is not an array param`);
      out.push(...arr);
    } else out.push(substituteString(el, ctx, where));
  }
  return out;
}

/** A step as it runs: stepTemplate merged under it (env by name, the step's fields win), every field substituted. */
export interface ResolvedStep {
  name: string;
  image: string;
  script?: string;
  command?: string[];
  args: string[];
  env: Record<string, string>;
  workingDir?: string;
  onError: 'continue' | 'stopAndFail';
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string }[];
}

export function resolveStep(step: Step, template: Step | undefined, ctx: SubstitutionContext, index: number): ResolvedStep {
  const name = step.name ?? `unnamed-${index}`;
  const where = `step ${name}`;
  const env: Record<string, string> = {};
  for (const v of [...(template?.env ?? []), ...(step.env ?? [])]) env[v.name] = substituteString(v.value ?? '', ctx, where);
  const workingDir = step.workingDir ?? template?.workingDir;
  const mounts = new Map<string, { name: string; mountPath: string }>();
  for (const m of [...(template?.volumeMounts ?? []), ...(step.volumeMounts ?? [])]) mounts.set(m.mountPath, m);
  return {
    name,
    image: substituteString(step.image ?? template?.image ?? '', ctx, where),
    ...(step.script !== undefined ? { script: substituteString(step.script, ctx, where) } : {}),
    ...(step.command ? { command: substituteList(step.command, ctx, where) } : {}),
    args: substituteList(step.args ?? [], ctx, where),
    env,
    ...(workingDir ? { workingDir: substituteString(workingDir, ctx, where) } : {}),
    onError: step.onError ?? 'stopAndFail',
    securityContext: { ...(template?.securityContext ?? {}), ...(step.securityContext ?? {}) },
    volumeMounts: [...mounts.values()],
  };
}

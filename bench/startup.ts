// Start-up cost of the CLI. Run: node --import tsx bench/startup.ts
// Prints, measured in this one run (interleaved rounds, medians; ratios, no absolute goal):
//   * `portcullis --version` (bin/portcullis.js as installed) against a bare `node -e 0`
//   * the policy schema check a gated scan runs: ajv compiling it in the run vs the precompiled module
//   * the module loading of `sbom` and `scan` (`CMD --help` loads the command's whole module graph
//     and runs nothing) through tsc's per-file output (dist/cli/) and through the bundle
//     (dist/cli-bundle/, scripts/bundle-cli.mjs) that bin/portcullis.js runs
// Node 20 has no V8 compile cache for ES modules (module.enableCompileCache is Node >= 22.1): the
// bundle is the step available here.
import { join } from 'node:path';
import { buildCli } from '../test/helpers/build-cli.js';
import { PROJECT_ROOT } from '../test/helpers/shared.js';
import { measure, type Measured } from './lib/measure.js';

buildCli();
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const RUN_ENTRY = 'const { main } = await import(process.argv[1]); process.exitCode = await main(process.argv.slice(2));';
const entry = (rel: string, args: string[]) => ['--input-type=module', '-e', RUN_ENTRY, join(PROJECT_ROOT, rel), ...args];
const TSC = 'dist/cli/main.js';
const dist = (rel: string) => JSON.stringify(join(PROJECT_ROOT, 'dist', rel));
const module = (code: string) => ['--input-type=module', '-e', code];
const BUNDLE = 'dist/cli-bundle/main.js';

const cases: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  '--version (bin)': [join(PROJECT_ROOT, 'bin/portcullis.js'), '--version'],
  'sbom --help, per-file': entry(TSC, ['sbom', '--help']),
  'sbom --help, bundle': entry(BUNDLE, ['sbom', '--help']),
  'scan --help, per-file': entry(TSC, ['scan', '--help']),
  'scan --help, bundle': entry(BUNDLE, ['scan', '--help']),
  // The gate's schema check: ajv loaded and compiling the policy schema in the run (as before
  // scripts/gen-policy-validator.ts), against the precompiled module a scan now loads.
  'policy schema, ajv': module(`const { makeValidator } = await import(${dist('policy/ajv-compile.js')}); const { POLICY_SCHEMA } = await import(${dist('policy/schema.js')}); makeValidator(POLICY_SCHEMA)({});`),
  'policy schema, precompiled': module(`const { validate } = await import(${dist('policy/policy-validator.generated.js')}); validate({});`),
};
const runs: Record<string, Measured[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, args] of Object.entries(cases)) runs[name]!.push(await measure(process.execPath, args));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const wall = (k: string) => median(runs[k]!.map((m) => m.wallMs));
const cpu = (k: string) => median(runs[k]!.map((m) => m.cpuMs));
for (const k of Object.keys(cases)) console.log(`${k.padEnd(24)} wall ${wall(k).toFixed(0).padStart(4)} ms  CPU ${cpu(k).toFixed(0).padStart(4)} ms`);
const node = wall('node -e 0');
const nodeCpu = cpu('node -e 0');
console.log(`--version above bare node: wall ${(wall('--version (bin)') - node).toFixed(0)} ms`);
for (const c of ['sbom', 'scan']) {
  const [pf, b] = [`${c} --help, per-file`, `${c} --help, bundle`];
  console.log(
    `${c}: module loading (above bare node) bundle/per-file = wall ${((wall(b) - node) / (wall(pf) - node)).toFixed(2)}x ` +
      `(${(wall(b) - node).toFixed(0)} vs ${(wall(pf) - node).toFixed(0)} ms), CPU ${((cpu(b) - nodeCpu) / (cpu(pf) - nodeCpu)).toFixed(2)}x; ` +
      `whole run ${(wall(b) / wall(pf)).toFixed(2)}x`,
  );
}
const [ajvMs, preMs] = [wall('policy schema, ajv') - node, wall('policy schema, precompiled') - node];
const [ajvCpu, preCpu] = [cpu('policy schema, ajv') - nodeCpu, cpu('policy schema, precompiled') - nodeCpu];
console.log(
  `policy schema check, load + first use above bare node: precompiled/ajv = wall ${(preMs / ajvMs).toFixed(2)}x (${preMs.toFixed(0)} vs ${ajvMs.toFixed(0)} ms), ` +
    `CPU ${(preCpu / ajvCpu).toFixed(2)}x (${preCpu.toFixed(0)} vs ${ajvCpu.toFixed(0)} ms)`,
);

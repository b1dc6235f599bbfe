// Start-up cost of the CLI. Run: node --import tsx bench/startup.ts
// Prints, measured in this one run (interleaved rounds, medians, CPU to the ms; ratios, no absolute goal):
//   * `portcullis --version` (bin/portcullis.js as installed) against a bare `node -e 0`
//   * the policy schema check a gated scan runs: ajv compiling it in the run vs the precompiled module
//   * the module loading of `sbom` and `scan` (`CMD --help` loads the command's whole module graph
//     and runs nothing) through tsc's per-file output (dist/cli/), through the bundle's CommonJS
//     chunks (dist/cli-bundle/, scripts/bundle-cli.mjs) compiled by Node's require, and through the
//     same chunks with their V8 code caches as bin/portcullis.js runs them
//   * BENCH_BASELINE_ROOT=DIR: the same through DIR's bin/portcullis.js (another checkout, built:
//     e.g. main's), in the same rounds
// Node 20 has no V8 compile cache for ES modules (module.enableCompileCache is Node >= 22.1): V8's
// cache of scripts (vm.Script cachedData) is the one available here.
import { join } from 'node:path';
import { buildCli } from '../test/helpers/build-cli.js';
import { PROJECT_ROOT } from '../test/helpers/shared.js';
import { childCpu } from './lib/child-cpu.js';

buildCli();
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const RUN_ENTRY = 'const { main } = await import(process.argv[1]); process.exitCode = await main(process.argv.slice(2));';
const entry = (rel: string, args: string[]) => ['--input-type=module', '-e', RUN_ENTRY, join(PROJECT_ROOT, rel), ...args];
const TSC = 'dist/cli/main.js';
const dist = (rel: string) => JSON.stringify(join(PROJECT_ROOT, 'dist', rel));
const module = (code: string) => ['--input-type=module', '-e', code];
const BUNDLE = 'dist/cli-bundle/main.js'; // CommonJS chunks: imported here through Node's require, no code cache

const BIN = join(PROJECT_ROOT, 'bin/portcullis.js');
const BASELINE = process.env.BENCH_BASELINE_ROOT;
const BASE_BIN = BASELINE ? join(BASELINE, 'bin/portcullis.js') : undefined;

const cases: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  '--version (bin)': [BIN, '--version'],
  ...(BASE_BIN ? { '--version (baseline)': [BASE_BIN, '--version'] } : {}),
};
for (const c of ['sbom', 'scan']) {
  cases[`${c} --help, per-file`] = entry(TSC, [c, '--help']);
  cases[`${c} --help, bundle, compiled`] = entry(BUNDLE, [c, '--help']);
  cases[`${c} --help, bundle, code caches`] = [BIN, c, '--help'];
  if (BASE_BIN) cases[`${c} --help (baseline)`] = [BASE_BIN, c, '--help'];
}
Object.assign(cases, {
  // The gate's schema check: ajv loaded and compiling the policy schema in the run (as before
  // scripts/gen-policy-validator.ts), against the precompiled module a scan now loads.
  'policy schema, ajv': module(`const { makeValidator } = await import(${dist('policy/ajv-compile.js')}); const { POLICY_SCHEMA } = await import(${dist('policy/schema.js')}); makeValidator(POLICY_SCHEMA)({});`),
  'policy schema, precompiled': module(`const { validate } = await import(${dist('policy/policy-validator.generated.js')}); validate({});`),
});
const runs: Record<string, { cpuMs: number; wallMs: number }[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, args] of Object.entries(cases)) runs[name]!.push(await childCpu(process.execPath, args));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const wall = (k: string) => median(runs[k]!.map((m) => m.wallMs));
const cpu = (k: string) => median(runs[k]!.map((m) => m.cpuMs));
for (const k of Object.keys(cases)) console.log(`${k.padEnd(24)} wall ${wall(k).toFixed(0).padStart(4)} ms  CPU ${cpu(k).toFixed(0).padStart(4)} ms`);
const node = wall('node -e 0');
const nodeCpu = cpu('node -e 0');
console.log(`--version above bare node: wall ${(wall('--version (bin)') - node).toFixed(0)} ms`);
const above = (k: string, ref: string) =>
  `wall ${((wall(k) - node) / (wall(ref) - node)).toFixed(2)}x (${(wall(k) - node).toFixed(0)} vs ${(wall(ref) - node).toFixed(0)} ms), ` +
  `CPU ${((cpu(k) - nodeCpu) / (cpu(ref) - nodeCpu)).toFixed(2)}x (${(cpu(k) - nodeCpu).toFixed(0)} vs ${(cpu(ref) - nodeCpu).toFixed(0)} ms)`;
for (const c of ['sbom', 'scan']) {
  const [pf, compiled, cached] = [`${c} --help, per-file`, `${c} --help, bundle, compiled`, `${c} --help, bundle, code caches`];
  console.log(`${c}: module loading above bare node: bundle compiled / per-file = ${above(compiled, pf)}`);
  console.log(`${c}: module loading above bare node: bundle with code caches / compiled = ${above(cached, compiled)}`);
  if (BASE_BIN) console.log(`${c}: this bin / baseline bin, above bare node: ${above(cached, `${c} --help (baseline)`)}`);
}
if (BASE_BIN) console.log(`--version: this bin / baseline bin, above bare node: ${above('--version (bin)', '--version (baseline)')}`);
const [ajvMs, preMs] = [wall('policy schema, ajv') - node, wall('policy schema, precompiled') - node];
const [ajvCpu, preCpu] = [cpu('policy schema, ajv') - nodeCpu, cpu('policy schema, precompiled') - nodeCpu];
console.log(
  `policy schema check, load + first use above bare node: precompiled/ajv = wall ${(preMs / ajvMs).toFixed(2)}x (${preMs.toFixed(0)} vs ${ajvMs.toFixed(0)} ms), ` +
    `CPU ${(preCpu / ajvCpu).toFixed(2)}x (${preCpu.toFixed(0)} vs ${ajvCpu.toFixed(0)} ms)`,
);

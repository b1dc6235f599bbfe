// Runs every benchmark in turn (`npm run bench`), each in its own process so one's warm caches and
// heap do not colour the next. Each prints its own ratios; a failing one is reported and the rest
// still run, and the exit code is non-zero if any failed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES = ['startup', 'sbom', 'scan', 'cache', 'fleet', 'registry', 'db', 'policy', 'lang', 'load'];
const dir = fileURLToPath(new URL('.', import.meta.url));
const failed: string[] = [];
for (const name of BENCHES) {
  console.log(`== bench/${name}.ts`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${name}.ts`], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}

// Builds the CLI as `npm run build` does (tsc per file, then the start-up bundle that
// bin/portcullis.js prefers), so tests and benches of the built CLI run what users run.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from './shared.js';

export function buildCli(): void {
  execFileSync(process.execPath, [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: PROJECT_ROOT });
  execFileSync(process.execPath, [join(PROJECT_ROOT, 'scripts/bundle-cli.mjs')], { cwd: PROJECT_ROOT });
}

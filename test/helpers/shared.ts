// Access to ../shared (test data we did not write). Tests that need it skip, saying so, when absent.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SHARED_DIR = join(PROJECT_ROOT, '..', 'shared');
export const HAVE_SHARED = existsSync(join(SHARED_DIR, 'data'));

if (!HAVE_SHARED) {
  // Printed once per test file that imports this, so a skipped suite never looks like a pass.
  console.warn(`[portcullis tests] ${SHARED_DIR} is absent: suites that read shared test data are skipped`);
}

/** Absolute path of a file under ../shared. */
export function shared(...parts: string[]): string {
  return join(SHARED_DIR, ...parts);
}

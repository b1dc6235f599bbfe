// package.json `files`: every entry names something the package really ships (npm would silently
// publish without a missing one). dist/ is built by `npm run build`, so it is not required here.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { PROJECT_ROOT } from './helpers/shared.js';

it('package.json files lists only paths that exist (dist aside)', () => {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { files: string[] };
  const missing = pkg.files.filter((f) => f !== 'dist' && !existsSync(join(PROJECT_ROOT, f)));
  expect(missing).toEqual([]);
});

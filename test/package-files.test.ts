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

it('the image build has every script the bundle build imports (Containerfile, .dockerignore, the image fixture key)', async () => {
  const { BUILD_SCRIPTS } = await import('./fixtures/portcullis-image.js');
  // The bundle script and the local modules it imports, transitively (scripts/*.mjs).
  const needed = new Set<string>();
  const visit = (file: string): void => {
    if (needed.has(file)) return;
    needed.add(file);
    for (const m of readFileSync(join(PROJECT_ROOT, file), 'utf8').matchAll(/from '\.\/([\w-]+\.mjs)'/g)) visit(`scripts/${m[1]}`);
  };
  visit('scripts/bundle-cli.mjs');
  // warm-cli-cache.mjs is run by the bundle script as a child, not imported.
  expect(readFileSync(join(PROJECT_ROOT, 'scripts/bundle-cli.mjs'), 'utf8')).toContain('warm-cli-cache.mjs');
  needed.add('scripts/warm-cli-cache.mjs');
  const copied = /^COPY (scripts\/.*) \.\/scripts\/$/m.exec(readFileSync(join(PROJECT_ROOT, 'Containerfile'), 'utf8'))?.[1]?.split(' ') ?? [];
  const allowed = readFileSync(join(PROJECT_ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l.startsWith('!scripts/')).map((l) => l.slice(1));
  expect([...copied].sort()).toEqual([...needed].sort());
  expect([...allowed].sort()).toEqual([...needed].sort());
  expect([...BUILD_SCRIPTS].sort()).toEqual([...needed].sort());
});

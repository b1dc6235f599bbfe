// The README's set-up section stays true to what `npm ci` does: better-sqlite3 is the one native
// dependency, its install falls back to compiling with node-gyp, and the section says what that
// needs (a C++ toolchain, make, python3) for the version the lockfile pins.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/shared.js';

const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
const setup = readme.slice(readme.indexOf('## Set-up'), readme.indexOf('\n## ', readme.indexOf('## Set-up') + 1));
const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const installed = JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string; scripts: Record<string, string> };

describe('README set-up', () => {
  it('names the toolchain a from-source build of better-sqlite3 needs, with the Debian packages', () => {
    for (const word of ['better-sqlite3', 'build-essential', 'python3', 'g++', 'make', 'gyp ERR!', 'nodedir']) expect(setup, word).toContain(word);
    expect(setup).toMatch(/\d+ s\s+user \+ \d+ s system CPU time/);
  });

  it('is about the better-sqlite3 the project installs, whose install script does fall back to node-gyp', () => {
    expect(installed.version).toBe(pkg.dependencies['better-sqlite3']);
    expect(setup).toContain(`better-sqlite3 ${installed.version}`);
    expect(installed.scripts.install).toMatch(/prebuild-install \|\| node-gyp rebuild/);
  });
});

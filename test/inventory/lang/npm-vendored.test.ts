// package.json files inside installed packages' trees, from a real `npm install`: a vendored copy
// of another package is inventoried (as Trivy's image scan reports it), build-output manifests
// (`{"type":"module"}`, or a copy of the package's own manifest under dist/) are not packages.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { npmCataloger } from '../../../src/inventory/lang/index.js';
import { cachedFixture } from '../../fixtures/cache.js';
import { nv, run, walkedFromDisk } from './helpers.js';
import { walkDir } from './walk-dir.js';

const THIS = fileURLToPath(import.meta.url);
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });


describe('package.json files nested inside installed packages (real npm install)', () => {
  it('vendored copies are packages; build-output manifests and copies of the own manifest are not', async () => {
    // github-from-package ships example/package.json (beep-boop@1.2.3); fast-uri benchmark/package.json
    // (benchmark@1.0.0, private); tslib modules/package.json ({"type":"module"}); @redis/client
    // dist/package.json (a copy of its own manifest).
    const dir = await cachedFixture('lang-npm-nested', [THIS], async (d) => {
      sh('npm', ['install', '--prefix', d, '--no-audit', '--no-fund', 'github-from-package@0.0.0', 'fast-uri@3.1.9', 'tslib@2.9.1', '@redis/client@6.4.0']);
      writeFileSync(join(d, 'npm-ls.json'), sh('npm', ['ls', '--json', '--all', '--prefix', d]));
    });
    const nm = join(dir, 'node_modules');
    // The files under test exist as described (else the fixture changed under us).
    expect(JSON.parse(readFileSync(join(nm, 'github-from-package/example/package.json'), 'utf8'))).toMatchObject({ name: 'beep-boop', version: '1.2.3' });
    expect(JSON.parse(readFileSync(join(nm, 'fast-uri/benchmark/package.json'), 'utf8'))).toMatchObject({ name: 'benchmark', version: '1.0.0' });
    expect(JSON.parse(readFileSync(join(nm, 'tslib/modules/package.json'), 'utf8'))).toEqual({ type: 'module' });
    const redis = JSON.parse(readFileSync(join(nm, '@redis/client/package.json'), 'utf8')) as { version: string };
    expect(JSON.parse(readFileSync(join(nm, '@redis/client/dist/package.json'), 'utf8'))).toMatchObject({ name: '@redis/client', version: redis.version });

    const ls = JSON.parse(readFileSync(join(dir, 'npm-ls.json'), 'utf8')) as { dependencies?: Record<string, { version: string; dependencies?: unknown }> };
    const installed = new Set<string>();
    const visit = (deps: Record<string, { version: string; dependencies?: unknown }> | undefined) => {
      for (const [n, v] of Object.entries(deps ?? {})) {
        // npm ls also names optional peers that are not installed (no version): not on disk.
        if (v.version !== undefined) installed.add(`${n}@${v.version}`);
        visit(v.dependencies as Record<string, { version: string }>);
      }
    };
    visit(ls.dependencies);

    const files = walkDir(nm, '/srv/app/node_modules').map((f) => walkedFromDisk(f.image, f.disk));
    const { packages, warnings } = await run(npmCataloger, files);
    expect(warnings).toEqual([]);
    expect(new Set(packages.map(nv))).toEqual(new Set([...installed, 'beep-boop@1.2.3', 'benchmark@1.0.0']));
    expect(packages.find((p) => p.name === 'beep-boop')!.path).toBe('/srv/app/node_modules/github-from-package/example/package.json');
    expect(packages.filter((p) => p.name === '@redis/client').map((p) => p.path)).toEqual(['/srv/app/node_modules/@redis/client/package.json']);
  }, 180_000);
});

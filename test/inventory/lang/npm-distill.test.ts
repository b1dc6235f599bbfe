// The npm cataloger's distill(): what the walk keeps of an installed package.json (its identity,
// licence field and dependency names) gives parse() the same packages, dev flags, dependency edges,
// warnings and unread files as the whole files do, on this repo's real node_modules and on broken
// manifests and lockfiles. A lockfile's name given by a link to a reduced manifest is reported unread.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WalkedFile } from '../../../src/inventory/cataloger.js';
import { npmCataloger } from '../../../src/inventory/lang/index.js';
import { PROJECT_ROOT } from '../../helpers/shared.js';
import { context, walked, walkedFromDisk } from './helpers.js';
import { walkDir } from './walk-dir.js';

const text = (s: string) => Buffer.from(s, 'utf8');

/** Parses `files` as the view gives them: whole, or (distilled) as distill() kept them. */
async function parse(files: WalkedFile[], distilled: boolean) {
  const ctx = context();
  const unread: string[] = [];
  ctx.unreadable = (f, code, reason) => unread.push(`${f.path} ${code} ${reason}`);
  const wanted = files.filter((f) => npmCataloger.wants(f.path, f.size));
  const input = distilled ? await Promise.all(wanted.map(async (f) => ({ ...f, data: (await npmCataloger.distill!(f.path, f.data))!, distilled: true }))) : wanted;
  const packages = await npmCataloger.parse(input, ctx);
  return { packages, warnings: ctx.warnings, unread, bytes: input.reduce((n, f) => n + f.data.length, 0) };
}

describe('npm distill()', () => {
  it('real node_modules and broken files: the same inventory from the distilled files, in a fraction of the bytes', async () => {
    const real = walkDir(join(PROJECT_ROOT, 'node_modules'), '/srv/app/node_modules').map((f) => walkedFromDisk(f.image, f.disk));
    const broken = [
      walked('/srv/bad/node_modules/broken/package.json', text('{"name": "broken", ')),
      walked('/srv/bad/node_modules/array/package.json', text('[1, 2]')),
      walked('/srv/bad/node_modules/ok/package.json', text('\ufeff{"version": "1.0.0", "license": null, "licenses": [{"type": "MIT"}, "ISC"], "optionalDependencies": {"array": "*", "opt": "*"}, "dependencies": {"lic": "^2"}}')),
      walked('/srv/bad/node_modules/ok/test/fixture/package.json', text('{not json')),
      walked('/srv/bad/node_modules/opt/package.json', text('{"name": "opt", "version": "3.0.0"}')),
      walked('/srv/bad/node_modules/lic/package.json', text('{"name": "lic", "version": "2.0.0", "license": {"type": "Apache-2.0"}}')),
      walked('/srv/bad/node_modules/.package-lock.json', text('{"packages": {"node_modules/ok": {"version": "1.0.0", "dev": true}, ')),
      walked('/srv/dev/node_modules/.package-lock.json', text('{"packages": {"node_modules/d": {"version": "1.0.0", "dev": true}, "node_modules/e": {"link": true, "resolved": "e"}}}')),
      walked('/srv/dev/node_modules/d/package.json', text('{"name": "d", "version": "1.0.0"}')),
      walked('/srv/lockonly/package-lock.json', readFileSync(join(PROJECT_ROOT, 'package-lock.json'))),
    ];
    const files = [...real, ...broken];
    const whole = await parse(files, false);
    const kept = await parse(files, true);
    expect(kept.packages).toEqual(whole.packages);
    expect(kept.warnings).toEqual(whole.warnings);
    expect(kept.unread).toEqual(whole.unread);
    // The cases are what they claim: packages of every kind, and each broken file reported.
    const installed = whole.packages.filter((p) => p.path.startsWith('/srv/app/'));
    expect(installed.length).toBeGreaterThan(300);
    expect(installed.filter((p) => p.dependsOn && p.dependsOn.length > 0).length).toBeGreaterThan(50);
    expect(whole.packages.filter((p) => p.path === '/srv/lockonly/package-lock.json').length).toBeGreaterThan(300);
    expect(whole.packages.find((p) => p.name === 'ok')).toMatchObject({ version: '1.0.0', licenses: ['MIT', 'ISC'], dependsOn: ['pkg:npm/lic@2.0.0', 'pkg:npm/opt@3.0.0'] });
    expect(whole.packages.find((p) => p.name === 'd')).toMatchObject({ dev: true });
    expect([...whole.unread].sort()).toEqual([
      expect.stringMatching(/^\/srv\/bad\/node_modules\/.package-lock.json malformed not valid JSON \(1:\d+: /),
      expect.stringMatching(/^\/srv\/bad\/node_modules\/array\/package.json malformed not a JSON object$/),
      expect.stringMatching(/^\/srv\/bad\/node_modules\/broken\/package.json malformed not valid JSON \(1:\d+: /),
    ]);
    // What the walk keeps (and a layer cache stores) of the real manifests: a small part of them.
    const [rawManifests, keptManifests] = await Promise.all([parse(real.filter((f) => f.path.endsWith('/package.json')), false), parse(real.filter((f) => f.path.endsWith('/package.json')), true)]);
    expect(keptManifests.bytes).toBeLessThan(rawManifests.bytes / 3);
  }, 120_000);

  it("a link that gives a reduced manifest a lockfile's name: reported unread, never read as an empty lockfile", async () => {
    const manifest = walked('/srv/app/node_modules/x/package.json', text('{"name": "x", "version": "1.0.0"}'));
    const reduced = (await npmCataloger.distill!(manifest.path, manifest.data))!;
    // What the view gives for /srv/other/package-lock.json -> /srv/app/node_modules/x/package.json.
    const ctx = context();
    const unread: string[] = [];
    ctx.unreadable = (f, code) => unread.push(`${f.path} ${code}`);
    const packages = await npmCataloger.parse([{ ...manifest, path: '/srv/other/package-lock.json', data: reduced, distilled: true }], ctx);
    expect(packages).toEqual([]);
    expect(unread).toEqual(['/srv/other/package-lock.json unreadable']);
    expect(ctx.warnings.map((w) => w.code)).toEqual(['npm.lockfile']);
  });
});

// Every fixture under ../shared/data/pkgdb/lang gives the packages its expected.json lists
// (trivy's Name/Version, +dev), up to the deliberate differences listed here with reasons.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import type { Cataloger } from '../../../src/inventory/cataloger.js';
import { goBinaryCataloger, javaArchiveCataloger, npmCataloger, pythonCataloger } from '../../../src/inventory/lang/index.js';
import { HAVE_SHARED, shared } from '../../helpers/shared.js';
import { nv, run, walkedFromDisk } from './helpers.js';
import { CATALOGERS } from '../../../src/inventory/registry.js';

const LANG = shared('data', 'pkgdb', 'lang');

/** Formats we do not catalog: project manifests/lockfiles of build tools, not installed state. */
const NOT_SUPPORTED: Record<string, string> = {
  pip: 'requirements.txt lists ranges a build may resolve differently; installed dist-info is the truth in an image',
  poetry: 'poetry.lock is a build-time lockfile; the installed dist-info in site-packages is catalogued instead',
  pipenv: 'Pipfile.lock is a build-time lockfile; the installed dist-info is catalogued instead',
  uv: 'uv.lock is a build-time lockfile; the installed dist-info is catalogued instead',
  gomod: 'go.mod/go.sum are sources; images ship the compiled binary, whose buildinfo is catalogued',
};

/** Cases whose expectation needs trivy's (mocked) Maven Central lookup: no network here. */
const NOT_APPLICABLE: Record<string, string> = {
  'jar/trivy-test.jar': 'trivy finds spring-core 5.3.3 by a sha1 search on Maven Central; offline we read the manifest',
  'jar/trivy-heuristic-1.0.0-snapshot.jar': 'trivy finds the groupId com.example by an artifactId search on Maven Central',
};

/** Where each fixture's file sits in an image, and which cataloger reads it. */
function placement(eco: string, file: string): { imagePath: string; cataloger: Cataloger } {
  switch (eco) {
    case 'npm':
    case 'yarn':
    case 'pnpm':
      return { imagePath: `/app/${file}`, cataloger: npmCataloger };
    case 'python-packaging':
      if (file === 'METADATA') return { imagePath: '/usr/lib/python3/site-packages/pkg-1.0.dist-info/METADATA', cataloger: pythonCataloger };
      if (file === 'PKG-INFO') return { imagePath: '/usr/lib/python3/site-packages/pkg-1.0.egg-info/PKG-INFO', cataloger: pythonCataloger };
      return { imagePath: `/usr/lib/python3/site-packages/${file}`, cataloger: pythonCataloger };
    case 'gobinary':
      return { imagePath: `/usr/local/bin/${file}`, cataloger: goBinaryCataloger };
    case 'jar':
      return { imagePath: `/opt/app/${file}`, cataloger: javaArchiveCataloger };
  }
  throw new Error(`no placement for ${eco}`);
}

/**
 * Deliberate differences from trivy, asserted exactly: [fixture, missing from ours, extra in ours].
 */
const DIFFERENCES: Record<string, { missing: string[]; extra: string[]; reason: string }> = {
  'pnpm/trivy-pnpm-lock_v9_same-vers-diff-peers.yaml': {
    missing: ['jest-pnp-resolver@1.2.3 (dev)'],
    extra: [],
    reason: 'one package per name@version: the copy a production dependency reaches makes it non-dev',
  },
};

interface Expected {
  name: string;
  version: string;
  dev?: boolean;
}

const fixtures = HAVE_SHARED
  ? readdirSync(LANG).flatMap((eco) => readdirSync(join(LANG, eco)).map((d) => ({ eco, dir: d, key: `${eco}/${d}` })))
  : [];

describe.skipIf(!HAVE_SHARED)('language fixtures from ../shared/data/pkgdb/lang', () => {
  it('covers every fixture directory (supported, unsupported or not applicable)', () => {
    expect(fixtures.length).toBe(76);
  });

  for (const { eco, dir, key } of fixtures) {
    const source = HAVE_SHARED ? JSON.parse(readFileSync(join(LANG, eco, dir, 'SOURCE.json'), 'utf8')) as { case: string; files: { path: string }[] } : undefined;
    if (NOT_SUPPORTED[eco]) {
      // Not catalogued on purpose (the reason is the test name): no cataloger may claim the file
      // either, so support cannot appear without a conformance test of its own.
      it(`${key} is not catalogued: ${NOT_SUPPORTED[eco]}`, () => {
        for (const f of source!.files) {
          const imagePath = `/app/${f.path}`;
          const claimed = CATALOGERS.filter((c) => c.kind === 'language' && c.wants(imagePath, 1024)).map((c) => c.name);
          expect(claimed, imagePath).toEqual([]);
        }
      });
      continue;
    }
    it(`${key} (${source?.case})`, async () => {
      const expected = (JSON.parse(readFileSync(join(LANG, eco, dir, 'expected.json'), 'utf8')) as Expected[]).map((e) => nv({ ...e, dev: e.dev === true }));
      const main = source!.files[0]!.path;
      const { imagePath, cataloger } = placement(eco, main);
      const file = walkedFromDisk(imagePath, join(LANG, eco, dir, main));
      expect(cataloger.wants(file.path, file.size)).toBe(true);
      const { packages, warnings } = await run(cataloger, [file]);
      for (const p of packages) {
        expect(p.path.startsWith(imagePath)).toBe(true);
        expect(p.purl.startsWith(`pkg:${p.type}/`)).toBe(true);
        expect(p.foundBy).toBe(cataloger.name);
      }
      const ours = packages.map(nv);
      const missing = [...new Set(expected.filter((e) => !ours.includes(e)))].sort();
      const extra = [...new Set(ours.filter((o) => !expected.includes(o)))].sort();
      if (NOT_APPLICABLE[key]) {
        // Still parsed without a warning; the name/version differ for the reason given.
        expect(warnings).toEqual([]);
        expect(missing.length).toBeGreaterThan(0);
        return;
      }
      if (eco === 'pnpm' && !/lockfileVersion: '?9/.test(file.data.toString('utf8'))) {
        // trivy drops dev packages of pnpm v5/v6 locks; we report them flagged. Each extra must be a
        // `dev: true` entry of the lock itself.
        const lock = yaml.load(file.data.toString('utf8')) as { packages: Record<string, { dev?: boolean }> };
        const devKeys = Object.entries(lock.packages).filter(([, v]) => v.dev === true).map(([k]) => k);
        for (const x of extra) {
          const [, name, version] = /^(.+)@([^@ ]+) \(dev\)$/.exec(x) ?? [];
          expect(devKeys.some((k) => k.startsWith(`/${name}/${version}`) || k.startsWith(`/${name}@${version}`)), x).toBe(true);
        }
        expect(missing).toEqual([]);
        expect(extra.length).toBe(new Set(devKeys.map((k) => k.replace(/[_(].*$/, ''))).size);
        return;
      }
      const diff = DIFFERENCES[key] ?? { missing: [], extra: [] };
      expect({ missing, extra }).toEqual({ missing: diff.missing, extra: diff.extra });
      expect(warnings).toEqual([]);
    });
  }
});

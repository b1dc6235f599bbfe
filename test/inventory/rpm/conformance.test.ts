// Every rpm fixture of the shared pkgdb set: the packages its upstream test expects must be ours.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAVE_SHARED, shared } from '../../helpers/shared.js';
import { catalog, walked } from './support.js';

interface Fixture {
  kind: string;
  dir: string;
  files: Array<{ path: string }>;
  expected: string | null;
}
interface Expected {
  name: string;
  version: string;
  sourceName: string;
  sourceVersion: string;
  arch: string;
  sourceRpm?: string;
}

const fixtures: Fixture[] = HAVE_SHARED
  ? (JSON.parse(readFileSync(shared('data/pkgdb/index.json'), 'utf8')) as Fixture[]).filter((f) => f.kind === 'rpm')
  : [];

/** Our sourceVersion carries the binary epoch (see to-package.ts); the fixtures' does not. */
const withoutEpoch = (v: string | undefined): string | undefined => v?.replace(/^\d+:/, '');

describe.skipIf(!HAVE_SHARED)('rpm cataloger conformance (shared pkgdb fixtures)', () => {
  it('finds all five rpm fixtures in the index', () => {
    expect(fixtures.length).toBe(5);
  });

  for (const fx of fixtures) {
    it(fx.dir, async () => {
      const base = shared('data/pkgdb', fx.dir);
      const files = fx.files.map((f) => walked(`/${f.path}`, readFileSync(join(base, f.path))));
      const { packages, warnings } = await catalog(files);
      expect(warnings).toEqual([]);
      const ours = packages.map((p) => ({
        name: p.name,
        version: p.version,
        arch: p.arch,
        sourceName: p.sourceName,
        sourceVersion: withoutEpoch(p.sourceVersion),
      }));
      const full = fx.expected ? join(base, fx.expected) : join(base, 'expected.derived.json');
      const partial = join(base, 'expected.partial.json');
      const project = (e: Expected) => ({
        name: e.name,
        version: e.version,
        arch: e.arch,
        sourceName: e.sourceName,
        sourceVersion: e.sourceVersion,
      });
      if (existsSync(full)) {
        const exp = (JSON.parse(readFileSync(full, 'utf8')) as Expected[]).map(project);
        // The fixture notes call these lists complete except osv-scalibr's (a leading subset).
        if (fx.dir.includes('osv-scalibr')) expect(ours).toEqual(expect.arrayContaining(exp));
        else expect(ours).toEqual(exp);
      }
      if (existsSync(partial)) {
        const exp = (JSON.parse(readFileSync(partial, 'utf8')) as Expected[]).map(project);
        expect(ours).toEqual(expect.arrayContaining(exp));
      }
      for (const e of JSON.parse(readFileSync(existsSync(full) ? full : partial, 'utf8')) as Expected[]) {
        if (!e.sourceRpm) continue;
        const p = packages.find((x) => x.name === e.name && x.version === e.version);
        expect(`${p?.sourceName}-${withoutEpoch(p?.sourceVersion)}.src.rpm`).toBe(e.sourceRpm);
      }
      for (const p of packages) {
        expect(p.type).toBe('rpm');
        expect(p.path).toBe(files[0]?.path);
        expect(p.foundBy).toBe('rpm-db');
      }
    });
  }
});

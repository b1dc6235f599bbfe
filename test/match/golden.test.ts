// osv.dev's own answers (recorded by osv-scanner) for packages whose records we hold: our matcher,
// over our DB built from the same records, must report at least those vulnerabilities.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchPackages } from '../../src/match/matcher.js';
import type { Package, PackageType } from '../../src/model/package.js';
import { importFiles, openLocalDb, type LocalDb } from '../../src/vulndb/index.js';
import { HAVE_SHARED, shared } from '../helpers/shared.js';

interface Pair {
  ecosystem?: string;
  name?: string;
  version?: string;
  vulns: string[];
}

const TYPE: Record<string, PackageType> = {
  Go: 'golang', Maven: 'maven', PyPI: 'pypi', npm: 'npm', 'crates.io': 'cargo', RubyGems: 'gem', NuGet: 'nuget', Packagist: 'composer',
};

function packageFor(p: Required<Omit<Pair, 'vulns'>>): Package | undefined {
  const base = p.ecosystem.split(':')[0];
  const type: PackageType | undefined = TYPE[base] ?? (base === 'Ubuntu' || base === 'Debian' ? 'deb' : base === 'Alpine' ? 'apk' : undefined);
  if (!type) return undefined;
  return {
    name: p.name, version: p.version, type, ecosystem: p.ecosystem, purl: `pkg:${type}/${p.name}@${p.version}`,
    sourceName: p.name, sourceVersion: p.version, path: '/golden', layer: { index: 0, digest: '', diffId: '' }, foundBy: 'golden',
  };
}

describe.skipIf(!HAVE_SHARED)('golden osv.dev answers (pairs-with-local-records)', () => {
  let dir: string;
  let db: LocalDb;
  const pairs: Pair[] = HAVE_SHARED
    ? readFileSync(shared('data/osv/osv-scanner-golden/pairs-with-local-records.jsonl'), 'utf8')
        .split('\n').filter(Boolean).map((l) => JSON.parse(l) as Pair)
    : [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-golden-'));
    await importFiles(join(dir, 'db.sqlite'), [shared('data/osv')], { warn: () => {} });
    db = openLocalDb(join(dir, 'db.sqlite'));
  }, 600_000);
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('covers every pair that names a package we can match', () => {
    const usable = pairs.filter((p) => p.ecosystem && p.name && p.version && packageFor(p as Required<Pair>));
    // 40 pairs in all; the commit-only and SwiftURL ones have no package ecosystem we catalog.
    expect(usable.length).toBeGreaterThanOrEqual(35);
  });

  for (const pair of pairs) {
    if (!pair.ecosystem || !pair.name || !pair.version) continue;
    const pkg = packageFor(pair as Required<Pair>);
    if (!pkg) continue;
    it(`${pair.ecosystem} ${pair.name}@${pair.version}`, async () => {
      const { findings } = await matchPackages([pkg], db);
      const ours = new Set(findings.flatMap((f) => [f.id, ...f.aliases, ...f.records]));
      // Only the answered ids whose records we hold can be expected (the file is built that way).
      // osv.dev serves Ubuntu's records as UBUNTU-CVE-…; Canonical's repository names them CVE-….
      const local = (id: string) => id.replace(/^UBUNTU-(CVE-)/, '$1');
      const held = pair.vulns.filter((id) => db.modifiedOf(local(id)) !== undefined || ours.has(local(id)));
      const missing = held.filter((id) => !ours.has(local(id)));
      expect(missing, `osv.dev reported ${missing.join(', ')} for ${pkg.name}@${pkg.version}`).toEqual([]);
      expect(held.length).toBeGreaterThan(0);
    });
  }
});

// Real rpm databases built by rpmbuild + rpm (see build-rpm-root.ts): what the cataloger reads
// from every backend must be exactly what real rpm lists (gpg-pubkey excepted, by design).
import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rpmCataloger } from '../../../src/inventory/rpm/cataloger.js';
import type { Package } from '../../../src/model/package.js';
import { buildRpmRoot, rpmDbFixtures, variantBytes, VARIANTS, type RpmQa } from './build-rpm-root.js';
import { catalog, LAYER, walked } from './support.js';

const ALMA = { id: 'almalinux', versionId: '9.4', detectedFrom: '/etc/os-release' };

let dir = '';
let rpmSaw: Record<string, RpmQa[]> = {};

beforeAll(async () => {
  ({ dir, rpmSaw } = await rpmDbFixtures());
});

/** rpm's view turned into the fields we emit, sorted for comparison (db orders differ). */
function expectedFrom(qa: RpmQa[]) {
  return qa
    .filter((q) => q.name !== 'gpg-pubkey')
    .map((q) => {
      const e = q.epoch !== undefined ? `${q.epoch}:` : '';
      const m = /^(.+)-([^-]+)-([^-]+)\.src\.rpm$/.exec(q.sourceRpm);
      return {
        name: q.name,
        version: `${e}${q.version}-${q.release}`,
        epoch: q.epoch,
        arch: q.arch,
        sourceName: m?.[1],
        sourceVersion: `${e}${m?.[2]}-${m?.[3]}`,
        licenses: [q.license],
        modularityLabel: q.modularityLabel,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function ours(pkgs: Package[]) {
  return pkgs
    .map((p) => ({
      name: p.name,
      version: p.version,
      epoch: p.epoch,
      arch: p.arch,
      sourceName: p.sourceName,
      sourceVersion: p.sourceVersion,
      licenses: p.licenses,
      modularityLabel: p.modularityLabel,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe('rpm cataloger on real rpm databases', () => {
  it("the fixture really exercises epoch, noarch, a foreign sourcerpm, a modularity label and gpg-pubkey", () => {
    const qa = rpmSaw.sqlite ?? [];
    expect(qa.some((q) => q.epoch === 3)).toBe(true);
    expect(qa.some((q) => q.arch === 'noarch')).toBe(true);
    expect(qa.some((q) => !q.sourceRpm.startsWith(`${q.name}-`))).toBe(true);
    expect(qa.some((q) => q.modularityLabel)).toBe(true);
    expect(qa.some((q) => q.name === 'gpg-pubkey')).toBe(true);
  });

  it('the BerkeleyDB variants really differ in byte order and item placement', () => {
    const pageTypes = (b: Buffer, pageSize: number) => Array.from({ length: b.length / pageSize }, (_, i) => b[i * pageSize + 25]);
    const le = variantBytes(dir, 'bdbLe');
    const be = variantBytes(dir, 'bdbBe');
    const big = variantBytes(dir, 'bdbLe64k');
    expect(le.readUInt32LE(12)).toBe(0x061561);
    expect(be.readUInt32BE(12)).toBe(0x061561);
    // 4 KiB pages: headers live in overflow chains (page type 7), one of them several pages long.
    expect(pageTypes(le, 4096).filter((t) => t === 7).length).toBeGreaterThanOrEqual(5);
    // 64 KiB pages: every header fits inline on a hash page.
    expect(pageTypes(big, 65536).filter((t) => t === 7).length).toBe(0);
  });

  const cases: Array<[string, keyof typeof VARIANTS, string, string]> = [
    ['SQLite (what Debian rpm writes)', 'sqlite', '/var/lib/rpm/rpmdb.sqlite', 'sqlite'],
    ['BerkeleyDB hash, little-endian, 4 KiB pages (overflow chains)', 'bdbLe', '/var/lib/rpm/Packages', 'bdbLe'],
    ['BerkeleyDB hash, big-endian, 4 KiB pages', 'bdbBe', '/var/lib/rpm/Packages', 'bdbBe'],
    ['BerkeleyDB hash, 64 KiB pages (inline items)', 'bdbLe64k', '/var/lib/rpm/Packages', 'bdbLe64k'],
    ['NDB', 'ndb', '/usr/lib/sysimage/rpm/Packages.db', 'sqlite'],
  ];
  for (const [title, variant, path, rpmView] of cases) {
    it(`${title} matches rpm -qa`, async () => {
      const { packages, warnings } = await catalog([walked(path, variantBytes(dir, variant))], ALMA, 'AlmaLinux:9');
      expect(warnings).toEqual([]);
      const want = expectedFrom(rpmSaw[rpmView] ?? []);
      expect(want.length).toBe(3);
      expect(ours(packages)).toEqual(want);
    });
  }

  it('fills the remaining Package fields and the purl', async () => {
    const { packages } = await catalog([walked('/var/lib/rpm/rpmdb.sqlite', variantBytes(dir, 'sqlite'))], ALMA, 'AlmaLinux:9');
    const epoch = packages.find((p) => p.name === 'portcullis-epoch');
    expect(epoch).toMatchObject({
      type: 'rpm',
      ecosystem: 'AlmaLinux:9',
      path: '/var/lib/rpm/rpmdb.sqlite',
      layer: LAYER,
      foundBy: 'rpm-db',
      purl: 'pkg:rpm/almalinux/portcullis-epoch@1.2.3-4.el9?arch=x86_64&distro=almalinux-9.4&epoch=3',
    });
    const noarch = packages.find((p) => p.name === 'portcullis-noarch');
    expect(noarch?.purl).toBe('pkg:rpm/almalinux/portcullis-noarch@0.9-1.el9?arch=noarch&distro=almalinux-9.4');
    expect(noarch?.epoch).toBeUndefined();
    // No OS detected: vendor falls back to redhat and there is no distro qualifier.
    const bare = await catalog([walked('/var/lib/rpm/rpmdb.sqlite', variantBytes(dir, 'sqlite'))]);
    expect(bare.packages.find((p) => p.name === 'portcullis-noarch')?.purl).toBe('pkg:rpm/redhat/portcullis-noarch@0.9-1.el9?arch=noarch');
  });

  it('folds committed WAL frames that were never checkpointed, as rpm does', async () => {
    const db = variantBytes(dir, 'walDb');
    const wal = variantBytes(dir, 'walLog');
    const withWal = await catalog([walked('/var/lib/rpm/rpmdb.sqlite', db), walked('/var/lib/rpm/rpmdb.sqlite-wal', wal)]);
    expect(withWal.warnings).toEqual([]);
    expect(ours(withWal.packages)).toEqual(expectedFrom(rpmSaw.wal ?? []));
    expect(withWal.packages.map((p) => p.name)).toContain('portcullis-late');
    // The db file alone predates the last transaction.
    const alone = await catalog([walked('/var/lib/rpm/rpmdb.sqlite', db)]);
    expect(alone.packages.map((p) => p.name)).not.toContain('portcullis-late');
    expect(alone.packages.length).toBe(3);
    // A WAL cut mid-frame loses only the uncommitted tail: here the one transaction.
    const cut = await catalog([walked('/var/lib/rpm/rpmdb.sqlite', db), walked('/var/lib/rpm/rpmdb.sqlite-wal', wal.subarray(0, wal.length - 10))]);
    expect(cut.packages.map((p) => p.name)).not.toContain('portcullis-late');
    expect(cut.packages.length).toBe(3);
  });

  it('reads the sysimage directory first and lists a package found in both dirs once', async () => {
    const files = [
      walked('/usr/lib/sysimage/rpm/rpmdb.sqlite', variantBytes(dir, 'sqlite')),
      walked('/var/lib/rpm/Packages', variantBytes(dir, 'bdbLe')),
    ];
    const { packages } = await catalog(files);
    expect(packages.length).toBe(3);
    expect(new Set(packages.map((p) => p.path))).toEqual(new Set(['/usr/lib/sysimage/rpm/rpmdb.sqlite']));
  });

  it('wants exactly the rpm db files', () => {
    for (const d of ['/var/lib/rpm', '/usr/lib/sysimage/rpm']) {
      for (const f of ['Packages', 'Packages.db', 'rpmdb.sqlite', 'rpmdb.sqlite-wal']) expect(rpmCataloger.wants(`${d}/${f}`, 1)).toBe(true);
    }
    for (const p of ['/var/lib/rpm/Name', '/var/lib/rpm/rpmdb.sqlite-shm', '/root/var/lib/rpm/Packages', '/var/lib/dpkg/status']) {
      expect(rpmCataloger.wants(p, 1)).toBe(false);
    }
    expect(rpmCataloger.attribution).toBe('history');
    expect(rpmCataloger.kind).toBe('os');
  });

  it('buildRpmRoot writes an AlmaLinux 9 root with a real rpmdb', async () => {
    const root = mkdtempSync(join(tmpdir(), 'portcullis-rpmroot-'));
    try {
      const qa = await buildRpmRoot(root);
      expect(readFileSync(join(root, 'etc/os-release'), 'utf8')).toContain('ID="almalinux"');
      expect(existsSync(join(root, 'var/lib/rpm/rpmdb.sqlite'))).toBe(true);
      expect(qa.map((q) => q.name).sort()).toEqual(['gpg-pubkey', 'portcullis-epoch', 'portcullis-noarch', 'portcullis-src-libs']);
      const { packages } = await catalog([walked('/var/lib/rpm/rpmdb.sqlite', readFileSync(join(root, 'var/lib/rpm/rpmdb.sqlite')))], ALMA);
      expect(ours(packages)).toEqual(expectedFrom(qa));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

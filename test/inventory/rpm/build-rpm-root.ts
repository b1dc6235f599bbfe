// Builds REAL rpm databases for tests: trivial packages made with rpmbuild, installed with rpm into
// a temporary root (Debian's rpm writes the SQLite backend), then the same header blobs loaded into
// BerkeleyDB hash files with BerkeleyDB's own db5.3_load (both byte orders, two page sizes; real
// rpm reads them back through its bdb_ro backend), an NDB file (Debian's rpm has no ndb backend,
// so ndb-writer.ts lays the real blobs out in the ndb format), and an SQLite db whose last
// transaction is still only in its WAL.
//
// Exported for other helpers' image/scan tests:
//   buildRpmRoot(root: string): Promise<RpmQa[]>
//     writes a small AlmaLinux 9 root filesystem into the (existing, empty) directory `root`:
//     /etc/os-release (AlmaLinux 9.4) and a real rpmdb at /var/lib/rpm/rpmdb.sqlite (WAL folded)
//     holding the RPM_ROOT_PACKAGES below (portcullis-epoch 3:1.2.3-4.el9 x86_64, portcullis-noarch
//     0.9-1.el9 noarch, portcullis-src-libs 2.0.1-7.module_el9+12+abcd x86_64 from
//     portcullis-src-….src.rpm with a modularity label, and a gpg-pubkey pseudo-package that
//     catalogers must skip); returns what real `rpm -qa` reports for it (gpg-pubkey included).
//     Needs rpm, rpmbuild, sqlite3, python3 and db5.3_load (Debian package db5.3-util).
//   cachedRpmRoot(): Promise<{ root: string; packages: RpmQa[] }>
//     the same, built once per machine (cachedFixture), for read-only use.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedFixture } from '../../fixtures/cache.js';
import { writeNdb } from './ndb-writer.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const KEY_FILES = [fileURLToPath(import.meta.url), join(HERE, 'ndb-writer.ts')];

/** One line of `rpm -qa` in RPM_QF's format. */
export interface RpmQa {
  name: string;
  /** `%{EPOCH}`: undefined when the header has none. */
  epoch?: number;
  version: string;
  release: string;
  arch: string;
  sourceRpm: string;
  license: string;
  modularityLabel?: string;
}

const RPM_QF = '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{LICENSE}\\t%{MODULARITYLABEL}\\n';

interface Spec {
  file: string;
  text: string;
  defines?: string[];
}

// A description long enough to push that header over several 4 KiB BerkeleyDB overflow pages.
const LONG_DESCRIPTION = Array.from({ length: 300 }, (_, i) => `Line ${i} of a long description.`).join('\n');

const SPECS: Spec[] = [
  {
    file: 'epoch.spec',
    text: `Name: portcullis-epoch\nEpoch: 3\nVersion: 1.2.3\nRelease: 4.el9\nSummary: has an epoch\nLicense: MIT\n%description\nt\n%files\n`,
  },
  {
    file: 'noarch.spec',
    text: `Name: portcullis-noarch\nVersion: 0.9\nRelease: 1.el9\nSummary: noarch\nLicense: GPL-2.0-or-later\nVendor: Portcullis Test\nBuildArch: noarch\n%description\n${LONG_DESCRIPTION}\n%files\n`,
  },
  {
    // Only the subpackage is installed, so its SOURCERPM names a different package.
    file: 'src.spec',
    text: `Name: portcullis-src\nVersion: 2.0.1\nRelease: 7.module_el9+12+abcd\nSummary: source\nLicense: Apache-2.0 AND MIT\n%description\nt\n%package libs\nSummary: libs\n%description libs\nt\n%files\n%files libs\n`,
    defines: ['modularitylabel portcullis:2.0:9040020240101:abcdef12'],
  },
  {
    // Stands in for an imported signing key (rpm lists those as gpg-pubkey pseudo-packages).
    file: 'gpg-pubkey.spec',
    text: `Name: gpg-pubkey\nVersion: fd431d51\nRelease: 4ae0493b\nSummary: gpg(test key)\nLicense: pubkey\nBuildArch: noarch\n%description\nt\n%files\n`,
  },
  {
    // Installed only into the WAL variant's pending transaction.
    file: 'late.spec',
    text: `Name: portcullis-late\nVersion: 5\nRelease: 1\nSummary: late\nLicense: BSD-3-Clause\n%description\nt\n%files\n`,
  },
];

/** Packages installed by buildRpmRoot (portcullis-late stays out: it is the WAL's). */
export const RPM_ROOT_PACKAGES = ['portcullis-epoch', 'portcullis-noarch', 'portcullis-src-libs', 'gpg-pubkey'];

export const ALMALINUX_OS_RELEASE = `NAME="AlmaLinux"
VERSION="9.4 (Seafoam Ocelot)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.4 (Seafoam Ocelot)"
`;

function run(cmd: string, args: string[], input?: string | Buffer): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** rpmbuilds every spec into `out` and returns the paths of the binary rpms by package name. */
function buildRpms(out: string): Map<string, string> {
  const top = join(out, 'top');
  mkdirSync(join(top, 'SPECS'), { recursive: true });
  for (const spec of SPECS) {
    const path = join(top, 'SPECS', spec.file);
    writeFileSync(path, spec.text);
    const defs = [`_topdir ${top}`, ...(spec.defines ?? [])].flatMap((d) => ['--define', d]);
    run('rpmbuild', [...defs, '-bb', path]);
  }
  const rpms = new Map<string, string>();
  for (const arch of readdirSync(join(top, 'RPMS'))) {
    for (const f of readdirSync(join(top, 'RPMS', arch))) {
      const name = run('rpm', ['-qp', '--qf', '%{NAME}', join(top, 'RPMS', arch, f)]).trim();
      rpms.set(name, join(top, 'RPMS', arch, f));
    }
  }
  return rpms;
}

function rpmInstall(root: string, files: string[]): void {
  mkdirSync(join(root, 'var/lib/rpm'), { recursive: true });
  run('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '-i', '--nodeps', '--noscripts', ...files]);
  const db = join(root, 'var/lib/rpm/rpmdb.sqlite');
  run('sqlite3', [db, 'PRAGMA wal_checkpoint(TRUNCATE)']);
  // Keep only the db itself: shm / lock / an empty WAL are runtime leftovers.
  for (const f of ['rpmdb.sqlite-shm', 'rpmdb.sqlite-wal', '.rpm.lock']) rmSync(join(root, 'var/lib/rpm', f), { force: true });
}

/**
 * What real rpm lists for the db under `root` (`backend`: rpm's %_db_backend to read it with).
 * rpm runs on a scratch copy: opening a db creates lock/shm files and may checkpoint its WAL.
 */
export function rpmQa(root: string, dbpath = '/var/lib/rpm', backend?: string): RpmQa[] {
  const scratch = mkdtempSync(join(tmpdir(), 'portcullis-rpmqa-'));
  try {
    cpSync(join(root, dbpath), join(scratch, dbpath), { recursive: true });
    const args = ['--root', scratch, '--dbpath', dbpath, ...(backend ? ['--define', `_db_backend ${backend}`] : []), '-qa', '--qf', RPM_QF];
    const out = execFileSync('rpm', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [name = '', epoch = '', version = '', release = '', arch = '', sourceRpm = '', license = '', label = ''] = l.split('\t');
        const q: RpmQa = { name, version, release, arch, sourceRpm, license };
        if (epoch !== '(none)') q.epoch = Number(epoch);
        if (label !== '(none)') q.modularityLabel = label;
        return q;
      });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** `hnum`/blob pairs of an rpm sqlite db, read with the sqlite3 tool. */
function sqliteBlobs(db: string): Array<{ hnum: number; blob: Buffer }> {
  return run('sqlite3', ['-separator', ' ', db, 'SELECT hnum, hex(blob) FROM Packages ORDER BY hnum'])
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [h = '0', hex = ''] = l.split(' ');
      return { hnum: Number(h), blob: Buffer.from(hex, 'hex') };
    });
}

/** db5.3_load -T input: alternating key / data lines, every byte written as `\hh`. */
function dbLoadText(records: Array<{ key: Buffer; value: Buffer }>): string {
  const esc = (b: Buffer): string => Array.from(b, (x) => `\\${x.toString(16).padStart(2, '0')}`).join('');
  return records.map((r) => `${esc(r.key)}\n${esc(r.value)}\n`).join('');
}

/** Writes `blobs` into a BerkeleyDB hash `Packages` the way rpm keyed it (host-order header numbers). */
function writeBdb(path: string, blobs: Array<{ hnum: number; blob: Buffer }>, bigEndian: boolean, pageSize: number): void {
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    if (bigEndian) b.writeUInt32BE(n);
    else b.writeUInt32LE(n);
    return b;
  };
  // rpm's bookkeeping record: key 0 holds the next free header number.
  const records = [{ key: u32(0), value: u32(Math.max(0, ...blobs.map((b) => b.hnum)) + 1) }];
  for (const b of blobs) records.push({ key: u32(b.hnum), value: b.blob });
  mkdirSync(dirname(path), { recursive: true });
  run('db5.3_load', ['-T', '-t', 'hash', '-c', `db_lorder=${bigEndian ? 4321 : 1234}`, '-c', `db_pagesize=${pageSize}`, path], dbLoadText(records));
}

/**
 * Makes `dir/wal/var/lib/rpm/{rpmdb.sqlite,rpmdb.sqlite-wal}`: the db of `baseRoot` plus one more
 * package (the header of `extraRoot`'s only package) committed to the WAL and never checkpointed.
 */
function writeUnfoldedWal(dir: string, baseRoot: string, extraRoot: string): void {
  const target = join(dir, 'var/lib/rpm');
  mkdirSync(target, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'portcullis-wal-'));
  try {
    copyFileSync(join(baseRoot, 'var/lib/rpm/rpmdb.sqlite'), join(work, 'rpmdb.sqlite'));
    const py = `
import shutil, sqlite3, sys
work, extra, target = sys.argv[1:4]
con = sqlite3.connect(work + '/rpmdb.sqlite', isolation_level=None)
con.execute('PRAGMA journal_mode=WAL')
con.execute('PRAGMA wal_autocheckpoint=0')
src = sqlite3.connect(extra)
blob = src.execute('SELECT blob FROM Packages').fetchone()[0]
con.execute('INSERT INTO Packages(blob) VALUES (?)', (blob,))
# Copy while the connection is open: closing it would checkpoint the WAL into the db.
shutil.copyfile(work + '/rpmdb.sqlite', target + '/rpmdb.sqlite')
shutil.copyfile(work + '/rpmdb.sqlite-wal', target + '/rpmdb.sqlite-wal')
`;
    run('python3', ['-c', py, work, join(extraRoot, 'var/lib/rpm/rpmdb.sqlite'), target]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function buildRpmRoot(root: string): Promise<RpmQa[]> {
  const { dir } = await rpmDbFixtures();
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), ALMALINUX_OS_RELEASE);
  mkdirSync(join(root, 'var/lib/rpm'), { recursive: true });
  copyFileSync(join(dir, 'sqlite/var/lib/rpm/rpmdb.sqlite'), join(root, 'var/lib/rpm/rpmdb.sqlite'));
  return rpmQa(root);
}

export async function cachedRpmRoot(): Promise<{ root: string; packages: RpmQa[] }> {
  const { dir, expected } = await rpmDbFixtures();
  return { root: join(dir, 'sqlite'), packages: expected };
}

/** The db variants, each a root-like tree under the fixture dir. */
export const VARIANTS = {
  sqlite: 'sqlite/var/lib/rpm/rpmdb.sqlite',
  bdbLe: 'bdb-le/var/lib/rpm/Packages',
  bdbBe: 'bdb-be/var/lib/rpm/Packages',
  bdbLe64k: 'bdb-le-64k/var/lib/rpm/Packages',
  ndb: 'ndb/usr/lib/sysimage/rpm/Packages.db',
  walDb: 'wal/var/lib/rpm/rpmdb.sqlite',
  walLog: 'wal/var/lib/rpm/rpmdb.sqlite-wal',
} as const;

/** Builds (once per machine) every variant; `expected` = `rpm -qa` of the sqlite root. */
export async function rpmDbFixtures(): Promise<{ dir: string; expected: RpmQa[]; rpmSaw: Record<string, RpmQa[]> }> {
  const dir = await cachedFixture('rpmdb', KEY_FILES, async (out) => {
    const rpms = buildRpms(join(out, 'build'));
    const pick = (n: string): string => {
      const p = rpms.get(n);
      if (!p) throw new Error(`rpmbuild made no ${n}`);
      return p;
    };
    rpmInstall(join(out, 'sqlite'), RPM_ROOT_PACKAGES.map(pick));
    rpmInstall(join(out, 'late'), [pick('portcullis-late')]);
    mkdirSync(join(out, 'sqlite/etc'), { recursive: true });
    writeFileSync(join(out, 'sqlite/etc/os-release'), ALMALINUX_OS_RELEASE);
    const blobs = sqliteBlobs(join(out, VARIANTS.sqlite));
    writeBdb(join(out, VARIANTS.bdbLe), blobs, false, 4096);
    writeBdb(join(out, VARIANTS.bdbBe), blobs, true, 4096);
    writeBdb(join(out, VARIANTS.bdbLe64k), blobs, false, 65536);
    mkdirSync(dirname(join(out, VARIANTS.ndb)), { recursive: true });
    writeFileSync(join(out, VARIANTS.ndb), writeNdb(blobs.map((b) => b.blob)));
    writeUnfoldedWal(join(out, 'wal'), join(out, 'sqlite'), join(out, 'late'));
    rmSync(join(out, 'build'), { recursive: true, force: true });
    // What real rpm reads from each variant it can read, recorded once at build time.
    const seen: Record<string, RpmQa[]> = {
      sqlite: rpmQa(join(out, 'sqlite')),
      wal: rpmQa(join(out, 'wal')),
      bdbLe: rpmQa(join(out, 'bdb-le'), '/var/lib/rpm', 'bdb_ro'),
      bdbBe: rpmQa(join(out, 'bdb-be'), '/var/lib/rpm', 'bdb_ro'),
      bdbLe64k: rpmQa(join(out, 'bdb-le-64k'), '/var/lib/rpm', 'bdb_ro'),
    };
    writeFileSync(join(out, 'rpm-qa.json'), JSON.stringify(seen, null, 1));
  });
  const rpmSaw = JSON.parse(readFileSync(join(dir, 'rpm-qa.json'), 'utf8')) as Record<string, RpmQa[]>;
  return { dir, expected: rpmSaw.sqlite ?? [], rpmSaw };
}

/** Reads a variant file of the fixture dir. */
export function variantBytes(dir: string, variant: keyof typeof VARIANTS): Buffer {
  return readFileSync(join(dir, VARIANTS[variant]));
}

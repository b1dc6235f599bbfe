// The rpm cataloger: finds rpm databases (BerkeleyDB `Packages`, NDB `Packages.db`, SQLite
// `rpmdb.sqlite` + its WAL) under /var/lib/rpm and /usr/lib/sysimage/rpm, and lists the installed
// packages from their header blobs. Pure TypeScript: no rpm library needed at run time.
import { posix } from 'node:path';
import type { Cataloger, CatalogContext, WalkedFile } from '../cataloger.js';
import type { Package } from '../../model/package.js';
import type { DbReadResult } from './blobs.js';
import { looksLikeBdbHash, readBdbHash } from './bdb.js';
import { errorMessage } from '../../errors.js';
import { decodeHeader } from './header.js';
import { looksLikeNdb, readNdb } from './ndb.js';
import { looksLikeSqlite, readSqlite } from './sqlite.js';
import { rpmPackage } from './to-package.js';

const NAME = 'rpm-db';
const MAX_FILE_SIZE = 256 * 1024 * 1024;
// Newer Fedora/SUSE keep the db in /usr/lib/sysimage/rpm (listed first: it wins on duplicates).
const DB_DIRS = ['/usr/lib/sysimage/rpm', '/var/lib/rpm'];
// Within one directory rpm uses one backend; a leftover older-format file may sit beside the
// current one (after a backend conversion), so the newest format present is the one read.
const DB_FILES = ['rpmdb.sqlite', 'Packages.db', 'Packages'];
const WAL_FILE = 'rpmdb.sqlite-wal';
const WANTED = new Set(DB_DIRS.flatMap((d) => [...DB_FILES, WAL_FILE].map((f) => `${d}/${f}`)));

function readDb(file: WalkedFile, wal: WalkedFile | undefined): DbReadResult {
  const data = file.data;
  if (looksLikeSqlite(data) || (posix.basename(file.path) === 'rpmdb.sqlite' && wal)) {
    return readSqlite(data, wal?.data, MAX_FILE_SIZE);
  }
  if (looksLikeNdb(data)) return readNdb(data);
  if (looksLikeBdbHash(data)) return readBdbHash(data);
  return { blobs: [], problems: [data.length === 0 ? 'the rpm database is empty' : 'unknown rpm database format'] };
}

function parse(files: WalkedFile[], ctx: CatalogContext): Package[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const out: Package[] = [];
  const seen = new Set<string>();
  for (const dir of DB_DIRS) {
    const file = DB_FILES.map((f) => byPath.get(`${dir}/${f}`)).find((f) => f !== undefined);
    if (!file) continue;
    const wal = file.path.endsWith('/rpmdb.sqlite') ? byPath.get(`${dir}/${WAL_FILE}`) : undefined;
    const warn = (code: string, message: string): void =>
      ctx.warn({ code, message: `${file.path}: ${message}`, path: file.path, layer: file.layer.index });
    let result: DbReadResult;
    try {
      result = readDb(file, wal);
    } catch (err) {
      // The readers are written not to throw; this is a last guard so one db never stops a scan.
      result = { blobs: [], problems: [`unreadable: ${errorMessage(err)}`] };
    }
    for (const p of result.problems) warn('rpm.db', p);
    // A db in which nothing could be found, or whose every header is garbage, was not read.
    if (result.blobs.length === 0 && result.problems.length > 0) {
      ctx.unreadable?.(file, 'malformed', result.problems[0]!.split('\n')[0]!.slice(0, 200));
    }
    let decoded = 0;
    for (const { blob, where } of result.blobs) {
      let pkg: Package;
      try {
        const h = decodeHeader(blob);
        decoded++;
        if (h.name === 'gpg-pubkey') continue; // imported signing keys, not software
        pkg = rpmPackage(h, file.path, file.layer, NAME, ctx);
      } catch (err) {
        // A malformed header (RpmHeaderError) or a value the purl builder rejects: skip the package.
        const why = errorMessage(err);
        warn('rpm.header', `${where}: ${why}`);
        continue;
      }
      const key = `${pkg.name}\0${pkg.version}\0${pkg.arch ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(pkg);
    }
    if (result.blobs.length > 0 && decoded === 0) {
      ctx.unreadable?.(file, 'malformed', `none of its ${result.blobs.length} package headers could be decoded`);
    }
  }
  return out;
}

export const rpmCataloger: Cataloger = {
  name: NAME,
  version: 1,
  kind: 'os',
  attribution: 'history',
  maxFileSize: MAX_FILE_SIZE,
  sizeBlind: true,
  wants: (path) => WANTED.has(path),
  anchors: [...WANTED],
  parse,
};

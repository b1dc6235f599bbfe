// Per-ecosystem coverage (VulnSource.coverage), data dates and the data-honesty rules of issue 15:
// what a DB says it holds must be what a full scan of its records finds, dated by the data itself.
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED, shared } from '../helpers/shared.js';
import { runCli } from '../helpers/cli.js';
import { checkFreshness, ecosystemMatches, importFiles, openLocalDb, updateDb } from '../../src/vulndb/index.js';
import { rebuildEcosystemStats } from '../../src/vulndb/stats.js';
import type { OsvRecord } from '../../src/model/osv.js';
import { buildZip, osvRecord, startFaultServer, type FaultServer } from './zipfix.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'portcullis-coverage-'));
const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

function writeRecords(dir: string, records: object[]): string {
  mkdirSync(dir, { recursive: true });
  for (const r of records) writeFileSync(join(dir, `${(r as { id: string }).id}.json`), JSON.stringify(r));
  return dir;
}

/** The statistics table as rows, for comparing the incremental upkeep with a full recomputation. */
function statsRows(path: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT ecosystem, source, records, modified, exact FROM ecosystem_stats ORDER BY ecosystem, source').all();
  } finally {
    db.close();
  }
}

function recomputed(path: string): unknown[] {
  const copy = join(tmp(), 'copy.sqlite');
  const db = new Database(path, { readonly: true });
  db.prepare('VACUUM INTO ?').run(copy);
  db.close();
  const c = new Database(copy);
  rebuildEcosystemStats(c);
  c.close();
  return statsRows(copy);
}

describe.skipIf(!HAVE_SHARED)('coverage() on real OSV records', () => {
  const OSV = shared('data', 'osv');
  const dirs = ['almalinux', 'pypa-pysec', 'ubuntu-security-notices', 'go-vulndb'];
  let dbPath: string;
  let all: OsvRecord[];

  beforeAll(async () => {
    dbPath = join(tmp(), 'db.sqlite');
    await importFiles(dbPath, dirs.map((d) => join(OSV, d)));
    all = dirs.flatMap((d) =>
      readdirSync(join(OSV, d), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.json'))
        .map((e) => JSON.parse(readFileSync(join(e.parentPath, e.name), 'utf8')) as OsvRecord),
    );
  });

  it('counts, per queried ecosystem, exactly the live records a full scan finds by the lookup rule, with their newest modified', async () => {
    const queries = ['AlmaLinux:8', 'AlmaLinux:9', 'AlmaLinux', 'PyPI', 'Go', 'Ubuntu:22.04', 'Ubuntu:22.04:LTS', 'Ubuntu', 'Debian:12', 'npm', 'AlmaLinux:1', 'Alma'];
    const db = openLocalDb(dbPath);
    const got = await db.coverage(queries);
    await db.close();
    expect([...got.keys()]).toEqual(queries);
    const withDir = new Map(dirs.map((d) => [d, `file:${join(OSV, d)}`]));
    for (const q of queries) {
      const held = all.filter((r) => !r.withdrawn && (r.affected ?? []).some((a) => a.package && ecosystemMatches(a.package.ecosystem, q)));
      const ids = new Set(held.map((r) => r.id));
      const newest = held.map((r) => new Date(Date.parse(r.modified)).toISOString()).sort().at(-1);
      const e = got.get(q)!;
      expect(e.records, q).toBe(ids.size);
      expect(e.dataDate, q).toBe(newest);
      if (ids.size > 0) expect(e.sources.every((s) => [...withDir.values()].includes(s)), q).toBe(true);
      else expect(e.sources).toEqual([]);
    }
    expect(got.get('AlmaLinux')!.records).toBeGreaterThan(got.get('AlmaLinux:8')!.records);
    expect(got.get('Alma')!.records).toBe(0); // a prefix that is not at a ':' answers nothing
    expect(got.get('Debian:12')).toEqual({ records: 0, sources: [] });
  });

  it('the statistics kept record by record equal a full recomputation', () => {
    expect(statsRows(dbPath)).toEqual(recomputed(dbPath));
  });

  it('is one indexed read per ecosystem: the query plan never scans the affected rows', () => {
    const db = new Database(dbPath, { readonly: true });
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT source, records, modified FROM ecosystem_stats WHERE ecosystem = ? AND records > 0").all('PyPI') as { detail: string }[];
    db.close();
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/SEARCH ecosystem_stats USING PRIMARY KEY \(ecosystem=\?\)/);
  });
});

describe('coverage() rules and upkeep', () => {
  it('follows the lookup ecosystem rule; a record in two sub-ecosystems counts once; absent ecosystems are present with 0', async () => {
    const dir = tmp();
    const rh = {
      id: 'RHSA-1', modified: daysAgo(1),
      affected: [
        { package: { ecosystem: 'Red Hat:enterprise_linux:9::appstream', name: 'curl' } },
        { package: { ecosystem: 'Red Hat:enterprise_linux:9::baseos', name: 'curl' } },
      ],
    };
    const records = [rh, osvRecord('DSA-1', 'Debian:1', 'x', '1', daysAgo(3)), osvRecord('DSA-12', 'Debian:12', 'x', '1', daysAgo(2))];
    const dbPath = join(dir, 'db.sqlite');
    await importFiles(dbPath, [writeRecords(join(dir, 'r'), records)]);
    const db = openLocalDb(dbPath);
    const c = await db.coverage(['Red Hat:enterprise_linux:9', 'Red Hat:enterprise_linux:9::appstream', 'Red Hat:enterprise_linux:8', 'Debian:12', 'Debian:1', 'Debian', 'Ubuntu:22.04', '']);
    expect(c.get('Red Hat:enterprise_linux:9')).toEqual({ records: 1, sources: [`file:${join(dir, 'r')}`], dataDate: rh.modified });
    expect(c.get('Red Hat:enterprise_linux:9::appstream')!.records).toBe(1);
    expect(c.get('Red Hat:enterprise_linux:8')!.records).toBe(0);
    expect(c.get('Debian:12')!.records).toBe(1); // Debian:1 never answers Debian:12
    expect(c.get('Debian:1')!.records).toBe(1);
    expect(c.get('Debian')!.records).toBe(2);
    expect(c.get('Ubuntu:22.04')).toEqual({ records: 0, sources: [] });
    expect(c.get('')).toEqual({ records: 0, sources: [] });
    await db.close();
  });

  it('keeps counts right through replacements that move ecosystems, withdrawals and re-attribution', async () => {
    const dir = tmp();
    const dbPath = join(dir, 'db.sqlite');
    await importFiles(dbPath, [writeRecords(join(dir, 'a'), [osvRecord('A-1', 'npm', 'a', '1', daysAgo(10)), osvRecord('A-2', 'npm', 'b', '1', daysAgo(9)), osvRecord('A-3', 'PyPI', 'c', '1', daysAgo(9))])]);
    // A-1 moves to PyPI (newer), A-2 is withdrawn, A-3 comes again unchanged from another file.
    await importFiles(dbPath, [writeRecords(join(dir, 'b'), [
      osvRecord('A-1', 'PyPI', 'a', '1', daysAgo(5)),
      { ...osvRecord('A-2', 'npm', 'b', '1', daysAgo(4)), withdrawn: daysAgo(4) },
      osvRecord('A-3', 'PyPI', 'c', '1', daysAgo(9)),
    ])]);
    const db = openLocalDb(dbPath);
    const c = await db.coverage(['npm', 'PyPI']);
    expect(c.get('npm')!.records).toBe(0);
    expect(c.get('PyPI')).toMatchObject({ records: 2, sources: [`file:${join(dir, 'b')}`] });
    // Every record of `a` was delivered again by `b`: `a` holds nothing and is no source any more.
    expect(db.sources().map((s) => [s.name, s.records])).toEqual([[`file:${join(dir, 'b')}`, 2]]);
    await db.close();
    expect(statsRows(dbPath)).toEqual(recomputed(dbPath));
  });

  it('a schema-1 file is refused with "run db update", and db import / db update upgrade it in place', async () => {
    const dir = tmp();
    const dbPath = join(dir, 'db.sqlite');
    await importFiles(dbPath, [writeRecords(join(dir, 'a'), [osvRecord('A-1', 'npm', 'a', '1', daysAgo(1)), osvRecord('A-2', 'Debian:12', 'b', '1', daysAgo(2))])]);
    // What portcullis before schema 2 wrote: the same tables without the statistics and data dates.
    const raw = new Database(dbPath);
    raw.exec("DROP TABLE ecosystem_stats; ALTER TABLE sources DROP COLUMN data_date; UPDATE meta SET value = '1' WHERE key = 'schema_version'");
    raw.close();
    expect(() => openLocalDb(dbPath)).toThrow(/schema 1 is older .*run `portcullis db update`/);
    const scan = await runCli(['db', 'status', '--db', dbPath]);
    expect(scan.code).toBe(2);
    expect(scan.stderr.trim().split('\n')).toHaveLength(1);
    await importFiles(dbPath, [writeRecords(join(dir, 'b'), [osvRecord('B-1', 'npm', 'c', '1', daysAgo(1))])]);
    const db = openLocalDb(dbPath);
    expect((await db.coverage(['npm', 'Debian:12'])).get('npm')!.records).toBe(2);
    expect((await db.coverage(['Debian:12'])).get('Debian:12')!.records).toBe(1);
    // The upgrade dates each source by its records' newest modified (A-1 and B-1: a day ago).
    expect(db.sources().map((s) => s.dataDate !== undefined)).toEqual([true, true]);
    const age = Date.now() - Date.parse(db.summary().dataDate!);
    expect(age).toBeGreaterThanOrEqual(86_400_000);
    expect(age).toBeLessThan(86_400_000 + 120_000);
    await db.close();
  });
});

describe('data honesty: import', () => {
  it('an import with no valid record is exit 2: one line naming the file, how many were rejected and the first reason; the DB is not created', async () => {
    const dir = tmp();
    const dbPath = join(dir, 'db.sqlite');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ id: 'X-1', modified: 'yesterday' }, { id: 'X-2', modified: 'soon' }, { id: 'X 3', modified: '2024-01-01T00:00:00Z' }]));
    const r = await runCli(['db', 'import', '--db', dbPath, '--quiet', bad]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`${bad}: no valid OSV record or enrichment entry \\(3 rejected; first: .*modified must be an RFC 3339 timestamp\\)`));
    expect(existsSync(dbPath)).toBe(false);
    // A JSON file that is no feed at all, and an empty directory, the same (never "imported 0").
    const token = join(dir, 'token.json');
    writeFileSync(token, JSON.stringify({ access_token: 'SECRET-abc123' }));
    const t = await runCli(['db', 'import', '--db', dbPath, '--quiet', token]);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/no valid OSV record .*1 rejected; first: skipped: not an OSV record/);
    expect(t.stderr).not.toContain('SECRET');
    mkdirSync(join(dir, 'empty'));
    const e = await runCli(['db', 'import', '--db', dbPath, join(dir, 'empty')]);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/empty: no valid OSV record or enrichment entry \(nothing to import\)/);
    // An invalid JSON file's error names the position, never the content.
    writeFileSync(join(dir, 'broken.json'), '{"id": "SECRET-xyz", oops');
    const b = await runCli(['db', 'import', '--db', dbPath, join(dir, 'broken.json')]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/invalid JSON at \d+:\d+ \(/);
    expect(b.stderr).not.toContain('SECRET');
  });

  it.skipIf(!HAVE_SHARED)('importing a 2-year-old all.zip today fails the default freshness check, saying the data is old and how to override', async () => {
    const dir = tmp();
    const dbPath = join(dir, 'db.sqlite');
    const pysec = shared('data', 'osv', 'pypa-pysec');
    const records = readdirSync(pysec).filter((f) => f.endsWith('.json')).slice(0, 300).map((f) => JSON.parse(readFileSync(join(pysec, f), 'utf8')) as OsvRecord);
    const newest = records.map((r) => new Date(Date.parse(r.modified)).toISOString()).sort().at(-1)!;
    expect(Date.now() - Date.parse(newest)).toBeGreaterThan(365 * 86_400_000); // the shared corpus is old data
    writeFileSync(join(dir, 'all.zip'), await buildZip(records));
    const r = await runCli(['db', 'import', '--db', dbPath, join(dir, 'all.zip')]);
    expect(r.code, r.stderr).toBe(0);
    const db = openLocalDb(dbPath);
    const summary = db.summary();
    expect(summary.dataDate).toBe(newest);
    expect(Date.now() - Date.parse(summary.updatedAt!)).toBeLessThan(60_000); // imported just now…
    expect(() => checkFreshness(db)).toThrow(/vulnerability data is \d+\.\dd old \(data date .*not of its download or import.*--max-db-age \d+d or --skip-db-age-check/);
    // …and accepted when the user says so.
    expect(() => checkFreshness(db, 3 * 365 * 86_400_000)).not.toThrow();
    await db.close();
  });

  it('feeds are dated by their own dates (KEV dateReleased, EPSS score_date, NVD timestamp)', async () => {
    const dir = tmp();
    const dbPath = join(dir, 'db.sqlite');
    writeFileSync(join(dir, 'kev.json'), JSON.stringify({ title: 'KEV', catalogVersion: '1', dateReleased: '2025-02-03T04:05:06.000Z', count: 1, vulnerabilities: [{ cveID: 'CVE-2024-0001', dateAdded: '2024-01-02' }] }));
    writeFileSync(join(dir, 'epss.csv'), '#model_version:v2025.03.14,score_date:2025-08-25T00:00:00Z\ncve,epss,percentile\nCVE-2024-0001,0.5,0.9\n');
    await importFiles(dbPath, [join(dir, 'kev.json'), join(dir, 'epss.csv')]);
    const db = openLocalDb(dbPath);
    expect(Object.fromEntries(db.sources().map((s) => [s.name.split('/').at(-1), s.dataDate]))).toEqual({ 'kev.json': '2025-02-03T04:05:06.000Z', 'epss.csv': '2025-08-25T00:00:00.000Z' });
    expect(db.summary().intel).toEqual({ kev: 1, epss: 1, nvd: 0 });
    expect(db.summary().dataDate).toBe('2025-02-03T04:05:06.000Z');
    await db.close();
  });
});

describe('data honesty: db update and db status', () => {
  let srv: FaultServer;
  const dsa1 = osvRecord('DSA-1', 'Debian:12', 'curl', '7.88.1-10+deb12u1', daysAgo(400));
  const ghsa = osvRecord('GHSA-aaaa-bbbb-cccc', 'npm', 'left-pad', '1.3.0', daysAgo(400));
  const dsa2 = osvRecord('DSA-2', 'Debian:11', 'curl', '7.74.0-1.3+deb11u9', daysAgo(401));
  beforeAll(async () => {
    srv = await startFaultServer();
    srv.files.set('Debian', await buildZip([dsa1, dsa2]));
    srv.files.set('npm', await buildZip([ghsa]));
  });
  afterAll(async () => srv.close());
  const source = () => `${srv.url}/ok/{ecosystem}/all.zip`;

  it("a fresh download is dated by its Last-Modified, also after a 304; without one, by its newest record", async () => {
    const dbPath = join(tmp(), 'db.sqlite');
    srv.lastModified = new Date(Date.now() - 2 * 3600_000).toUTCString();
    await updateDb({ dbPath, ecosystems: ['Debian:12'], sources: [source()], fetch: { retries: 0 } });
    let db = openLocalDb(dbPath);
    expect(() => checkFreshness(db)).not.toThrow();
    expect(Date.parse(db.summary().dataDate!)).toBe(Date.parse(srv.lastModified));
    await db.close();
    await updateDb({ dbPath, sources: [source()], fetch: { retries: 0 } }); // 304
    db = openLocalDb(dbPath);
    expect(db.sources()[0]!.lastModified).toBe(srv.lastModified);
    expect(() => checkFreshness(db)).not.toThrow();
    await db.close();
    // A mirror that states no Last-Modified: the data is as new as its newest record (400 days).
    srv.lastModified = undefined;
    const old = join(tmp(), 'db.sqlite');
    await updateDb({ dbPath: old, ecosystems: ['npm'], sources: [source()], fetch: { retries: 0 } });
    db = openLocalDb(old);
    expect(() => checkFreshness(db)).toThrow(/400\.\dd old/);
    await db.close();
  });

  it('db update after an import refreshes the ecosystems the DB holds, and the superseded import stops counting', async () => {
    const dir = tmp();
    const dbPath = join(dir, 'db.sqlite');
    // An old import of the same advisories (same content) plus one npm record the mirror also has.
    await importFiles(dbPath, [writeRecords(join(dir, 'old'), [
      dsa1,
      ghsa,
    ])]);
    srv.lastModified = new Date(Date.now() - 3600_000).toUTCString();
    const before = srv.statuses.length;
    const r = await runCli(['db', 'update', '--db', dbPath, '--source', source(), '--retries', '0', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(srv.statuses.slice(before).sort()).toEqual(['ok/Debian 200', 'ok/npm 200']);
    const db = openLocalDb(dbPath);
    expect(db.sources().map((s) => s.name)).toEqual(['osv:Debian:12', 'osv:npm']);
    expect((await db.coverage(['Debian:12', 'Debian:11'])).get('Debian:11')!.records).toBe(0); // filtered to what the DB held
    expect(() => checkFreshness(db)).not.toThrow();
    await db.close();
  });

  it('db status shows per-ecosystem records and data dates, the DB data date and intel counts (table and json)', async () => {
    const dir = tmp();
    const dbPath = join(dir, 'db.sqlite');
    srv.lastModified = new Date(Date.now() - 3600_000).toUTCString();
    await updateDb({ dbPath, ecosystems: ['Debian'], sources: [source()], fetch: { retries: 0 } });
    writeFileSync(join(dir, 'kev.json'), JSON.stringify({ title: 'KEV', catalogVersion: '1', dateReleased: daysAgo(1), count: 1, vulnerabilities: [{ cveID: 'CVE-2024-0001', dateAdded: '2024-01-02' }] }));
    await importFiles(dbPath, [join(dir, 'kev.json')]);
    const j = await runCli(['db', 'status', '--db', dbPath, '--format', 'json']);
    expect(j.code, j.stderr).toBe(0);
    const status = JSON.parse(j.stdout) as { dataDate: string; intel: object; ecosystems: { ecosystem: string; records: number; dataDate: string; sources: string[] }[] };
    expect(status.ecosystems).toEqual([
      { ecosystem: 'Debian:11', records: 1, sources: ['osv:Debian'], dataDate: dsa2.modified },
      { ecosystem: 'Debian:12', records: 1, sources: ['osv:Debian'], dataDate: dsa1.modified },
    ]);
    expect(status.intel).toEqual({ kev: 1, epss: 0, nvd: 0 });
    expect(Date.now() - Date.parse(status.dataDate)).toBeLessThan(2 * 86_400_000);
    const t = await runCli(['db', 'status', '--db', dbPath]);
    expect(t.stdout).toMatch(/data date \d{4}-\d\d-\d\d \(/);
    expect(t.stdout).toMatch(/KEV 1, EPSS 0, NVD 0/);
    expect(t.stdout).toMatch(/^ {2}Debian:11 +1 {2}\d{4}-\d\d-\d\d \(401\.\dd ago\)$/m);
    expect(t.stdout).toMatch(/^ {2}Debian:12 +1 /m);
  });
});

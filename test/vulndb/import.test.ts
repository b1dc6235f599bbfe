import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, statSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED, shared } from '../helpers/shared.js';
import { runCli } from '../helpers/cli.js';
import { importFiles, openLocalDb, affectedFor, checkFreshness, type LocalDb } from '../../src/vulndb/index.js';
import { affects } from '../../src/version/index.js';
import { PortcullisError } from '../../src/errors.js';

const OSV = shared('data', 'osv');
const RECORD_DIRS = ['go-vulndb', 'pypa-pysec', 'almalinux', 'osv-scalibr-remediation/records', 'github-advisory-database', 'trivy-db-testdata', 'ubuntu-security-notices', 'grype-osv-testdata', 'osv.dev-testdata', 'osv-scanner-golden/embedded-records'];

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.json')).map((e) => join(e.parentPath, e.name));
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'portcullis-vulndb-'));
}

describe.skipIf(!HAVE_SHARED)('importing the shared OSV corpus', () => {
  let dbPath: string;
  let db: LocalDb;
  let expectedIds: Set<string>;

  beforeAll(async () => {
    dbPath = join(tmp(), 'db.sqlite');
    const stats = await importFiles(dbPath, [OSV]);
    expect(stats.invalid).toBe(0);
    db = openLocalDb(dbPath);
    // Independent count: every record file's id (plus the two OSV API snapshots, which hold the same records).
    expectedIds = new Set();
    for (const dir of RECORD_DIRS) for (const f of jsonFiles(join(OSV, dir))) expectedIds.add((JSON.parse(readFileSync(f, 'utf8')) as { id: string }).id);
    for (const f of ['zeppelin-server', 'maven-classifier']) {
      const snap = JSON.parse(readFileSync(join(OSV, 'osv-scalibr-remediation', `${f}.vulnerabilities.json`), 'utf8')) as { vulns: { id: string }[] };
      for (const v of snap.vulns) expectedIds.add(v.id);
    }
  });

  it('stores every record once, with the README counts per directory', () => {
    expect(jsonFiles(join(OSV, 'go-vulndb'))).toHaveLength(4291);
    expect(jsonFiles(join(OSV, 'pypa-pysec'))).toHaveLength(2661);
    expect(jsonFiles(join(OSV, 'almalinux'))).toHaveLength(450);
    const ids = db.ids();
    expect(new Set(ids)).toEqual(expectedIds);
    expect(db.counts().records).toBe(expectedIds.size);
    const goIds = ids.filter((i) => i.startsWith('GO-'));
    expect(goIds.length).toBeGreaterThanOrEqual(4291);
    expect(ids.filter((i) => i.startsWith('PYSEC-')).length).toBeGreaterThanOrEqual(2661);
  });

  it('excludes withdrawn records from lookups but keeps them stored', () => {
    const withdrawn = jsonFiles(join(OSV, 'go-vulndb'))
      .map((f) => JSON.parse(readFileSync(f, 'utf8')) as { id: string; withdrawn?: string; affected?: { package: { ecosystem: string; name: string } }[] })
      .filter((r) => r.withdrawn && r.affected?.length);
    expect(withdrawn.length).toBeGreaterThan(0);
    for (const r of withdrawn.slice(0, 20)) {
      const p = r.affected![0]!.package;
      const found = db.lookupSync([p]).get(`${p.ecosystem}\u0000${p.name}`) ?? [];
      expect(found.map((x) => x.id)).not.toContain(r.id);
      expect(db.getRecord(r.id)?.id).toBe(r.id);
    }
  });

  it('finds records by alias, PyPI names normalised, ecosystem prefixes at a colon', () => {
    const pysec = db.getRecord('PYSEC-2021-98');
    expect(pysec?.aliases?.length).toBeGreaterThan(0);
    expect(db.getRecord(pysec!.aliases![0]!)?.aliases).toBeDefined();
    const a = db.lookupSync([{ ecosystem: 'PyPI', name: 'Django' }, { ecosystem: 'PyPI', name: 'django' }]);
    expect(a.size).toBe(1);
    expect([...a.values()][0]!.length).toBeGreaterThan(50);
    const ubuntu = db.lookupSync([{ ecosystem: 'Ubuntu:22.04', name: 'pcre3' }, { ecosystem: 'Ubuntu:22', name: 'pcre3' }]);
    expect(ubuntu.get('Ubuntu:22.04\u0000pcre3')!.map((r) => r.id)).toContain('CVE-2017-11164');
    expect(ubuntu.get('Ubuntu:22\u0000pcre3')).toEqual([]);
  });

  // The scan sends all its queries in one statement; the oracle here is a scan of every stored
  // record with affectedFor (no SQL), for a few thousand queries at once, misses included.
  it('one batched lookup answers every query as a full scan of the records would', () => {
    const records = db.ids().map((id) => db.getRecord(id)!).filter((r) => !r.withdrawn);
    const queries = new Map<string, { ecosystem: string; name: string }>();
    for (const r of records) {
      for (const a of r.affected ?? []) {
        if (!a.package) continue;
        queries.set(`${a.package.ecosystem}\u0000${a.package.name}`, a.package);
        // The same name one level up (`Ubuntu:22.04` for `Ubuntu:22.04:LTS`, `Red Hat:…:9` for `…::appstream`).
        const up = a.package.ecosystem.replace(/:[^:]*$/, '');
        if (up !== a.package.ecosystem) queries.set(`${up}\u0000${a.package.name}`, { ecosystem: up, name: a.package.name });
      }
    }
    queries.set('npm\u0000no-such-package', { ecosystem: 'npm', name: 'no-such-package' });
    const list = [...queries.values()];
    expect(list.length).toBeGreaterThan(3000);
    const got = db.lookupSync(list);
    const key = (q: { ecosystem: string; name: string }) => `${q.ecosystem}\u0000${q.ecosystem === 'PyPI' ? q.name.toLowerCase().replace(/[-_.]+/g, '-') : q.name}`;
    let compared = 0;
    const wrong: string[] = [];
    // Candidates by lower-cased name only (a superset); affectedFor decides.
    const byName = new Map<string, typeof records>();
    for (const r of records) {
      for (const n of new Set((r.affected ?? []).map((a) => a.package?.name.toLowerCase().replace(/[-_.]+/g, '-') ?? ''))) {
        byName.set(n, [...(byName.get(n) ?? []), r]);
      }
    }
    for (const q of list) {
      const candidates = byName.get(q.name.toLowerCase().replace(/[-_.]+/g, '-')) ?? [];
      const want = candidates.filter((r) => affectedFor(r, q).length > 0).map((r) => r.id).sort();
      const have = (got.get(key(q)) ?? []).map((r) => r.id).sort();
      if (JSON.stringify(have) !== JSON.stringify(want)) wrong.push(`${q.ecosystem}/${q.name}: ${have.length} vs ${want.length}`);
      compared++;
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(compared).toBe(list.length);
    expect(got.get('npm\u0000no-such-package')).toEqual([]);
  });

  // Rule for extras: our local records may be newer than the recorded osv.dev answer (README §3),
  // so we must return at least the golden IDs; extras are allowed only if they are records whose
  // ranges really include the version (checked by `affects`, the same evaluation).
  it('returns at least osv.dev\'s IDs for every golden pair (lookup + affects)', () => {
    const pairs = readFileSync(join(OSV, 'osv-scanner-golden', 'pairs-with-local-records.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { ecosystem?: string; name?: string; version?: string; purl?: string; vulns: string[]; localRecords: Record<string, string> });
    let checked = 0;
    const misses: string[] = [];
    for (const p of pairs) {
      if (!p.ecosystem || !p.name || !p.version) continue; // purl / commit pairs
      const q = { ecosystem: p.ecosystem, name: p.name };
      const recs = db.lookupSync([q]).get(`${q.ecosystem}\u0000${q.ecosystem === 'PyPI' ? q.name.toLowerCase().replace(/[-_.]+/g, '-') : q.name}`) ?? [];
      const hit = new Set(recs.filter((r) => affectedFor(r, q).some((a) => affects(a, p.version!).affected)).map((r) => r.id));
      // osv.dev's ids whose records we hold (osv.dev prefixes Ubuntu's CVE-… ids with UBUNTU-).
      for (const file of Object.values(p.localRecords)) {
        const id = (JSON.parse(readFileSync(join(OSV, file), 'utf8')) as { id: string }).id;
        if (!hit.has(id)) misses.push(`${p.ecosystem}/${p.name}@${p.version}: ${id}`);
      }
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(35);
    expect(misses).toEqual([]);
  });

  it('re-import changes nothing and does not rewrite the file', async () => {
    // The same source again (another path holding the same records takes them over: see the
    // upkeep tests in coverage.test.ts).
    const alma = join(tmp(), 'alma.sqlite');
    await importFiles(alma, [join(OSV, 'almalinux')]);
    const before = sha256(alma);
    const stats = await importFiles(alma, [join(OSV, 'almalinux')]);
    expect(stats.added + stats.replaced).toBe(0);
    expect(stats.kept).toBe(450);
    expect(sha256(alma)).toBe(before);
  });
});

describe('record replacement and validation', () => {
  const rec = (modified: string, summary: string, extra: object = {}) => ({ id: 'TEST-1', modified, summary, affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }] }], ...extra });

  it('newer modified replaces, older does not; withdrawn never matches', async () => {
    const dir = tmp();
    const dbPath = join(dir, 'db.sqlite');
    writeFileSync(join(dir, 'a.json'), JSON.stringify(rec('2024-01-02T00:00:00Z', 'second')));
    await importFiles(dbPath, [join(dir, 'a.json')]);
    writeFileSync(join(dir, 'b.json'), JSON.stringify(rec('2024-01-01T00:00:00Z', 'older')));
    const s1 = await importFiles(dbPath, [join(dir, 'b.json')]);
    expect(s1.kept).toBe(1);
    let db = openLocalDb(dbPath);
    expect(db.getRecord('TEST-1')?.summary).toBe('second');
    await db.close();
    writeFileSync(join(dir, 'c.json'), JSON.stringify(rec('2024-02-01T00:00:00Z', 'withdrawn', { withdrawn: '2024-02-01T00:00:00Z' })));
    const s2 = await importFiles(dbPath, [join(dir, 'c.json')]);
    expect(s2.replaced).toBe(1);
    db = openLocalDb(dbPath);
    expect((await db.lookup([{ ecosystem: 'npm', name: 'left-pad' }])).get('npm\u0000left-pad')).toEqual([]);
    expect(db.getRecord('TEST-1')?.summary).toBe('withdrawn');
    await db.close();
  });

  it('skips a schema-violating record with a warning naming file and field; keeps the rest', async () => {
    const dir = tmp();
    const bad = rec('2024-01-01T00:00:00Z', 'x');
    (bad.affected[0]!.ranges[0]!.events as object[]).push({ fixed: 3 });
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    writeFileSync(join(dir, 'good.json'), JSON.stringify({ ...rec('2024-01-01T00:00:00Z', 'ok'), id: 'TEST-2' }));
    writeFileSync(join(dir, 'broken.json'), '{"id": "TEST-3", ');
    const r = await runCli(['db', 'import', '--db', join(dir, 'db.sqlite'), dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${join(dir, 'bad.json')}: skipped invalid OSV record: affected[0].ranges[0].events[2].fixed must be a string`);
    expect(r.stderr).toContain(`${join(dir, 'broken.json')}: skipped: invalid JSON`);
    const db = openLocalDb(join(dir, 'db.sqlite'));
    expect(db.ids()).toEqual(['TEST-2']);
    await db.close();
  });

  it('--ecosystem keeps only records of that ecosystem (prefix at a colon)', async () => {
    const dir = tmp();
    const mk = (id: string, eco: string) => ({ id, modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: eco, name: 'curl' }, versions: ['1'] }] });
    writeFileSync(join(dir, 'recs.json'), JSON.stringify([mk('D-12', 'Debian:12'), mk('D-11', 'Debian:11'), mk('D-1', 'Debian:1'), mk('D-12x', 'Debian:12:extra')]));
    const r = await runCli(['db', 'import', '--db', join(dir, 'db.sqlite'), '--ecosystem', 'Debian:12', join(dir, 'recs.json')]);
    expect(r.code).toBe(0);
    const db = openLocalDb(join(dir, 'db.sqlite'));
    expect(db.ids()).toEqual(['D-12', 'D-12x']);
    await db.close();
  });
});

describe('bad input never damages the DB', () => {
  let dir: string;
  let dbPath: string;
  let hash: string;
  beforeAll(async () => {
    dir = tmp();
    dbPath = join(dir, 'db.sqlite');
    writeFileSync(join(dir, 'r.json'), JSON.stringify({ id: 'KEEP-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'x' }, versions: ['1'] }] }));
    await importFiles(dbPath, [join(dir, 'r.json')]);
    hash = sha256(dbPath);
  });

  it('a corrupt zip is a one-line error, exit 2, DB unchanged', async () => {
    const { execFileSync } = await import('node:child_process');
    const zdir = tmp();
    for (let i = 0; i < 5; i++) writeFileSync(join(zdir, `R-${i}.json`), JSON.stringify({ id: `R-${i}`, modified: '2024-01-01T00:00:00Z', details: createHash('sha512').update(String(i)).digest('hex').repeat(1) + Array.from({ length: 200 }, (_, k) => createHash('md5').update(`${i}-${k}`).digest('hex')).join(' ') }));
    execFileSync('zip', ['-q', '-j', join(zdir, 'all.zip'), ...[0, 1, 2, 3, 4].map((i) => join(zdir, `R-${i}.json`))]);
    const buf = readFileSync(join(zdir, 'all.zip'));
    buf[200] ^= 0xff; // inside the first entry's compressed data
    writeFileSync(join(zdir, 'bad.zip'), buf);
    const r = await runCli(['db', 'import', '--db', dbPath, join(zdir, 'bad.zip')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.zip: corrupt zip/);
    expect(sha256(dbPath)).toBe(hash);
    const truncated = join(zdir, 'trunc.zip');
    writeFileSync(truncated, readFileSync(join(zdir, 'all.zip')).subarray(0, 3000));
    const r2 = await runCli(['db', 'import', '--db', dbPath, truncated]);
    expect(r2.code).toBe(2);
    expect(sha256(dbPath)).toBe(hash);
  });

  it('refuses a DB file that is not ours (text file, foreign SQLite) without modifying it', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello, not a database\n'.repeat(100));
    const foreign = join(dir, 'other.sqlite');
    const o = new Database(foreign);
    o.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1);');
    o.close();
    for (const f of [text, foreign]) {
      const h = sha256(f);
      const size = statSync(f).size;
      const r = await runCli(['db', 'import', '--db', f, join(dir, 'r.json')]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('not a portcullis vulnerability database');
      const s = await runCli(['db', 'status', '--db', f]);
      expect(s.code).toBe(2);
      expect(() => openLocalDb(f)).toThrow(PortcullisError);
      expect(sha256(f)).toBe(h);
      expect(statSync(f).size).toBe(size);
    }
    expect(sha256(dbPath)).toBe(hash);
  });

  it('a missing DB says how to create it', async () => {
    const r = await runCli(['db', 'status', '--db', join(dir, 'nope.sqlite')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/db update/);
  });
});

describe.skipIf(!HAVE_SHARED)('enrichment: KEV, EPSS, NVD', () => {
  it('imports the KEV catalog and EPSS (plain and gz) by content and joins by CVE id', async () => {
    const dir = tmp();
    const dbPath = join(dir, 'db.sqlite');
    const kevFile = shared('data', 'kev-epss', 'known_exploited_vulnerabilities.json');
    const epssFile = shared('data', 'kev-epss', 'epss_scores-current.sample.csv');
    const gz = join(dir, 'epss.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(epssFile)));
    const r = await runCli(['db', 'import', '--db', dbPath, kevFile, gz]);
    expect(r.code, r.stderr).toBe(0);
    const kev = JSON.parse(readFileSync(kevFile, 'utf8')) as { count: number; vulnerabilities: { cveID: string; dateAdded: string; dueDate: string; knownRansomwareCampaignUse: string; vulnerabilityName: string }[] };
    const epssLines = readFileSync(epssFile, 'utf8').trim().split('\n').slice(2);
    const db = openLocalDb(dbPath);
    expect(db.counts().kev).toBe(new Set(kev.vulnerabilities.map((v) => v.cveID)).size);
    expect(db.counts().epss).toBe(epssLines.length);
    const first = kev.vulnerabilities[0]!;
    const [cve, score, pct] = epssLines[0]!.split(',');
    const e = await db.enrich([first.cveID, cve!, 'CVE-0000-0000']);
    expect(e.get(first.cveID)?.kev).toEqual({ dateAdded: first.dateAdded, dueDate: first.dueDate, knownRansomwareCampaignUse: first.knownRansomwareCampaignUse, vulnerabilityName: first.vulnerabilityName });
    expect(e.get(cve!)?.epss).toEqual({ score: Number(score), percentile: Number(pct), date: '2026-09-29' });
    expect(e.has('CVE-0000-0000')).toBe(false);
    await db.close();
    // plain CSV too
    const r2 = await runCli(['db', 'import', '--db', dbPath, epssFile]);
    expect(r2.stdout).toContain(`EPSS ${epssLines.length}`);
  });

  it('imports an NVD CVE API 2.0 document (db import-nvd) with v3.1 and v4.0 vectors', async () => {
    const dir = tmp();
    const nvd = {
      resultsPerPage: 1, startIndex: 0, totalResults: 1, format: 'NVD_CVE', version: '2.0', timestamp: '2024-01-01T00:00:00.000',
      vulnerabilities: [{ cve: { id: 'CVE-2021-44228', metrics: {
        cvssMetricV40: [{ source: 'nvd@nist.gov', type: 'Primary', cvssData: { version: '4.0', vectorString: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', baseScore: 10.0 } }],
        cvssMetricV31: [
          { source: 'other@example.org', type: 'Secondary', cvssData: { version: '3.1', vectorString: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H', baseScore: 9.0 } },
          { source: 'nvd@nist.gov', type: 'Primary', cvssData: { version: '3.1', vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', baseScore: 10.0 } },
        ],
      } } }],
    };
    writeFileSync(join(dir, 'nvd.json'), JSON.stringify(nvd));
    const r = await runCli(['db', 'import-nvd', '--db', join(dir, 'db.sqlite'), join(dir, 'nvd.json')]);
    expect(r.code, r.stderr).toBe(0);
    const db = openLocalDb(join(dir, 'db.sqlite'));
    const got = (await db.enrich(['CVE-2021-44228'])).get('CVE-2021-44228')!.nvd!;
    expect(got.map((c) => [c.version, c.score])).toEqual([['4.0', 10], ['3.1', 10], ['3.1', 9]]);
    expect(got.every((c) => c.source === 'nvd')).toBe(true);
    await db.close();
  });
});

describe('freshness', () => {
  it('checkFreshness passes a fresh DB and names the fix for a stale one; status shows ages', async () => {
    const dir = tmp();
    const dbPath = join(dir, 'db.sqlite');
    // Dated by its newest record (modified an hour ago), not by the import.
    writeFileSync(join(dir, 'r.json'), JSON.stringify({ id: 'F-1', modified: new Date(Date.now() - 3600_000).toISOString() }));
    await importFiles(dbPath, [join(dir, 'r.json')]);
    const db = openLocalDb(dbPath);
    expect(() => checkFreshness(db, 72 * 3600_000)).not.toThrow();
    expect(() => checkFreshness(db, 72 * 3600_000, Date.now() + 72 * 3600_000)).toThrow(/3\.0d old.*portcullis db update/);
    await db.close();
    const s = await runCli(['db', 'status', '--db', dbPath, '--format', 'json']);
    expect(s.code).toBe(0);
    const j = JSON.parse(s.stdout) as { counts: { records: number }; sources: { name: string; ageSeconds: number; records: number }[] };
    expect(j.counts.records).toBe(1);
    expect(j.sources[0]!.records).toBe(1);
    expect(j.sources[0]!.ageSeconds).toBeLessThan(60);
    copyFileSync(dbPath, join(dir, 'copy.sqlite'));
  });
});

// CVSS base scores computed at import and read back by the scan: the same numbers the calculator
// gives, used only when the DB names the calculator the scan carries, over HTTP too.
import { createRequire } from 'node:module';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CVSS_CALCULATOR_ID, cvssVectorsOfRecords } from '../../src/cvss/vectors.js';
import { scoreVector } from '../../src/cvss/calculator.js';
import { matchPackages } from '../../src/match/matcher.js';
import type { OsvRecord } from '../../src/model/osv.js';
import type { Package } from '../../src/model/package.js';
import { importFiles, openLocalDb, openRemoteDb, serveDb, type LocalDb, type VulnSource } from '../../src/vulndb/index.js';
import { HAVE_SHARED, shared } from '../helpers/shared.js';
import { memorySource } from '../helpers/memory-source.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-cvss-scores-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const V31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V30 = 'CVSS:3.0/AV:L/AC:H/PR:L/UI:R/S:C/C:L/I:N/A:N';
const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
const V2 = '(AV:N/AC:M/Au:N/C:P/I:P/A:N)';
const BAD = 'CVSS:3.1/AV:X/nonsense';
const VECTORS = [V31, V30, V40, V2, BAD];

const layer = { index: 0, digest: 'sha256:aa', diffId: 'sha256:bb' };
const pkg = (name: string): Package => ({ name, version: '1.0.0', type: 'npm', ecosystem: 'npm', purl: `pkg:npm/${name}@1.0.0`, path: '/app/package-lock.json', layer, foundBy: 'npm' });

function rec(id: string, name: string, severity: string[], entrySeverity: string[] = []): OsvRecord {
  return {
    id, modified: '2026-01-01T00:00:00Z',
    ...(severity.length ? { severity: severity.map((score) => ({ type: score.startsWith('CVSS:4') ? 'CVSS_V4' : score.startsWith('CVSS:3') ? 'CVSS_V3' : 'CVSS_V2', score })) } : {}),
    affected: [{
      package: { ecosystem: 'npm', name },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }],
      ...(entrySeverity.length ? { severity: entrySeverity.map((score) => ({ type: 'CVSS_V3', score })) } : {}),
    }],
  } as OsvRecord;
}

const RECORDS = [rec('GHSA-aaaa-0001', 'left-pad', [V31, V40]), rec('GHSA-aaaa-0002', 'right-pad', [V2], [V30]), rec('GHSA-aaaa-0003', 'mid-pad', [BAD, V31])];
const PACKAGES = ['left-pad', 'right-pad', 'mid-pad'].map(pkg);

async function importRecords(name: string, records: OsvRecord[]): Promise<string> {
  const input = join(dir, `${name}-records`);
  mkdirSync(input);
  records.forEach((r) => writeFileSync(join(input, `${r.id}.json`), JSON.stringify(r)));
  const dbPath = join(dir, `${name}.sqlite`);
  await importFiles(dbPath, [input], { warn: () => {} });
  return dbPath;
}

/** A copy of the DB at `from`, changed by `sql`. */
function editedCopy(from: string, name: string, sql: string): string {
  const p = join(dir, `${name}.sqlite`);
  copyFileSync(from, p);
  const w = new Database(p);
  w.exec(sql);
  w.close();
  return p;
}

/** The DB at `path` holds the calculator's score of every one of VECTORS. */
async function expectScored(path: string): Promise<void> {
  const db = openLocalDb(path);
  try {
    const stored = await db.cvssScores!(VECTORS);
    for (const v of VECTORS) expect(stored.get(v), v).toEqual(scoreVector(v));
  } finally {
    await db.close();
  }
}

const cvssOf = async (db: VulnSource) => (await matchPackages(PACKAGES, db)).findings.map((f) => ({ id: f.id, package: { name: f.package.name }, cvss: f.cvss, severity: f.severity }));

describe('CVSS scores stored at import', () => {
  let dbPath: string;
  let db: LocalDb;
  beforeAll(async () => {
    dbPath = await importRecords('scored', RECORDS);
    db = openLocalDb(dbPath);
  });
  afterAll(async () => db?.close());

  it('names the installed calculator', () => {
    const { version } = createRequire(import.meta.url)('ae-cvss-calculator/package.json') as { version: string };
    expect(CVSS_CALCULATOR_ID).toBe(`ae-cvss-calculator@${version}`);
  });

  it('holds, for every vector of every record, what the calculator gives (null: not CVSS)', async () => {
    const stored = await db.cvssScores!(VECTORS);
    expect([...stored.keys()].sort()).toEqual([...VECTORS].sort());
    for (const v of VECTORS) expect(stored.get(v), v).toEqual(scoreVector(v));
    expect(stored.get(BAD)).toBeNull();
    expect(stored.get(V2)).toEqual({ version: '2.0', score: 5.8 });
    expect(stored.get(V31)).toEqual({ version: '3.1', score: 9.8 });
    expect((await db.cvssScores!(['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L'])).size).toBe(0);
  });

  it('gives the findings the calculator would: the same scores, versions and severities as a source without stored scores', async () => {
    const live = await cvssOf(memorySource(RECORDS));
    expect(live.map((f) => [f.package.name, f.cvss.length])).toEqual([['left-pad', 2], ['mid-pad', 1], ['right-pad', 2]]);
    expect(await cvssOf(db)).toEqual(live);
  });

  it('the scan takes the DB\'s score, not its own, when the DB names our calculator', async () => {
    const f = openLocalDb(editedCopy(dbPath, 'forged', `UPDATE cvss SET score = 1.5 WHERE vector = '${V31}'`));
    try {
      const left = (await matchPackages([pkg('left-pad')], f)).findings[0]!;
      expect(left.cvss.find((c) => c.version === '3.1')?.score).toBe(1.5);
    } finally {
      await f.close();
    }
  });

  it('a DB scored by another calculator, or from before the table, is scored by the scan: same findings', async () => {
    const live = await cvssOf(memorySource(RECORDS));
    for (const [name, sql] of [
      // Its scores changed too: they must not be used.
      ['other-calculator', "UPDATE meta SET value = 'ae-cvss-calculator@0.0.1' WHERE key = 'cvss_calculator'; UPDATE cvss SET score = 1.5"],
      ['no-table', "DROP TABLE cvss; DELETE FROM meta WHERE key = 'cvss_calculator'"],
    ] as const) {
      const old = openLocalDb(editedCopy(dbPath, name, sql));
      try {
        expect((await old.cvssScores!(VECTORS)).size, name).toBe(0);
        expect(await cvssOf(old), name).toEqual(live);
      } finally {
        await old.close();
      }
    }
  });

  it('an import of nothing new into such a DB still publishes it scored', async () => {
    const p = editedCopy(dbPath, 'rescored-unchanged', "DROP TABLE cvss; DELETE FROM meta WHERE key IN ('cvss_calculator', 'intel_counts')");
    // The very records it holds (importRecords wrote them there).
    const stats = await importFiles(p, [join(dir, 'scored-records')], { warn: () => {} });
    expect(stats.added + stats.replaced).toBe(0);
    await expectScored(p);
  });

  it('an import into such a DB scores every record again, old ones included', async () => {
    const p = editedCopy(dbPath, 'rescored', "DROP TABLE cvss; DELETE FROM meta WHERE key = 'cvss_calculator'");
    const input = join(dir, 'one-more');
    mkdirSync(input);
    writeFileSync(join(input, 'x.json'), JSON.stringify(rec('GHSA-aaaa-0004', 'no-pad', [])));
    await importFiles(p, [input], { warn: () => {} });
    await expectScored(p);
  });
});

describe('CVSS scores over db serve', () => {
  it('a remote source gives the server\'s scores; an older server or another calculator gives none; a bad score is an error', async () => {
    const dbPath = await importRecords('served', RECORDS);
    const srv = await serveDb({ dbPath, host: '127.0.0.1', port: 0 });
    const local = openLocalDb(dbPath);
    const remote = await openRemoteDb(srv.url);
    try {
      expect(await remote.cvssScores!(VECTORS)).toEqual(await local.cvssScores!(VECTORS));
      expect(await cvssOf(remote)).toEqual(await cvssOf(local));
      // The route checks what it is given, like the others.
      const post = (body: unknown) => fetch(`${srv.url}/v1/portcullis/cvss`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await post({ vectors: 'CVSS:3.1/AV:N' })).status).toBe(400);
      expect((await post({ vectors: [1] })).status).toBe(400);
      expect((await post({ vectors: Array.from({ length: 10_001 }, (_, i) => `v${i}`) })).status).toBe(400);
      const ok = (await (await post({ vectors: [V31, 'not-stored'] })).json()) as { calculator: string; results: Record<string, unknown> };
      expect(ok).toEqual({ calculator: CVSS_CALCULATOR_ID, results: { [V31]: { version: '3.1', score: 9.8 } } });
    } finally {
      await remote.close();
      await local.close();
      await srv.close();
    }

    // A stand-in server speaking the protocol: its summary from the real one, its cvss answer set here.
    const summary = await (async () => {
      const s = await serveDb({ dbPath, host: '127.0.0.1', port: 0 });
      try {
        return await (await fetch(`${s.url}/v1/portcullis/summary`)).text();
      } finally {
        await s.close();
      }
    })();
    let cvssAnswer: { status: number; body: unknown } = { status: 404, body: { error: 'not found' } };
    const fake = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const [status, body] = req.url === '/v1/portcullis/summary' ? [200, summary] : [cvssAnswer.status, JSON.stringify(cvssAnswer.body)];
        res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const client = await openRemoteDb(`http://127.0.0.1:${(fake.address() as AddressInfo).port}`);
    try {
      expect((await client.cvssScores!([V31])).size).toBe(0);
      cvssAnswer = { status: 200, body: { calculator: 'ae-cvss-calculator@0.0.1', results: { [V31]: { version: '3.1', score: 1 } } } };
      expect((await client.cvssScores!([V31])).size).toBe(0);
      cvssAnswer = { status: 200, body: { calculator: CVSS_CALCULATOR_ID, results: { [V31]: { version: '3.1', score: 11 } } } };
      await expect(client.cvssScores!([V31])).rejects.toThrow(/score/);
      cvssAnswer = { status: 200, body: { calculator: CVSS_CALCULATOR_ID, results: { [V30]: { version: '3.0', score: 1 } } } };
      await expect(client.cvssScores!([V31])).rejects.toThrow(/not asked/);
    } finally {
      await client.close();
      fake.close();
    }
  });
});

describe.skipIf(!HAVE_SHARED)('CVSS scores of a real corpus', () => {
  it('every vector of the shared OSV corpus is stored with the calculator\'s score', async () => {
    const dbPath = join(dir, 'corpus.sqlite');
    await importFiles(dbPath, [shared('data', 'osv')], { warn: () => {} });
    const r = new Database(dbPath, { readonly: true });
    const rows = r.prepare('SELECT vector, version, score FROM cvss').all() as { vector: string; version: string | null; score: number | null }[];
    const inRecords = cvssVectorsOfRecords((r.prepare('SELECT json FROM records').pluck().all() as string[]).map((j) => JSON.parse(j) as OsvRecord));
    r.close();
    expect(rows.map((x) => x.vector).sort()).toEqual([...inRecords].sort());
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.filter((x) => x.version === '4.0').length).toBeGreaterThan(0);
    for (const x of rows) expect(x.version === null ? null : { version: x.version, score: x.score }, x.vector).toEqual(scoreVector(x.vector));
  });
});

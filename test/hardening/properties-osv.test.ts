// Property-based robustness of the OSV importer (fast-check, fixed seeds, bounded runs): each run
// writes a batch of valid OSV records and MUTATED ones (a field dropped, replaced by a value of the
// wrong type, blown up into a huge array or string, or nested thousands deep; unknown junk keys)
// to a temp dir — one record per file, plus one JSON array file mixing both — and imports it with
// importFiles into a fresh DB. Properties: the import never throws; every bad record costs only a
// warning naming its file; every valid record of the batch is imported and found by its package;
// every record the importer accepted can be read back and matched (affects) without an exception;
// PRAGMA integrity_check is ok. (Nesting here stays under ~2,400 levels so the test itself can
// JSON.stringify it; 100,000 levels go through the CLI in hostile-json.test.ts.)
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OsvRecord } from '../../src/model/osv.js';
import { affects } from '../../src/version/index.js';
import { importFiles } from '../../src/vulndb/import-files.js';
import { openLocalDb } from '../../src/vulndb/local.js';
import { figures } from './harness.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const ECOSYSTEMS = ['npm', 'PyPI', 'Go', 'Maven', 'crates.io', 'Debian:12', 'Alpine:v3.20', 'Red Hat'];

/** A valid OSV record (the fields portcullis reads, as real advisories carry them). */
const validRecord = fc.record({
  summary: fc.string({ maxLength: 60 }),
  published: fc.constant('2024-03-01T12:00:00Z'),
  aliases: fc.array(fc.stringMatching(/^CVE-20[0-9]{2}-[0-9]{4,6}$/), { maxLength: 3 }),
  severity: fc.constantFrom([], [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }]),
  affected: fc.array(
    fc.record({
      package: fc.record({ ecosystem: fc.constantFrom(...ECOSYSTEMS), name: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/) }),
      ranges: fc.constantFrom(
        [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }],
        [{ type: 'ECOSYSTEM', events: [{ introduced: '1.0' }, { last_affected: '1.9' }] }],
        [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
      ),
      versions: fc.array(fc.constantFrom('1.0.0', '1.2.3', '0.9'), { maxLength: 3 }),
      database_specific: fc.constant({ source: 'generated' }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  references: fc.constant([{ type: 'WEB', url: 'https://example.org/advisory' }]),
});

const wrongValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1e308, '', 'x', [], {}, [1, 'a', null], { a: 1 }, '2024-13-45T99:99:99Z'),
  fc.string({ maxLength: 10 }),
  fc.integer(),
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => 'A'.repeat(n)),
);

type Mutation =
  | { kind: 'drop'; path: number }
  | { kind: 'replace'; path: number; value: Json }
  | { kind: 'hugeArray'; path: number; length: number }
  | { kind: 'deep'; path: number; depth: number; asObject: boolean }
  | { kind: 'junkKey'; path: number; key: string; value: Json };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), path: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), path: fc.nat(), value: wrongValue }),
  fc.record({ kind: fc.constant('hugeArray' as const), path: fc.nat(), length: fc.integer({ min: 1000, max: 50_000 }) }),
  fc.record({ kind: fc.constant('deep' as const), path: fc.nat(), depth: fc.integer({ min: 10, max: 800 }), asObject: fc.boolean() }),
  fc.record({ kind: fc.constant('junkKey' as const), path: fc.nat(), key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'id', 'modified', 'affected', 'ranges', 'events')), value: wrongValue }),
);

/**
 * Node paths in `v` ([] = the root), breadth first, at most 2,000 and 40 levels down: earlier
 * mutations may have made the record huge or thousands deep; later ones need only a target.
 */
function paths(v: Json): (string | number)[][] {
  const out: (string | number)[][] = [];
  const queue: [Json, (string | number)[]][] = [[v, []]];
  for (let qi = 0; qi < queue.length && out.length < 2000; qi++) {
    const [x, at] = queue[qi]!;
    out.push(at);
    if (at.length >= 40 || x === null || typeof x !== 'object') continue;
    const children: [string | number, Json][] = Array.isArray(x) ? x.slice(0, 50).map((c, i) => [i, c]) : Object.entries(x).slice(0, 50);
    for (const [k, c] of children) queue.push([c, [...at, k]]);
  }
  return out;
}

function get(root: Json, path: (string | number)[]): Json {
  let v: Json = root;
  for (const k of path) v = (v as Record<string | number, Json>)[k]!;
  return v;
}

/** Applies one mutation in place at one of the record's paths (the root can only get junk keys). */
function mutate(record: Json, m: Mutation): Json {
  const all = paths(record);
  const path = all[m.path % all.length]!;
  if (m.kind === 'junkKey') {
    const target = get(record, path);
    if (target && typeof target === 'object' && !Array.isArray(target)) Object.defineProperty(target, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
    return record;
  }
  if (path.length === 0) return m.kind === 'replace' ? m.value : record;
  const parent = get(record, path.slice(0, -1)) as Record<string | number, Json>;
  const key = path[path.length - 1]!;
  const old = parent[key]!;
  switch (m.kind) {
    case 'drop':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 'replace':
      parent[key] = m.value;
      break;
    case 'hugeArray': {
      // Copies of the node when it is small; otherwise short strings (the file stays < ~1 MB per copy set).
      // Distinct copies: shared ones would let a later mutation multiply through all of them.
      const text = JSON.stringify(old) ?? 'null';
      parent[key] = Array.from({ length: m.length }, (_, i) => (text.length <= 200 ? (JSON.parse(text) as Json) : `item-${i}`));
      break;
    }
    case 'deep': {
      let v: Json = old;
      for (let i = 0; i < m.depth; i++) v = m.asObject ? { n: v } : [v];
      parent[key] = v;
      break;
    }
  }
  return record;
}

describe('properties: mutated OSV records through the importer', () => {
  let dir: string;
  let run = 0;
  const tally = { runs: 0, valid: 0, mutated: 0, mutatedRejected: 0, mutatedAccepted: 0, warnings: 0 };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-prop-osv-'));
  });
  afterAll(() => {
    figures('properties-osv', tally);
    rmSync(dir, { recursive: true, force: true });
  });

  it('importFiles on batches of valid and mutated records (seed 3301, 200 runs): per-record warnings only, DB valid', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(validRecord, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(validRecord, fc.array(mutation, { minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (valids, bads, alsoArrayFile) => {
          const r = ++run;
          tally.runs++;
          const recs = join(dir, `run-${r}`, 'recs');
          mkdirSync(recs, { recursive: true });
          const db = join(dir, `run-${r}`, 'db.sqlite');
          const validIds: { id: string; record: OsvRecord }[] = [];
          const badFiles: { file: string; record: Json }[] = [];
          valids.forEach((v, i) => {
            // Copies: fast-check reuses generated values (constants, shrinking), and mutate() works in place.
            const record = { id: `PCV-${r}-${i}`, modified: '2025-01-01T00:00:00Z', ...structuredClone(v) } as unknown as OsvRecord;
            writeFileSync(join(recs, `valid-${i}.json`), JSON.stringify(record));
            validIds.push({ id: record.id, record });
          });
          bads.forEach(([v, ms], i) => {
            let record: Json = { id: `BAD-${r}-${i}`, modified: '2025-01-01T00:00:00Z', ...structuredClone(v) } as unknown as Json;
            for (const m of ms) record = mutate(record, m);
            const file = join(recs, `bad-${i}.json`);
            writeFileSync(file, JSON.stringify(record));
            badFiles.push({ file, record });
          });
          if (alsoArrayFile) {
            // One file holding a valid record and the mutated ones: the valid one must still count.
            const record = { id: `PCV-${r}-array`, modified: '2025-01-01T00:00:00Z', ...structuredClone(valids[0]!) } as unknown as OsvRecord;
            writeFileSync(join(recs, 'mixed-array.json'), JSON.stringify([record, ...badFiles.map((b) => b.record)]));
            validIds.push({ id: record.id, record });
          }

          const warnings: string[] = [];
          const stats = await importFiles(db, [recs], { warn: (w) => warnings.push(w) });
          tally.warnings += warnings.length;
          tally.valid += validIds.length;
          tally.mutated += badFiles.length;

          const sqlite = new Database(db, { readonly: true });
          try {
            expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
          } finally {
            sqlite.close();
          }

          const local = openLocalDb(db);
          try {
            for (const { id, record } of validIds) {
              const got = local.getRecord(id);
              expect(got?.id, `valid record ${id} imported (warnings: ${warnings.join(' | ').slice(0, 800)})`).toBe(id);
              for (const a of record.affected ?? []) {
                const found = local.lookupSync([{ ecosystem: a.package!.ecosystem, name: a.package!.name }]);
                expect([...found.values()].flat().some((x) => x.id === id), `${id} found by ${a.package!.ecosystem}/${a.package!.name}`).toBe(true);
              }
            }
            for (const { file, record } of badFiles) {
              const id = record && typeof record === 'object' && !Array.isArray(record) ? (record as { id?: unknown }).id : undefined;
              const accepted = typeof id === 'string' ? local.getRecord(id) : undefined;
              if (accepted) {
                tally.mutatedAccepted++;
                // Accepted despite the mutation (it hit a field portcullis does not rely on): it must
                // read back and match without an exception.
                for (const a of accepted.affected ?? []) {
                  if (a.package) local.lookupSync([{ ecosystem: a.package.ecosystem, name: a.package.name }]);
                  for (const v of ['0', '1.0.0', '1.9', '2.0.0']) affects(a, v);
                }
              } else {
                tally.mutatedRejected++;
                expect(warnings.some((w) => w.includes(file)), `a warning names ${file}`).toBe(true);
                if (alsoArrayFile) expect(warnings.some((w) => w.includes('mixed-array.json[')), 'a per-record warning in the array file').toBe(true);
              }
            }
            expect(stats.added).toBeGreaterThanOrEqual(validIds.length);
          } finally {
            await local.close();
          }
          rmSync(join(dir, `run-${r}`), { recursive: true, force: true });
        },
      ),
      { seed: 3301, numRuns: 200 },
    );
  }, 120_000);
});

// node --import tsx bench/db.ts — vulnerability DB figures on the shared corpus. Prints, asserts nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { importFiles, openLocalDb, serveDb } from '../src/vulndb/index.js';
import { rebuildEcosystemStats } from '../src/vulndb/stats.js';
import { HAVE_SHARED, shared } from '../test/helpers/shared.js';

if (!HAVE_SHARED) {
  console.log('bench/db: ../shared is absent, nothing to measure');
  process.exit(0);
}
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
const rssBefore = process.memoryUsage().rss;
const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-db-'));
const dbPath = join(dir, 'db.sqlite');

let t = performance.now();
const stats = await importFiles(dbPath, [shared('data', 'osv')]);
let ms = performance.now() - t;
const n = stats.added + stats.replaced + stats.kept;
console.log(`import: ${n} records in ${ms.toFixed(0)} ms = ${((n / ms) * 1000).toFixed(0)} records/s`);

const db = openLocalDb(dbPath);
const packages = [...new Map(db.ids().slice(0, 5000).flatMap((id) => (db.getRecord(id)?.affected ?? []).map((a) => a.package)).filter((p) => p !== undefined).map((p) => [`${p!.ecosystem}/${p!.name}`, { ecosystem: p!.ecosystem, name: p!.name }])).values()].slice(0, 1000);
db.lookupSync(packages); // warm
t = performance.now();
const found = db.lookupSync(packages);
ms = performance.now() - t;
console.log(`lookup: ${packages.length} packages warm in ${ms.toFixed(1)} ms (${[...found.values()].reduce((a, v) => a + v.length, 0)} records)`);
await db.close();

const srv = await serveDb({ dbPath, host: '127.0.0.1', port: 0 });
const body = JSON.stringify({ queries: packages.slice(0, 100).map((p) => ({ package: p })) });
const result = await autocannon({ url: `${srv.url}/v1/querybatch`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 8, duration: 5 });
console.log(
  `serve querybatch (100 queries/request): ${result.requests.average.toFixed(0)} req/s, p99 ${result.latency.p99} ms, ` +
    `errors ${result.errors}, non-2xx ${result.non2xx}`,
);
await srv.close();

// coverage() on a big DB: one indexed read per ecosystem from the per-ecosystem statistics, against
// a batched lookup of 1,000 packages, on a synthetic DB with BENCH_DB_RECORDS records × 5 affected
// entries spread over 120 ecosystems (sub-ecosystems included, as Red Hat's `…::appstream`).
const N = Number(process.env.BENCH_DB_RECORDS ?? 200_000);
const ecos = Array.from({ length: 120 }, (_, i) => (i % 3 === 0 ? `Eco${i % 40}:${i}::stream${i % 7}` : i % 3 === 1 ? `Eco${i % 40}:${i}` : `Lang${i}`));
const bigJson = join(dir, 'big.json');
const names = (i: number, k: number) => `pkg-${(i * 7 + k * 13) % 50_000}`;
writeFileSync(bigJson, JSON.stringify(Array.from({ length: N }, (_, i) => ({
  id: `BIG-${i}`, modified: new Date(Date.UTC(2026, 0, 1) + (i % 300) * 86_400_000).toISOString(),
  affected: Array.from({ length: 5 }, (_, k) => ({ package: { ecosystem: ecos[(i + k * 17) % ecos.length]!, name: names(i, k) }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0' }] }] })),
}))));
const bigDb = join(dir, 'big.sqlite');
t = performance.now();
await importFiles(bigDb, [bigJson]);
const importMs = performance.now() - t;
const big = openLocalDb(bigDb);
const affectedRows = (new Database(bigDb, { readonly: true }).prepare('SELECT count(*) FROM affected').pluck().get()) as number;
const queried = ['Eco1', 'Eco3:3', 'Eco0:0', 'Lang2', 'Eco4:4', 'npm', 'Debian:12', 'Eco9:9::stream2', 'Lang5', 'Eco12'];
const bigPackages = Array.from({ length: 1000 }, (_, i) => ({ ecosystem: ecos[i % ecos.length]!, name: `pkg-${(i * 31) % 50_000}` }));
big.coverageSync(queried);
big.lookupSync(bigPackages);
const median = (f: () => void, runs = 9) => {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s0 = performance.now();
    f();
    times.push(performance.now() - s0);
  }
  return times.sort((a, b) => a - b)[runs >> 1]!;
};
const covMs = median(() => big.coverageSync(queried));
const lookMs = median(() => big.lookupSync(bigPackages));
// What a query-time count would cost instead (no statistics): a distinct count over the affected rows.
const raw = new Database(bigDb, { readonly: true });
const scanMs = median(() => {
  for (const e of queried) raw.prepare('SELECT count(DISTINCT a.rid) FROM affected a WHERE a.ecosystem = ? OR (a.ecosystem > ? AND a.ecosystem < ?)').pluck().get(e, `${e}:`, `${e};`);
}, 3);
raw.close();
await big.close();
console.log(`big DB: ${N} records, ${affectedRows} affected rows, imported in ${(importMs / 1000).toFixed(1)} s`);
console.log(
  `coverage(${queried.length} ecosystems): ${covMs.toFixed(3)} ms; lookup of 1,000 packages: ${lookMs.toFixed(1)} ms; ` +
    `coverage / lookup = ${(covMs / lookMs).toFixed(4)}; a count over the affected rows instead: ${scanMs.toFixed(0)} ms (${(scanMs / lookMs).toFixed(1)}x the lookup)`,
);
// Upgrading a schema-1 file computes the statistics once from every affected row.
const rebuilt = new Database(bigDb);
t = performance.now();
rebuildEcosystemStats(rebuilt);
console.log(`statistics recomputed from scratch (schema 1 -> 2 upgrade): ${(performance.now() - t).toFixed(0)} ms`);
rebuilt.close();
console.log(`rss: before ${mb(rssBefore)}, after ${mb(process.memoryUsage().rss)}`);
rmSync(dir, { recursive: true, force: true });

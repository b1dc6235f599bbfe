// node --import tsx bench/db.ts — vulnerability DB figures on the shared corpus. Prints, asserts nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { importFiles, openLocalDb, serveDb } from '../src/vulndb/index.js';
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
console.log(`rss: before ${mb(rssBefore)}, after ${mb(process.memoryUsage().rss)}`);
rmSync(dir, { recursive: true, force: true });

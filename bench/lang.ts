// Bench: npm cataloger parse time over a node_modules with 1,500 installed package.json files.
// Run: node --import tsx bench/lang.ts   (goal: ≤ 1 s added to a scan)
import { performance } from 'node:perf_hooks';
import type { WalkedFile } from '../src/inventory/cataloger.js';
import { npmCataloger } from '../src/inventory/lang/npm.js';

const layer = { index: 0, digest: 'sha256:0', diffId: 'sha256:0' };
const files: WalkedFile[] = [];
for (let i = 0; i < 1500; i++) {
  // A third nested one level down, a tenth scoped: the shapes a real install has.
  const name = i % 10 === 0 ? `@scope${i % 7}/pkg${i}` : `pkg${i}`;
  const dir = i % 3 === 0 ? `/app/node_modules/pkg${i - 1}/node_modules/${name}` : `/app/node_modules/${name}`;
  const doc = {
    name,
    version: `${i % 5}.${i % 13}.${i % 17}`,
    license: 'MIT',
    description: 'x'.repeat(200),
    dependencies: Object.fromEntries(Array.from({ length: 5 }, (_, j) => [`pkg${(i + j * 37) % 1500}`, '^1.0.0'])),
    scripts: { test: 'node test.js' },
  };
  const data = Buffer.from(JSON.stringify(doc, null, 2));
  files.push({ path: `${dir}/package.json`, layer, size: data.length, mode: 0o644, data });
}
const wanted = files.filter((f) => npmCataloger.wants(f.path, f.size));
const t0 = performance.now();
let count = 0;
for (let round = 0; round < 5; round++) {
  const pkgs = await npmCataloger.parse(wanted, { osEcosystem: '', warn: () => {} });
  count = pkgs.length;
}
const ms = (performance.now() - t0) / 5;
console.log(`npm cataloger: ${wanted.length} package.json -> ${count} packages in ${ms.toFixed(1)} ms per parse (goal <= 1000 ms)`);

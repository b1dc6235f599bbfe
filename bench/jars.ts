// Bench: the Java cataloger's capture-time work (distill) on the distinct jars Debian installed
// under /usr/share/java, plus a Spring-Boot-style fat jar of 50 of them stored under BOOT-INF/lib
// (the jars shape of bench/big-images.ts, without the tar around it). Prints, from one run, the
// CPU time per round of distill, of a listing of the same jars' central directories with yauzl
// (the reader jars used before src/util/zip-memory.ts), of the in-memory listing alone, and of
// crc32 over every byte (a pass over the data, the floor of reading it at all); and their ratios.
// Run: node --import tsx bench/jars.ts   (JARS_ROUNDS rounds, default 5; the best round counts)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { javaArchiveCataloger } from '../src/inventory/lang/java.js';
import { openZipBuffer, zipEntries } from '../src/util/zip.js';
import { memoryZipEntries } from '../src/util/zip-memory.js';

const ROUNDS = Number(process.env.JARS_ROUNDS ?? 5);
const JAVA_DIR = '/usr/share/java';

const jars: { path: string; data: Buffer }[] = [];
for (const n of readdirSync(JAVA_DIR).sort()) {
  if (!n.endsWith('.jar')) continue;
  try {
    const p = realpathSync(join(JAVA_DIR, n));
    if (statSync(p).isFile() && !jars.some((j) => j.path === p)) jars.push({ path: p, data: readFileSync(p) });
  } catch {
    // a dangling link
  }
}
if (jars.length === 0) {
  console.log(`no jars under ${JAVA_DIR}: nothing to measure`);
  process.exit(0);
}
const work = mkdtempSync(join(tmpdir(), 'bench-jars-'));
try {
  mkdirSync(join(work, 'BOOT-INF', 'lib'), { recursive: true });
  for (const j of jars.slice(0, 50)) copyFileSync(j.path, join(work, 'BOOT-INF', 'lib', j.path.slice(j.path.lastIndexOf('/') + 1)));
  execFileSync('zip', ['-q', '-r', '-0', join(work, 'app.jar'), 'BOOT-INF'], { cwd: work });
  jars.push({ path: '/opt/boot/app.jar', data: readFileSync(join(work, 'app.jar')) });
} finally {
  rmSync(work, { recursive: true, force: true });
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
async function best(what: () => Promise<unknown> | unknown): Promise<number> {
  let min = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t = cpuMs();
    await what();
    min = Math.min(min, cpuMs() - t);
  }
  return min;
}

let entries = 0;
let packages = 0;
const distill = await best(() => {
  packages = 0;
  for (const j of jars) packages += (JSON.parse(javaArchiveCataloger.distill!(j.path, j.data)!.toString()) as { packages: unknown[] }).packages.length;
});
const listing = await best(() => {
  entries = 0;
  for (const j of jars) for (const _ of memoryZipEntries(j.data)) entries++;
});
const yauzlListing = await best(async () => {
  for (const j of jars) {
    const zip = await openZipBuffer(j.data);
    for await (const _ of zipEntries(zip)) void _;
    zip.close();
  }
});
const floor = await best(() => {
  for (const j of jars) crc32(j.data);
});
const bytes = jars.reduce((n, j) => n + j.data.length, 0);
console.log(`${jars.length} jars (${(bytes / 1e6).toFixed(1)} MB, ${entries} top-level entries; the fat jar's 50 nested read too) -> ${packages} packages; best of ${ROUNDS} rounds, CPU ms:`);
console.log(`  distill (java cataloger)      ${distill.toFixed(1)}`);
console.log(`  in-memory listing             ${listing.toFixed(1)}`);
console.log(`  yauzl listing (before)        ${yauzlListing.toFixed(1)}`);
console.log(`  crc32 of every byte (floor)   ${floor.toFixed(1)}`);
console.log(`ratios: yauzl listing / distill ${(yauzlListing / distill).toFixed(2)}x; distill / crc32 floor ${(distill / floor).toFixed(2)}x; listing share of distill ${((listing / distill) * 100).toFixed(0)}%`);

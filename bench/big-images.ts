// Issue 20's big images: `portcullis sbom` (built CLI, cold: --no-cache) on the three generated
// shapes (bench/lib/big-shapes.ts), against Trivy, the per-entry floor and `gzip -dc`, in
// interleaved rounds (one round runs every command once), so machine load hits all alike.
// Run: node --import tsx bench/big-images.ts [files|jars|both ...]
//   BIG_COPIES  node_modules copies (default 4: ~110k files, ~1.3 GB in the files shape)
//   BIG_JAR_DIRS app dirs holding every Debian jar (default 12: ~850 jars + 3 fat jars)
//   BENCH_RUNS  rounds (default 3; medians are printed; each round starts one command later)
//   BASELINE_BIN another build's bin/portcullis.js (e.g. of main), run in the same rounds: before/after
// Each `ours` also runs with PORTCULLIS_WALK_THREADS=0 (every layer walked on the main thread; the
// default starts a walker thread only on images with 512 MiB beside their largest layer, so of these
// shapes only on `files`): threads / main-thread ratios of wall and CPU time, in the same rounds.
// Printed ratios (goal from issue 20):
//   trivy / ours on the docker-archive (>= 4x), ours / per-entry floor (<= 1.5x: GNU tar listing
//   every entry of every layer, `tar -xOf image.tar LAYERS | tar -itf -`), ours (OCI, gzip layers) /
//   `gzip -dc` of those layers (<= 1.0x), peak RSS (<= 150 MB), and the package sets both report.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { debianImage } from '../test/fixtures/debian-image.js';
import { bigShape, type Shape } from './lib/big-shapes.js';
import { measure, type Measured } from './lib/measure.js';
import { trivyBinary } from './lib/trivy.js';
import { writeEmptyJavaDb } from '../test/lang-image/trivy.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/portcullis.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const COPIES = Number(process.env.BIG_COPIES ?? 4);
const JAR_DIRS = Number(process.env.BIG_JAR_DIRS ?? 12);
const BASELINE = process.env.BASELINE_BIN;
const SHAPES = (process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['files', 'jars', 'both']) as Shape[];

const NO_THREADS = { PORTCULLIS_WALK_THREADS: '0' };
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function layerBlobs(dir: string): string[] {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const blob = (d: string) => join(dir, 'blobs', ...d.split(':'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { layers: { digest: string }[] };
  return manifest.layers.map((l) => blob(l.digest));
}

/** Package identities from a CycloneDX document (purls, the common ground of both tools). */
function purls(bom: string): Set<string> {
  const doc = JSON.parse(bom) as { components?: { purl?: string; components?: unknown[] }[] };
  const out = new Set<string>();
  const walk = (cs: { purl?: string; components?: unknown[] }[] | undefined): void => {
    for (const c of cs ?? []) {
      if (c.purl) {
        // Trivy keeps a deb epoch in the `epoch` qualifier, we in the version: compare with it in.
        const [head, query] = c.purl.split('?') as [string, string | undefined];
        const epoch = new URLSearchParams(query ?? '').get('epoch');
        const at = head.lastIndexOf('@');
        out.add(decodeURIComponent(epoch && epoch !== '0' ? `${head.slice(0, at + 1)}${epoch}:${head.slice(at + 1)}` : head));
      }
      walk(c.components as { purl?: string }[] | undefined);
    }
  };
  walk(doc.components);
  return out;
}

// The build a user runs (`npm run build`): tsc alone would leave the bundle older than its output,
// and bin/portcullis.js would then load the per-file modules (slower to start) instead.
execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
execFileSync(process.execPath, [join(ROOT, 'scripts/bundle-cli.mjs')], { stdio: 'inherit' });
const base = await debianImage();
const trivy = await trivyBinary();
console.log(`load at start: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);

for (const shape of SHAPES) {
  const img = await bigShape(base, shape, COPIES, JAR_DIRS);
  const blobs = layerBlobs(img.ociDir);
  const tarBytes = img.layerNames.length;
  const cmds: Record<string, () => Promise<Measured>> = {
    ours: () => measure(process.execPath, [BIN, 'sbom', `docker-archive:${img.dockerArchive}`, '--quiet', '--no-cache', '--format', 'cyclonedx']),
    ...(BASELINE ? { before: () => measure(process.execPath, [BASELINE, 'sbom', `docker-archive:${img.dockerArchive}`, '--quiet', '--no-cache', '--format', 'cyclonedx']) } : {}),
    oursMain: () => measure(process.execPath, [BIN, 'sbom', `docker-archive:${img.dockerArchive}`, '--quiet', '--no-cache', '--format', 'cyclonedx'], { env: NO_THREADS }),
    oursOci: () => measure(process.execPath, [BIN, 'sbom', img.ociRef, '--quiet', '--no-cache']),
    oursOciMain: () => measure(process.execPath, [BIN, 'sbom', img.ociRef, '--quiet', '--no-cache'], { env: NO_THREADS }),
    trivy: () => {
      // Cold: a fresh cache dir each run, with only the empty Java DB its jar analyzer insists on.
      const cache = mkdtempSync(join(tmpdir(), 'pc-trivy-cold-'));
      writeEmptyJavaDb(cache);
      const args = ['image', '--input', img.dockerArchive, '--format', 'cyclonedx', '--scanners', 'license', '--offline-scan', '--skip-db-update', '--skip-java-db-update', '--cache-dir', cache, '--quiet'];
      return measure(trivy, args).finally(() => rmSync(cache, { recursive: true, force: true }));
    },
    floor: () => measure(`tar -xOf ${img.dockerArchive} ${img.layerNames.join(' ')} | tar -itf - >/dev/null`, [], { shell: true }),
    gunzip: () => measure(`cat ${blobs.join(' ')} | gzip -dc >/dev/null`, [], { shell: true }),
  };
  const got: Record<string, Measured[]> = {};
  // Each round starts one command further along: no command always runs right after the same one
  // (the first of a round followed the previous round's 5-7 s gzip -dc, and was the slowest).
  const order = Object.entries(cmds);
  for (let r = 0; r < RUNS; r++) {
    for (let k = 0; k < order.length; k++) {
      const [name, run] = order[(k + r) % order.length]!;
      (got[name] ??= []).push(await run());
    }
  }
  const ms = (k: string) => median(got[k]!.map((m) => m.wallMs));
  const rss = (k: string) => Math.max(...got[k]!.map((m) => m.maxRssMb));
  const entries = Number(execFileSync('sh', ['-c', `tar -xOf ${img.dockerArchive} ${img.layerNames.join(' ')} | tar -itf - | wc -l`], { encoding: 'utf8' }).trim());
  const size = Number(execFileSync('stat', ['-c', '%s', img.dockerArchive], { encoding: 'utf8' }).trim());
  console.log(`== ${shape}: docker-archive ${(size / 1e6).toFixed(0)} MB, ${tarBytes} layers, ${entries} tar entries (medians of ${RUNS} interleaved rounds)`);
  console.log(`ours docker-archive:   ${ms('ours').toFixed(0)} ms, peak RSS ${rss('ours').toFixed(0)} MB, cpu ${median(got.ours!.map((m) => m.cpuMs)).toFixed(0)} ms`);
  if (BASELINE) console.log(`baseline build:        ${ms('before').toFixed(0)} ms, peak RSS ${rss('before').toFixed(0)} MB, cpu ${median(got.before!.map((m) => m.cpuMs)).toFixed(0)} ms; ours / baseline ${(ms('ours') / ms('before')).toFixed(2)}x`);
  const cpu = (k: string) => median(got[k]!.map((m) => m.cpuMs));
  console.log(`ours oci (gzip):       ${ms('oursOci').toFixed(0)} ms, peak RSS ${rss('oursOci').toFixed(0)} MB, cpu ${cpu('oursOci').toFixed(0)} ms`);
  console.log(`main thread only:      docker-archive ${ms('oursMain').toFixed(0)} ms, peak RSS ${rss('oursMain').toFixed(0)} MB, cpu ${cpu('oursMain').toFixed(0)} ms; oci ${ms('oursOciMain').toFixed(0)} ms, peak RSS ${rss('oursOciMain').toFixed(0)} MB, cpu ${cpu('oursOciMain').toFixed(0)} ms`);
  console.log(`threads / main thread: docker-archive wall ${(ms('ours') / ms('oursMain')).toFixed(2)}x cpu ${(cpu('ours') / cpu('oursMain')).toFixed(2)}x; oci wall ${(ms('oursOci') / ms('oursOciMain')).toFixed(2)}x cpu ${(cpu('oursOci') / cpu('oursOciMain')).toFixed(2)}x`);
  console.log(`trivy (cold cache):    ${ms('trivy').toFixed(0)} ms, peak RSS ${rss('trivy').toFixed(0)} MB`);
  console.log(`per-entry floor (tar): ${ms('floor').toFixed(0)} ms;  gzip -dc of the layers: ${ms('gunzip').toFixed(0)} ms`);
  console.log(`trivy / ours:          ${(ms('trivy') / ms('ours')).toFixed(2)}x (goal >= 4x)`);
  console.log(`ours / floor:          ${(ms('ours') / ms('floor')).toFixed(2)}x (goal <= 1.5x)`);
  console.log(`ours oci / gzip -dc:   ${(ms('oursOci') / ms('gunzip')).toFixed(2)}x (goal <= 1.0x); main thread only ${(ms('oursOciMain') / ms('gunzip')).toFixed(2)}x`);
  console.log(`main thread only:      trivy / ours ${(ms('trivy') / ms('oursMain')).toFixed(2)}x, ours / floor ${(ms('oursMain') / ms('floor')).toFixed(2)}x`);
  const mine = purls(got.ours![0]!.stdout);
  const theirs = purls(got.trivy![0]!.stdout);
  const onlyTrivy = [...theirs].filter((p) => !mine.has(p)).sort();
  const onlyOurs = [...mine].filter((p) => !theirs.has(p)).sort();
  console.log(`package purls: ours ${mine.size}, trivy ${theirs.size}, only ours ${onlyOurs.length}, only trivy ${onlyTrivy.length}`);
  for (const p of onlyTrivy.slice(0, 20)) console.log(`  only trivy: ${p}`);
  for (const p of onlyOurs.slice(0, 20)) console.log(`  only ours:  ${p}`);
}
console.log(`load at end: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);

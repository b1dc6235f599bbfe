// `portcullis sbom` on the real Debian test image. Run: node --import tsx bench/sbom.ts
// Cold scans: every run passes --no-cache (the layer cache is measured by bench/cache.ts).
// The headline figures are the BUILT CLI (bin/portcullis.js over dist/, built here with
// tsconfig.build.json) as users run it; the tsx figures (source, for development) are shown beside.
// Prints ratios measured in this one run (never absolute pass/fail on time):
//   * wall time vs `gzip -dc` of the same layer blobs (goal <= 1.5x)
//   * peak RSS of the child (goal <= 150 MB), and again on a ~10x bigger image and on a generated
//     image of 1,000,000 files in one ~1 GB layer (goal: flat)
//   * wall time vs Trivy on the same docker-archive, and the package-set difference.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { debianImage } from '../test/fixtures/debian-image.js';
import { buildCli } from '../test/helpers/build-cli.js';
import { bigDebianImage } from './lib/big-image.js';
import { millionFileImage, MILLION_FILES } from './lib/million-image.js';
import { measure, type Measured } from './lib/measure.js';
import { trivyBinary, trivyPackages, type NameVersionArch } from './lib/trivy.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, 'src/cli/entry.ts');
const BIN = join(ROOT, 'bin/portcullis.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Report {
  packages: { name: string; version: string; arch?: string }[];
}

async function best(fn: () => Promise<Measured>): Promise<Measured> {
  let b: Measured | undefined;
  for (let i = 0; i < RUNS; i++) {
    const m = await fn();
    if (!b || m.wallMs < b.wallMs) b = { ...m, maxRssMb: Math.max(m.maxRssMb, b?.maxRssMb ?? 0) };
    else b.maxRssMb = Math.max(b.maxRssMb, m.maxRssMb);
  }
  return b as Measured;
}

const sbom = (image: string) => () => measure(process.execPath, [BIN, 'sbom', image, '--quiet', '--no-cache']);
const sbomTsx = (image: string) => () => measure(process.execPath, ['--import', 'tsx', ENTRY, 'sbom', image, '--quiet', '--no-cache']);

/** The gzip layer blobs of an OCI layout, from its manifest. */
function layerBlobs(dir: string): string[] {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const blob = (d: string) => join(dir, 'blobs', ...d.split(':'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8')) as { layers: { digest: string }[] };
  return manifest.layers.map((l) => blob(l.digest));
}

const gunzip = (blobs: string[]) => () => measure(`cat ${blobs.join(' ')} | gzip -dc >/dev/null`, [], { shell: true });

const key = (p: NameVersionArch) => `${p.name} ${p.version} ${p.arch}`;

// The build a user runs: tsc alone would leave the CLI bundle older than its output, and
// bin/portcullis.js would then run the slower per-file build.
buildCli();
const fx = await debianImage();
const startup = await best(() => measure(process.execPath, [BIN, '--version']));
const startupTsx = await best(() => measure(process.execPath, ['--import', 'tsx', ENTRY, '--version']));

const ours = await best(sbom(`oci:${fx.ociRef}`));
const gz = await best(gunzip(layerBlobs(fx.ociDir)));
const oursTsx = await best(sbomTsx(`oci:${fx.ociRef}`));
const oursDocker = await best(sbom(`docker-archive:${fx.dockerArchive}`));
console.log('== portcullis sbom (built CLI: node bin/portcullis.js), Debian bookworm minbase (3 layers)');
console.log(`node startup alone (built CLI):  ${startup.wallMs.toFixed(0)} ms (included below)`);
console.log(`sbom oci layout (gzip layers):   ${ours.wallMs.toFixed(0)} ms, peak RSS ${ours.maxRssMb.toFixed(0)} MB`);
console.log(`gzip -dc of the same layers:     ${gz.wallMs.toFixed(0)} ms`);
console.log(`ratio sbom / gzip -dc:           ${(ours.wallMs / gz.wallMs).toFixed(2)}x (goal <= 1.5x)`);
console.log(`ratio without startup:           ${((ours.wallMs - startup.wallMs) / gz.wallMs).toFixed(2)}x`);
console.log(`same from source (node --import tsx): ${oursTsx.wallMs.toFixed(0)} ms, ${(oursTsx.wallMs / gz.wallMs).toFixed(2)}x, peak RSS ${oursTsx.maxRssMb.toFixed(0)} MB (tsx startup ${startupTsx.wallMs.toFixed(0)} ms)`);
console.log(`sbom docker-archive (plain tar): ${oursDocker.wallMs.toFixed(0)} ms, peak RSS ${oursDocker.maxRssMb.toFixed(0)} MB (goal <= 150 MB)`);

const big = await bigDebianImage(fx);
const oursBig = await best(sbom(`oci:${big.ociRef}`));
const gzBig = await best(gunzip(layerBlobs(big.ociRef.replace(/:test$/, ''))));
console.log('== the same image grown ~10x with 9 filler layers');
console.log(`sbom oci layout:                 ${oursBig.wallMs.toFixed(0)} ms, peak RSS ${oursBig.maxRssMb.toFixed(0)} MB`);
console.log(`gzip -dc of the same layers:     ${gzBig.wallMs.toFixed(0)} ms, ratio ${(oursBig.wallMs / gzBig.wallMs).toFixed(2)}x`);
console.log(`peak RSS 10x / 1x:               ${(oursBig.maxRssMb / ours.maxRssMb).toFixed(2)} (goal: flat, ~1.0)`);

// Entries rather than bytes: 1,000,000 files in one ~1 GB layer (generated, cached).
const million = await millionFileImage();
const oursMillion = await best(sbom(`docker-archive:${million.dockerArchive}`));
console.log(`== a generated image of ${MILLION_FILES.toLocaleString('en')} files in one ~1 GB layer`);
console.log(`sbom docker-archive:             ${oursMillion.wallMs.toFixed(0)} ms, peak RSS ${oursMillion.maxRssMb.toFixed(0)} MB`);
console.log(`peak RSS 1M files / 1x (docker-archive): ${(oursMillion.maxRssMb / oursDocker.maxRssMb).toFixed(2)} (goal: flat, ~1.0; <= 150 MB)`);

const trivy = await trivyBinary();
const cache = mkdtempSync(join(tmpdir(), 'pc-trivy-cache-'));
try {
  let trivyMs = Infinity;
  let tp: NameVersionArch[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await trivyPackages(trivy, fx.dockerArchive, cache);
    if (r.ms < trivyMs) trivyMs = r.ms;
    tp = r.pkgs;
  }
  // Trivy caches layer analysis under --cache-dir; a fresh cache per run is the fair cold number.
  const cold = await trivyPackages(trivy, fx.dockerArchive, mkdtempSync(join(tmpdir(), 'pc-trivy-cold-')));
  console.log('== vs Trivy (trivy image --input docker-archive --format cyclonedx --scanners license)');
  console.log(`trivy warm cache best:           ${trivyMs.toFixed(0)} ms; cold cache ${cold.ms.toFixed(0)} ms`);
  console.log(`ratio sbom / trivy (cold):       ${(oursDocker.wallMs / cold.ms).toFixed(2)}x`);
  const report = JSON.parse(oursDocker.stdout) as Report;
  const mine = new Set(report.packages.map((p) => key({ name: p.name, version: p.version, arch: p.arch ?? '' })));
  const theirs = new Set(tp.map(key));
  const onlyOurs = [...mine].filter((k) => !theirs.has(k)).sort();
  const onlyTrivy = [...theirs].filter((k) => !mine.has(k)).sort();
  console.log(`package sets: portcullis ${mine.size}, trivy ${theirs.size}, only portcullis ${onlyOurs.length}, only trivy ${onlyTrivy.length}`);
  for (const k of onlyOurs) console.log(`  only portcullis: ${k}`);
  for (const k of onlyTrivy) console.log(`  only trivy:      ${k}`);
} finally {
  rmSync(cache, { recursive: true, force: true });
}

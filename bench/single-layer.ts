// Issue 20's single-layer goal: `portcullis sbom` (built CLI, cold: --no-cache) of a one-layer image
// against `gzip -dc` of that layer (goal <= 1.15x), in interleaved rounds so machine load hits both.
// The image is the Debian test image's base layer alone (a whole debootstrap root, ~60 MB gzip),
// written as an OCI layout with a config that names only that layer (cached once per machine).
// Run: node --import tsx bench/single-layer.ts   (BENCH_RUNS rounds, default 7; medians printed)
//   BASELINE_BIN another build's bin/portcullis.js, run in the same rounds: before/after
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedFixture } from '../test/fixtures/cache.js';
import { debianImage } from '../test/fixtures/debian-image.js';
import { measure, type Measured } from './lib/measure.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/portcullis.js');
const SELF = fileURLToPath(import.meta.url);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const BASELINE = process.env.BASELINE_BIN;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

const blobPath = (dir: string, digest: string): string => join(dir, 'blobs', ...digest.split(':'));

/** Writes `data` as a blob of the layout at `dir` and returns its descriptor. */
function putBlob(dir: string, mediaType: string, data: Buffer): Descriptor {
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  writeFileSync(blobPath(dir, digest), data);
  return { mediaType, digest, size: data.length };
}

/** An OCI layout holding the first layer of `from` (an OCI layout) as an image of its own. */
function oneLayerLayout(from: string, out: string): void {
  mkdirSync(join(out, 'blobs', 'sha256'), { recursive: true });
  const index = JSON.parse(readFileSync(join(from, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const manifest = JSON.parse(readFileSync(blobPath(from, index.manifests[0]!.digest), 'utf8')) as { config: Descriptor; layers: Descriptor[] };
  const layer = manifest.layers[0]!;
  copyFileSync(blobPath(from, layer.digest), blobPath(out, layer.digest));
  const config = JSON.parse(readFileSync(blobPath(from, manifest.config.digest), 'utf8')) as {
    rootfs: { diff_ids: string[] };
    history?: { empty_layer?: boolean }[];
  };
  config.rootfs.diff_ids = config.rootfs.diff_ids.slice(0, 1);
  // History: the empty entries and the first that made a layer, as a one-layer build would have.
  const history = config.history ?? [];
  const first = history.findIndex((h) => !h.empty_layer);
  config.history = history.filter((h, i) => h.empty_layer || i === first);
  const cfg = putBlob(out, manifest.config.mediaType, Buffer.from(JSON.stringify(config)));
  const man = putBlob(out, index.manifests[0]!.mediaType, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: index.manifests[0]!.mediaType, config: cfg, layers: [layer] })));
  writeFileSync(join(out, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...man, annotations: { 'org.opencontainers.image.ref.name': 'one' } }] }));
  writeFileSync(join(out, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// The build a user runs: tsc and the CLI bundle (bin/portcullis.js runs the bundle when it is fresh).
execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
execFileSync(process.execPath, [join(ROOT, 'scripts/bundle-cli.mjs')], { stdio: 'inherit' });
const fx = await debianImage();
const dir = await cachedFixture('single-layer', [SELF], async (out) => oneLayerLayout(fx.ociDir, out));
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
const layerBlob = blobPath(dir, (JSON.parse(readFileSync(blobPath(dir, index.manifests[0]!.digest), 'utf8')) as { layers: Descriptor[] }).layers[0]!.digest);
const size = Number(execFileSync('stat', ['-c', '%s', layerBlob], { encoding: 'utf8' }).trim());
console.log(`load at start: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);

const cmds: Record<string, () => Promise<Measured>> = {
  ours: () => measure(process.execPath, [BIN, 'sbom', `oci:${dir}:one`, '--quiet', '--no-cache']),
  ...(BASELINE ? { before: () => measure(process.execPath, [BASELINE, 'sbom', `oci:${dir}:one`, '--quiet', '--no-cache']) } : {}),
  gunzip: () => measure(`gzip -dc < ${layerBlob} >/dev/null`, [], { shell: true }),
  version: () => measure(process.execPath, [BIN, '--version']),
};
const got: Record<string, Measured[]> = {};
for (let r = 0; r < RUNS; r++) for (const [name, run] of Object.entries(cmds)) (got[name] ??= []).push(await run());
const wall = (k: string) => median(got[k]!.map((m) => m.wallMs));
const cpu = (k: string) => median(got[k]!.map((m) => m.cpuMs));
const pkgs = (JSON.parse(got.ours![0]!.stdout) as { packages: unknown[] }).packages.length;
console.log(`== one-layer image (the Debian image's base layer, ${(size / 1e6).toFixed(0)} MB gzip; ${pkgs} packages), medians of ${RUNS} interleaved rounds`);
console.log(`sbom oci:       ${wall('ours').toFixed(0)} ms, cpu ${cpu('ours').toFixed(0)} ms, peak RSS ${Math.max(...got.ours!.map((m) => m.maxRssMb)).toFixed(0)} MB`);
if (BASELINE) console.log(`baseline build: ${wall('before').toFixed(0)} ms, cpu ${cpu('before').toFixed(0)} ms, peak RSS ${Math.max(...got.before!.map((m) => m.maxRssMb)).toFixed(0)} MB; its sbom / gzip -dc: wall ${(wall('before') / wall('gunzip')).toFixed(2)}x`);
console.log(`gzip -dc layer: ${wall('gunzip').toFixed(0)} ms, cpu ${cpu('gunzip').toFixed(0)} ms`);
console.log(`--version:      ${wall('version').toFixed(0)} ms (node start and module loading, included above)`);
console.log(`sbom / gzip -dc: wall ${(wall('ours') / wall('gunzip')).toFixed(2)}x (goal <= 1.15x), cpu ${(cpu('ours') / cpu('gunzip')).toFixed(2)}x`);
console.log(`load at end: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);

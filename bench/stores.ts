// Local image stores against files of the same image, and against Trivy's daemon sources.
// Run: node --import tsx bench/stores.ts   (root; starts a private dockerd and podman service)
// Prints ratios measured in this one run (never absolute pass/fail on time):
//   * `sbom docker:NAME` vs `sbom docker-archive:FILE` of the same image (goal <= 1.3x): read from
//     the engine's data root (this bench runs as root beside its own dockerd: the default), and
//     from the export stream (PORTCULLIS_DOCKER_DIRECT=0: a remote engine, or no access to its root)
//   * Trivy `--image-src docker` on the same engine vs ours (goal: ours >= 3x faster)
//   * peak RSS of the child (goal <= 150 MB)
//   * a warm re-scan of `docker:NAME` (every layer in the layer cache: the export is only hashed)
//     against a cold one
// CPU times are printed beside wall times: steadier on a shared machine, but they leave out the
// daemon's own work (dockerd/podman writing the export), which wall time includes.
//   * the same for `containers-storage:NAME` vs `oci-archive:FILE`, and Trivy `--image-src podman`
//     (Trivy has no daemonless containers-storage source) on a podman service over that store.
// BENCH_ONLY=docker: only `docker:` from the data root against the docker-archive, runs interleaved
// pair by pair (no podman, export stream, Trivy or warm run): the quick loop for that one ratio.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { debianImage } from '../test/fixtures/debian-image.js';
import { exec, startDockerd, startPodman } from '../test/stores/daemons.js';
import { measure, type Measured } from './lib/measure.js';
import { trivyBinary } from './lib/trivy.js';
import { buildCli } from '../test/helpers/build-cli.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/portcullis.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const NAME = 'portcullis/debian:test';

/** Best wall time of RUNS (the machine is shared and noisy), worst peak RSS. */
async function best(fn: () => Promise<Measured>): Promise<Measured> {
  let b: Measured | undefined;
  for (let i = 0; i < RUNS; i++) {
    const m = await fn();
    if (!b || m.wallMs < b.wallMs) b = { ...m, maxRssMb: Math.max(m.maxRssMb, b?.maxRssMb ?? 0) };
    else b.maxRssMb = Math.max(b.maxRssMb, m.maxRssMb);
  }
  return b as Measured;
}

/** measure() passes process.env to the child: set the store's variables for the call. */
async function withEnv<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

const sbom = (image: string) => () => measure(process.execPath, [BIN, 'sbom', image, '--quiet', '--no-cache']);
const packagesOf = (m: Measured) => (JSON.parse(m.stdout) as { packages: unknown[] }).packages.length;

buildCli();
const fx = await debianImage();
const trivy = await trivyBinary();
const trivyCache = mkdtempSync(join(tmpdir(), 'pc-trivy-cache-'));
const trivyImage = (src: string) => () =>
  measure(trivy, ['image', '--image-src', src, '--format', 'cyclonedx', '--scanners', 'license', '--offline-scan', '--skip-db-update', '--skip-java-db-update', '--cache-dir', trivyCache, '--quiet', NAME]);

// overlay2, Docker's default driver: with vfs the engine rebuilds each layer's tar for the export
// by comparing whole directory trees, and that, not the reader, set the pace.
const docker = await startDockerd({ storageDriver: process.env.BENCH_DOCKER_DRIVER === 'vfs' ? 'vfs' : 'overlay2' });
if (process.env.BENCH_ONLY === 'docker') {
  try {
    await exec('docker', ['load', '-i', fx.dockerArchive], { env: { ...process.env, ...docker.env } });
    await onlyDocker();
  } finally {
    await docker.stop();
    rmSync(trivyCache, { recursive: true, force: true });
  }
  process.exit(0);
}
const podman = await startPodman('vfs');
try {
  await exec('docker', ['load', '-i', fx.dockerArchive], { env: { ...process.env, ...docker.env } });
  await exec('podman', ['--root', podman.graphroot, '--runroot', podman.runroot, '--storage-driver', 'vfs', 'load', '-i', fx.dockerArchive], {
    env: { ...process.env, CONTAINERS_STORAGE_CONF: podman.storageConf },
  });

  // Interleaved, so a burst of load on the shared machine hits both sides alike.
  const fromDocker = await withEnv(docker.env, () => best(sbom(`docker:${NAME}`)));
  const fromArchive = await best(sbom(`docker-archive:${fx.dockerArchive}`));
  const fromExport = await withEnv({ ...docker.env, PORTCULLIS_DOCKER_DIRECT: '0' }, () => best(sbom(`docker:${NAME}`)));
  // Trivy caches layers by digest: a fresh cache dir for every run keeps it cold like ours.
  const trivyDocker = await withEnv(docker.env, () => best(async () => {
    rmSync(trivyCache, { recursive: true, force: true });
    return trivyImage('docker')();
  }));
  console.log(`== docker: (private dockerd 20.10, ${process.env.BENCH_DOCKER_DRIVER === 'vfs' ? 'vfs' : 'overlay2'}) vs the docker-archive file of the same image`);
  console.log(`sbom docker:${NAME}:        ${fromDocker.wallMs.toFixed(0)} ms, peak RSS ${fromDocker.maxRssMb.toFixed(0)} MB, ${packagesOf(fromDocker)} packages`);
  console.log(`sbom docker:, export stream:  ${fromExport.wallMs.toFixed(0)} ms, peak RSS ${fromExport.maxRssMb.toFixed(0)} MB, ${packagesOf(fromExport)} packages`);
  console.log(`sbom docker-archive:FILE:     ${fromArchive.wallMs.toFixed(0)} ms, peak RSS ${fromArchive.maxRssMb.toFixed(0)} MB, ${packagesOf(fromArchive)} packages`);
  console.log(`trivy --image-src docker:     ${trivyDocker.wallMs.toFixed(0)} ms, peak RSS ${trivyDocker.maxRssMb.toFixed(0)} MB`);
  console.log(`ratio docker: / archive:      ${(fromDocker.wallMs / fromArchive.wallMs).toFixed(2)}x wall, ${(fromDocker.cpuMs / fromArchive.cpuMs).toFixed(2)}x CPU of our process (goal <= 1.3x)`);
  console.log(`ratio docker: export / archive: ${(fromExport.wallMs / fromArchive.wallMs).toFixed(2)}x wall, ${(fromExport.cpuMs / fromArchive.cpuMs).toFixed(2)}x CPU (the engine writes the export: its own time is in the wall)`);
  console.log(`trivy / ours (docker:):       ${(trivyDocker.wallMs / fromDocker.wallMs).toFixed(2)}x faster wall, ${(trivyDocker.cpuMs / fromDocker.cpuMs).toFixed(2)}x CPU (goal >= 3x); against our export stream ${(trivyDocker.wallMs / fromExport.wallMs).toFixed(2)}x wall`);
  console.log(`peak RSS docker:              ${fromDocker.maxRssMb.toFixed(0)} MB (goal <= 150 MB)`);
  const cacheDir = mkdtempSync(join(tmpdir(), 'pc-stores-cache-'));
  const cached = () => measure(process.execPath, [BIN, 'sbom', `docker:${NAME}`, '--quiet', '--cache-dir', cacheDir]);
  await withEnv({ ...docker.env, XDG_STATE_HOME: join(cacheDir, 'state') }, async () => {
    await cached();
    const warm = await best(cached);
    console.log(`warm docker: (layer cache):   ${warm.wallMs.toFixed(0)} ms = ${((100 * warm.wallMs) / fromDocker.wallMs).toFixed(1)}% of cold wall, CPU ${((100 * warm.cpuMs) / fromDocker.cpuMs).toFixed(1)}%`);
  });
  rmSync(cacheDir, { recursive: true, force: true });

  const storageEnv = { CONTAINERS_STORAGE_CONF: podman.storageConf };
  const fromStorage = await withEnv(storageEnv, () => best(sbom(`containers-storage:${NAME}`)));
  const fromOci = await best(sbom(`oci-archive:${fx.ociArchive}`));
  const trivyPodman = await withEnv({ XDG_RUNTIME_DIR: podman.env.XDG_RUNTIME_DIR }, () => best(async () => {
    rmSync(trivyCache, { recursive: true, force: true });
    return trivyImage('podman')();
  }));
  console.log('== containers-storage: (vfs, no daemon) vs the OCI archive of the same image');
  console.log(`sbom containers-storage:NAME: ${fromStorage.wallMs.toFixed(0)} ms, peak RSS ${fromStorage.maxRssMb.toFixed(0)} MB, ${packagesOf(fromStorage)} packages`);
  console.log(`sbom oci-archive:FILE:        ${fromOci.wallMs.toFixed(0)} ms, peak RSS ${fromOci.maxRssMb.toFixed(0)} MB, ${packagesOf(fromOci)} packages`);
  console.log(`trivy --image-src podman:     ${trivyPodman.wallMs.toFixed(0)} ms, peak RSS ${trivyPodman.maxRssMb.toFixed(0)} MB`);
  console.log(`ratio storage / oci-archive:  ${(fromStorage.wallMs / fromOci.wallMs).toFixed(2)}x wall, ${(fromStorage.cpuMs / fromOci.cpuMs).toFixed(2)}x CPU (goal <= 1.3x)`);
  console.log(`trivy / ours (storage):       ${(trivyPodman.wallMs / fromStorage.wallMs).toFixed(2)}x faster wall, ${(trivyPodman.cpuMs / fromStorage.cpuMs).toFixed(2)}x CPU (goal >= 3x)`);
  console.log(`peak RSS containers-storage:  ${fromStorage.maxRssMb.toFixed(0)} MB (goal <= 150 MB)`);
} finally {
  await docker.stop();
  await podman.stop();
  rmSync(trivyCache, { recursive: true, force: true });
}

/** BENCH_ONLY=docker: each run is a pair (data root, then archive); best of each side, medians of CPU. */
async function onlyDocker(): Promise<void> {
  const direct: Measured[] = [];
  const archive: Measured[] = [];
  // One unmeasured run of each warms the page cache and the built CLI.
  await withEnv(docker.env, sbom(`docker:${NAME}`));
  await sbom(`docker-archive:${fx.dockerArchive}`)();
  for (let i = 0; i < RUNS; i++) {
    direct.push(await withEnv(docker.env, sbom(`docker:${NAME}`)));
    archive.push(await sbom(`docker-archive:${fx.dockerArchive}`)());
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const show = (ms: Measured[]): string =>
    `wall best ${Math.min(...ms.map((m) => m.wallMs)).toFixed(0)} / median ${median(ms.map((m) => m.wallMs)).toFixed(0)} ms, CPU best ${Math.min(...ms.map((m) => m.cpuMs)).toFixed(0)} / median ${median(ms.map((m) => m.cpuMs)).toFixed(0)} ms, peak RSS ${Math.max(...ms.map((m) => m.maxRssMb)).toFixed(0)} MB, ${packagesOf(ms[0]!)} packages`;
  console.log(`== docker: from the data root (private dockerd, ${process.env.BENCH_DOCKER_DRIVER === 'vfs' ? 'vfs' : 'overlay2'}) vs docker-archive, ${RUNS} interleaved pairs`);
  console.log(`sbom docker:${NAME}:     ${show(direct)}`);
  console.log(`sbom docker-archive:FILE:  ${show(archive)}`);
  const ratio = (f: (m: Measured) => number): string => (median(direct.map(f)) / median(archive.map(f))).toFixed(2);
  console.log(`ratio docker: / archive (medians): ${ratio((m) => m.wallMs)}x wall, ${ratio((m) => m.cpuMs)}x CPU (goal <= 1.3x)`);
}

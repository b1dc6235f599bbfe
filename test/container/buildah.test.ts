// The same Containerfile built with `buildah bud` (a private overlay containers-storage in a temp dir,
// the same Debian-made bases), then pushed to a docker-archive and run in a private dockerd the
// locked-down way. A second full build (npm ci, better-sqlite3 compiled): minutes, cold.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_BASE_TAG, MACHINE_CA, RUNTIME_BASE_TAG, node20Bases } from '../fixtures/portcullis-image.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { hasCommand } from '../stores/daemons.js';
import { privateDocker, type PrivateDocker } from './docker.js';

const exec = promisify(execFile);
const TAG = 'localhost/portcullis:buildah';
const PKG = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };

describe.skipIf(!hasCommand('buildah'))('buildah bud builds the portcullis Containerfile', () => {
  let dir: string;
  let archive: string;
  let d: PrivateDocker | undefined;
  let buildah: (args: string[]) => Promise<{ stdout: string; stderr: string }>;

  beforeAll(async () => {
    const bases = await node20Bases();
    dir = mkdtempSync(join(tmpdir(), 'portcullis-buildah-'));
    const conf = join(dir, 'containers.conf');
    // The machine's default ulimits are above what this sandbox allows a container.
    writeFileSync(conf, `[containers]\ndefault_ulimits = []\n[engine]\ntmp_dir = "${join(dir, 'tmp')}"\n`);
    const env = { ...process.env, CONTAINERS_CONF: conf, TMPDIR: dir };
    // overlay: with vfs, every RUN/COPY step copies the whole root filesystem (a run here took > 40 min).
    const store = ['--root', join(dir, 'graph'), '--runroot', join(dir, 'run'), '--storage-driver', 'overlay'];
    buildah = (args) => exec('buildah', [...store, ...args], { env, maxBuffer: 256 * 1024 * 1024, timeout: 60 * 60_000 });
    await buildah(['pull', '-q', `docker-archive:${bases.runtime}`]);
    await buildah(['pull', '-q', `docker-archive:${bases.build}`]);
    await buildah([
      'bud', '--network', 'host', '--layers', '-f', join(PROJECT_ROOT, 'Containerfile'),
      '--build-arg', `BASE=${RUNTIME_BASE_TAG}`, '--build-arg', `BUILD_BASE=${BUILD_BASE_TAG}`,
      '--build-arg', `VERSION=${PKG.version}`, '--build-arg', 'REVISION=buildah-test',
      '--secret', `id=build_ca,src=${MACHINE_CA}`, '-t', TAG, PROJECT_ROOT,
    ]);
    archive = join(dir, 'image.tar');
    await buildah(['push', TAG, `docker-archive:${archive}:${TAG}`]);
    d = await privateDocker(archive);
  }, 90 * 60_000);
  afterAll(async () => {
    await d?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has the numeric user, entrypoint, volume and labels', async () => {
    const { stdout } = await buildah(['inspect', '--type', 'image', TAG]);
    const config = (JSON.parse(stdout) as { OCIv1: { config: { User: string; Entrypoint: string[]; Volumes: Record<string, object>; Labels: Record<string, string> } } }).OCIv1.config;
    expect(config.User).toBe('65532:65532');
    expect(config.Entrypoint).toEqual(['portcullis']);
    expect(Object.keys(config.Volumes)).toEqual(['/var/cache/portcullis']);
    expect(config.Labels['org.opencontainers.image.version']).toBe(PKG.version);
    expect(config.Labels['org.opencontainers.image.revision']).toBe('buildah-test');
  }, 60_000);

  it('runs under --read-only --user 65532 --network none', async () => {
    const r = await d!.docker(['run', '--rm', '--read-only', '--user', '65532', '--network', 'none', TAG, '--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`portcullis ${PKG.version}`);
  }, 120_000);
});

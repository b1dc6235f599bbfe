// `portcullis scan 127.0.0.1:PORT/repo:tag` against a real registry with basic auth: the same
// findings as the OCI archive of the same image, credentials from stdin, never echoed.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { errorLines, runCli, spawnCli } from '../helpers/cli.js';
import { skopeoPush, startRegistry, type RunningRegistry } from '../registry/harness.js';

const USER = 'ci-bot';
const PASSWORD = 's3cr3t-registry-pass-Zq9';

describe('scan from a registry', () => {
  let img: DebianImageFixture;
  let registry: RunningRegistry;
  let dir: string;
  let db: string;
  let ref: string;
  const env = () => ({ PORTCULLIS_DB: db, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache') });

  beforeAll(async () => {
    img = await debianImage();
    dir = mkdtempSync(join(tmpdir(), 'portcullis-scan-registry-'));
    registry = await startRegistry({ kind: 'basic', username: USER, password: PASSWORD });
    ref = `${registry.host}/portcullis/debian:test`;
    await skopeoPush(`oci:${img.ociRef}`, ref, ['--dest-creds', `${USER}:${PASSWORD}`]);
    mkdirSync(join(dir, 'records'));
    writeFileSync(join(dir, 'records', 'glibc.json'), JSON.stringify({
      id: 'DEBIAN-CVE-2019-1010022', upstream: ['CVE-2019-1010022'], modified: new Date().toISOString(),
      affected: [{ package: { ecosystem: 'Debian:12', name: 'glibc' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'unimportant' } }],
    }));
    db = join(dir, 'db.sqlite');
    expect((await runCli(['db', 'import', '--db', db, join(dir, 'records')])).code).toBe(0);
  }, 1_800_000);
  afterAll(async () => {
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same packages and findings as the OCI archive', async () => {
    const remote = await spawnCli(['scan', ref, '--username', USER, '--password-stdin', '--policy', 'none', '--format', 'json'], { env: env(), stdin: `${PASSWORD}\n` });
    expect(remote.code, remote.stderr).toBe(0);
    const local = await spawnCli(['scan', img.ociArchive, '--policy', 'none', '--format', 'json'], { env: env() });
    expect(local.code, local.stderr).toBe(0);
    const r = JSON.parse(remote.stdout) as Report;
    const l = JSON.parse(local.stdout) as Report;
    expect(r.image.sourceType).toBe('registry');
    expect(r.image.configDigest).toBe(l.image.configDigest);
    expect(r.layers.map((x) => x.diffId)).toEqual(l.layers.map((x) => x.diffId));
    const strip = (rep: Report) => rep.packages.map((p) => `${p.purl} ${p.layer.index} ${p.layer.diffId}`);
    expect(strip(r)).toEqual(strip(l));
    expect(r.findings!.map((f) => `${f.id} ${f.package.purl}`)).toEqual(l.findings!.map((f) => `${f.id} ${f.package.purl}`));
    expect(r.findings!.length).toBe(2);
    expect(remote.stdout + remote.stderr).not.toContain(PASSWORD);
  });

  it('a wrong password is exit 2 with one line that names the registry, never the secret', async () => {
    const bad = await spawnCli(['scan', ref, '--username', USER, '--password-stdin', '--format', 'json'], { env: env(), stdin: 'wrong-password-XYZ\n' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(registry.host);
    // One error line (a notice naming the local stores tried may come before the registry's error).
    expect(errorLines(bad.stderr)).toHaveLength(1);
    expect(bad.stdout + bad.stderr).not.toContain('wrong-password-XYZ');
    const anon = await spawnCli(['sbom', ref], { env: env() });
    expect(anon.code).toBe(2);
  });
});

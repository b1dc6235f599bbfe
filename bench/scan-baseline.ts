// What issue 15 (no silent pass) costs a covered scan: this build's default `scan` against the build
// of the commit before issue 15's work began. Run: node --import tsx bench/scan-baseline.ts
// Env: BENCH_BASE_REF (default 6de25ca, the last commit before b13a5bc), BENCH_ROUNDS (default 7),
// BENCH_CACHE=warm (a warm private layer cache for each build instead of --no-cache),
// BENCH_IMAGES (default debian,lang: the Debian test image and the multi-language one),
// BENCH_SHARED_OSV=0 (leave the ../shared OSV corpus out of the Debian image's DBs).
// The base is extracted with `git archive` into a temp dir outside the repo (node_modules linked to
// this repo's) and built with its own `npm run build`; each build imports the same OSV input into a
// DB of its own schema with its own `db import`. Both must give the same verdict and finding count.
// Prints new/base ratios of the medians (wall and CPU = user + sys), measured in this one run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OsvRecord } from '../src/model/osv.js';
import type { Report } from '../src/model/report.js';
import { debianImage } from '../test/fixtures/debian-image.js';
import { langImage } from '../test/fixtures/lang-image.js';
import { kevCatalog } from '../test/helpers/kev.js';
import { buildCli } from '../test/helpers/build-cli.js';
import { measure, type Measured } from './lib/measure.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BASE_REF = process.env.BENCH_BASE_REF ?? '6de25ca';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARM = process.env.BENCH_CACHE === 'warm';
const SHARED_OSV = join(ROOT, '..', 'shared', 'data', 'osv');
const useShared = process.env.BENCH_SHARED_OSV !== '0' && existsSync(SHARED_OSV);

/** The base ref's tree, built once per commit under the temp dir (reused by later runs). */
function baseBuild(): string {
  const commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--verify', `${BASE_REF}^{commit}`], { encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `portcullis-bench-base-${commit.slice(0, 12)}`);
  if (existsSync(join(dir, '.built'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', ROOT, commit, dir]);
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'));
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  writeFileSync(join(dir, '.built'), `${commit}\n`);
  return dir;
}

buildCli();
const builds = { new: join(ROOT, 'bin/portcullis.js'), base: join(baseBuild(), 'bin/portcullis.js') };
type Build = keyof typeof builds;

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-scan-baseline-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'kev.json'), kevCatalog());

/**
 * One unfixed record per package the new build's sbom finds (per Debian source package; per name
 * in a language ecosystem), so every package is matched and the match does real range work, each
 * with a CVSS vector as real records carry (a third of them CRITICAL).
 */
async function recordsFor(label: string, image: string): Promise<{ dir: string; packages: number }> {
  const inventory = JSON.parse((await measure(process.execPath, [builds.new, 'sbom', image, '--quiet', '--no-cache'])).stdout) as Report;
  const out = join(dir, `${label}-records`);
  mkdirSync(out);
  const seen = new Set<string>();
  for (const p of inventory.packages) {
    const name = p.type === 'deb' ? (p.sourceName ?? p.name) : p.name;
    const key = `${p.ecosystem}\u0000${name}`;
    if (seen.has(key)) continue;
    const i = seen.size;
    seen.add(key);
    const rec: OsvRecord = {
      id: `TEST-2099-${10000 + i}`, modified: new Date().toISOString(), upstream: [`CVE-2099-${10000 + i}`],
      severity: [{ type: 'CVSS_V3', score: i % 3 === 0 ? 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' : 'CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N' }],
      affected: [{
        package: { ecosystem: p.ecosystem, name },
        ranges: [{ type: ['Go', 'npm', 'crates.io'].includes(p.ecosystem) ? 'SEMVER' : 'ECOSYSTEM', events: [{ introduced: '0' }, ...(p.type === 'deb' ? [{ fixed: '99:0' }] : [])] }],
      }],
    };
    writeFileSync(join(out, `${i}.json`), JSON.stringify(rec));
  }
  return { dir: out, packages: inventory.packages.length };
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Both builds' default scan of one image, interleaved; prints the ratios. */
async function compare(label: string, archive: string, withShared: boolean): Promise<void> {
  const image = `docker-archive:${archive}`;
  const records = await recordsFor(label, image);
  const inputs = [records.dir, join(dir, 'kev.json'), ...(withShared ? [SHARED_OSV] : [])];
  const dbs = {} as Record<Build, string>;
  const cacheDirs = {} as Record<Build, string>;
  for (const b of Object.keys(builds) as Build[]) {
    dbs[b] = join(dir, `${label}-${b}.sqlite`);
    cacheDirs[b] = join(dir, `${label}-${b}-cache`);
    mkdirSync(cacheDirs[b], { mode: 0o700 });
    execFileSync(process.execPath, [builds[b], 'db', 'import', '--db', dbs[b], '--quiet', ...inputs], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  // The default scan: default policy, JSON report to stdout; the age check skipped for both (the
  // shared corpus is dated 2026-08: its data date is checked per source, a data-date check).
  // --no-cache by default, so both builds do the same work (inventory of every layer + match +
  // gate); with BENCH_CACHE=warm each build re-scans from a private layer cache it warmed itself.
  const args = (b: Build) => ['scan', image, '--db', dbs[b], '--format', 'json', '--quiet', '--skip-db-age-check', ...(WARM ? ['--cache-dir', cacheDirs[b]] : ['--no-cache'])];
  const verdict = (m: Measured) => {
    const r = JSON.parse(m.stdout) as Report;
    return { blocked: r.decision?.blocked, findings: r.findings?.length ?? 0 };
  };
  const run = (b: Build) => measure(process.execPath, [builds[b], ...args(b)], { allowExit: [1] });
  const first = { new: verdict(await run('new')), base: verdict(await run('base')) };
  if (first.new.blocked !== first.base.blocked || first.new.findings !== first.base.findings) {
    throw new Error(`${label}: the builds disagree: new ${JSON.stringify(first.new)}, base ${JSON.stringify(first.base)}`);
  }
  console.log(`${label} image: both builds blocked=${first.new.blocked}, ${first.new.findings} findings, ${records.packages} packages; base ${BASE_REF}; ${WARM ? 'warm layer cache' : '--no-cache'}; DB ${withShared ? 'with' : 'without'} the shared OSV corpus`);

  // Interleaved rounds, the order swapped every round (a shared machine's load drifts).
  const times: Record<Build, Measured[]> = { new: [], base: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const b of (i % 2 ? ['base', 'new'] : ['new', 'base']) as Build[]) {
      const m = await run(b);
      const v = verdict(m);
      if (v.blocked !== first.new.blocked || v.findings !== first.new.findings) throw new Error(`${label}: ${b} changed its verdict in round ${i}: ${JSON.stringify(v)}`);
      times[b].push(m);
    }
  }
  for (const m of ['wallMs', 'cpuMs'] as const) {
    const n = median(times.new.map((t) => t[m]));
    const b = median(times.base.map((t) => t[m]));
    const paired = median(times.new.map((t, i) => t[m] / times.base[i]![m]));
    console.log(`  ${m === 'wallMs' ? 'wall' : 'CPU '}: new ${n.toFixed(0)} ms / base ${b.toFixed(0)} ms = ${(n / b).toFixed(3)}x (median of per-round ratios ${paired.toFixed(3)}x; goal <= 1.05x)`);
  }
  console.log(`  peak RSS: new ${median(times.new.map((t) => t.maxRssMb)).toFixed(0)} MB, base ${median(times.base.map((t) => t.maxRssMb)).toFixed(0)} MB`);
}

const wanted = (process.env.BENCH_IMAGES ?? 'debian,lang').split(',');
if (wanted.includes('debian')) await compare('debian', (await debianImage()).dockerArchive, useShared);
// Without the shared corpus: its Go stdlib records are judged by a platform filter (goos/goarch of
// the binary) that the base build lacks, so their finding counts differ by design.
if (wanted.includes('lang')) await compare('lang', (await langImage()).dockerArchive, false);

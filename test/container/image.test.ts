// The portcullis image, built for real (test/fixtures/portcullis-image.ts) and run in a private
// dockerd as a platform would: read-only root, a numeric non-root user, no network, the DB on a
// volume. Then portcullis scans its own image and the inventory is held against the image's own
// dpkg database (dpkg-query) and its production node_modules (npm ls).
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import semver from 'semver';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { debianImage, type DebianImageFixture } from '../fixtures/debian-image.js';
import { MACHINE_CA, PORTCULLIS_IMAGE_TAG, portcullisImage, type PortcullisImageBuild } from '../fixtures/portcullis-image.js';
import { HAVE_SHARED, PROJECT_ROOT, shared } from '../helpers/shared.js';
import { privateDocker, type PrivateDocker } from './docker.js';

const USER = '65532';
const VOLUME_DIR = '/var/cache/portcullis';
const PKG = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
const LOCK = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean; optional?: boolean; link?: boolean; os?: string[]; cpu?: string[] }>;
};

// Records written from the Debian security tracker's facts: CVE-2019-1010022 (glibc) is <unfixed>
// and "unimportant" in bookworm (Debian:12) and trixie (Debian:13) alike.
function debianRecord(ecosystem: string) {
  return {
    schema_version: '1.6.0', id: 'DEBIAN-CVE-2019-1010022', upstream: ['CVE-2019-1010022'], modified: new Date().toISOString(),
    published: '2019-07-15T00:00:00Z', details: 'CVE-2019-1010022 in glibc',
    affected: [{ package: { ecosystem, name: 'glibc' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: { urgency: 'unimportant' } }],
    references: [{ type: 'ADVISORY', url: 'https://security-tracker.debian.org/tracker/CVE-2019-1010022' }],
  };
}
const BLOCK_ALL = `apiVersion: portcullis.dev/v1
kind: Policy
metadata: {name: block-all}
spec:
  rules:
    - {id: all, description: block all, action: block, when: {severity: [CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN]}}
`;

interface Osv { id: string; affected: { package: { ecosystem: string; name: string }; ranges: { type: string; events: Record<string, string>[] }[] }[] }

/** Does an OSV ECOSYSTEM/SEMVER range list of npm events include `version`? (node-semver) */
function npmAffected(rec: Osv, name: string, version: string): boolean {
  return rec.affected.some((a) => a.package.ecosystem === 'npm' && a.package.name === name && a.ranges.some((r) => {
    let introduced: string | undefined;
    for (const e of r.events) {
      if (e.introduced !== undefined) introduced = e.introduced === '0' ? '0.0.0' : e.introduced;
      const end = e.fixed ?? e.last_affected;
      if (end !== undefined && introduced !== undefined) {
        const inside = semver.gte(version, introduced) && (e.fixed ? semver.lt(version, end) : semver.lte(version, end));
        if (inside) return true;
        introduced = undefined;
      }
    }
    return introduced !== undefined && semver.gte(version, introduced);
  }));
}

/** Every regular file of every layer of a docker-archive whose sha256 is `sha` (by size first). */
async function layerFilesWithContent(archive: string, size: number, sha: string): Promise<string[]> {
  const hits: string[] = [];
  const outer = tar.extract();
  outer.on('entry', (header, stream, next) => {
    if (header.type !== 'file' || !(header.name.endsWith('.tar') || header.name.startsWith('blobs/'))) {
      stream.resume();
      stream.on('end', next);
      return;
    }
    const inner = tar.extract();
    inner.on('entry', (h, s, n) => {
      if (h.type === 'file' && h.size === size) {
        const hash = createHash('sha256');
        s.on('data', (c: unknown) => hash.update(c as Buffer));
        s.on('end', () => {
          if (hash.digest('hex') === sha) hits.push(`${header.name}:${h.name}`);
          n();
        });
      } else {
        s.resume();
        s.on('end', n);
      }
    });
    inner.on('finish', next);
    // Not a tar (a config blob): nothing to look at.
    inner.on('error', () => { stream.resume(); next(); });
    stream.pipe(inner);
  });
  await new Promise<void>((resolve, reject) => {
    outer.on('finish', resolve);
    outer.on('error', reject);
    createReadStream(archive).pipe(outer);
  });
  return hits;
}

describe('the portcullis image', () => {
  let build: PortcullisImageBuild;
  let d: PrivateDocker;
  let dir: string;
  let debian: DebianImageFixture;
  const run = (args: string[]) => d.docker(['run', '--rm', ...args]);
  /** Container flags of a locked-down platform: read-only root, numeric non-root user, no network. */
  const LOCKED = ['--read-only', '--user', USER, '--network', 'none'];

  beforeAll(async () => {
    build = await portcullisImage();
    debian = await debianImage();
    d = await privateDocker(build.archive);
    dir = mkdtempSync(join(tmpdir(), 'portcullis-image-'));
    chmodSync(dir, 0o755);
  }, 90 * 60_000);
  afterAll(async () => {
    await d?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A host directory the container user may write (reports). */
  const outDir = (name: string) => {
    const p = join(dir, name);
    mkdirSync(p);
    chownSync(p, Number(USER), Number(USER));
    return p;
  };
  /** Records (and any extra files) in a host directory the container reads. */
  const inputDir = (name: string, files: Record<string, string>) => {
    const p = join(dir, name);
    mkdirSync(p, { mode: 0o755 });
    for (const [f, text] of Object.entries(files)) writeFileSync(join(p, f), text, { mode: 0o644 });
    return p;
  };

  it('prints its version as user 65532 on a read-only root with no network', async () => {
    const r = await run([...LOCKED, PORTCULLIS_IMAGE_TAG, '--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`portcullis ${PKG.version}`);
  }, 120_000);

  it('declares a numeric user, the entrypoint, the DB volume and the OCI labels', async () => {
    const r = await d.docker(['image', 'inspect', PORTCULLIS_IMAGE_TAG]);
    const [img] = JSON.parse(r.stdout) as [{ Config: { User: string; Entrypoint: string[]; Volumes: Record<string, object>; Env: string[]; Labels: Record<string, string> } }];
    expect(img.Config.User).toBe(`${USER}:${USER}`);
    expect(img.Config.Entrypoint).toEqual(['portcullis']);
    expect(Object.keys(img.Config.Volumes)).toEqual([VOLUME_DIR]);
    expect(img.Config.Env).toContain(`PORTCULLIS_DB=${VOLUME_DIR}/db.sqlite`);
    expect(img.Config.Labels['org.opencontainers.image.version']).toBe(PKG.version);
    expect(img.Config.Labels['org.opencontainers.image.revision']).toBe(build.facts.buildArgs.REVISION);
    expect(img.Config.Labels['org.opencontainers.image.source']).toMatch(/^https:\/\//);
  }, 60_000);

  it('holds production dependencies only, no toolchain, and not the build\'s CA bundle', async () => {
    const ls = await run(['--entrypoint', 'sh', PORTCULLIS_IMAGE_TAG, '-c', 'cd /opt/portcullis/node_modules && ls -d * @*/*; command -v npm g++ make python3 || true']);
    expect(ls.code, ls.stderr).toBe(0);
    const present = new Set(ls.stdout.split('\n'));
    expect(present.has('better-sqlite3')).toBe(true);
    // devDependencies that no production package needs (the lockfile marks them dev) are absent.
    const devOnly = Object.keys(PKG.devDependencies).filter((n) => LOCK.packages[`node_modules/${n}`]?.dev);
    expect(devOnly.length).toBeGreaterThan(0);
    expect(devOnly.filter((n) => present.has(n))).toEqual([]);
    expect(ls.stdout).not.toMatch(/\/(npm|g\+\+|make|python3)$/m);
    // The build stage trusted the machine's CA bundle (a build secret): no layer holds its bytes.
    const ca = readFileSync(MACHINE_CA);
    const caSha = createHash('sha256').update(ca).digest('hex');
    expect(await layerFilesWithContent(build.archive, ca.length, caSha)).toEqual([]);
  }, 10 * 60_000);

  it('imports a DB onto a volume and gates a real image under --read-only --user 65532 --network none', async () => {
    const inputs = inputDir('in-debian', {
      'debian-12.json': JSON.stringify(debianRecord('Debian:12')),
      'block-all.yaml': BLOCK_ALL,
    });
    const out = outDir('out-debian');
    const vol = 'portcullis-db-debian';
    expect((await d.docker(['volume', 'create', vol])).code).toBe(0);
    const mounts = ['-v', `${vol}:${VOLUME_DIR}`, '-v', `${inputs}:/in:ro`, '-v', `${debian.dockerArchive}:/image.tar:ro`, '-v', `${out}:/out`];
    const imported = await run([...LOCKED, ...mounts, PORTCULLIS_IMAGE_TAG, 'db', 'import', '/in/debian-12.json']);
    expect(imported.code, imported.stderr).toBe(0);

    const pass = await run([...LOCKED, ...mounts, PORTCULLIS_IMAGE_TAG, 'scan', '/image.tar', '--offline', '--quiet', '--policy', 'none', '--format', 'json=/out/pass.json']);
    expect(pass.code, pass.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'pass.json'), 'utf8')) as Report;
    const libc = report.packages.filter((p) => p.type === 'deb' && (p.sourceName ?? p.name) === 'glibc').map((p) => p.name).sort();
    expect(libc.length).toBeGreaterThan(0);
    expect(report.findings!.filter((f) => f.id === 'CVE-2019-1010022').map((f) => f.package.name).sort()).toEqual(libc);
    expect(report.coverage!.ecosystems.every((e) => e.status === 'covered')).toBe(true);

    const blocked = await run([...LOCKED, ...mounts, PORTCULLIS_IMAGE_TAG, 'scan', '/image.tar', '--offline', '--quiet', '--policy', '/in/block-all.yaml', '--format', 'json=/out/blocked.json']);
    expect(blocked.code, blocked.stderr).toBe(1);
    expect((JSON.parse(readFileSync(join(out, 'blocked.json'), 'utf8')) as Report).decision!.blocked).toBe(true);
    // The DB and the layer cache went to the volume: nothing else was writable.
    const listing = await run(['--user', USER, '-v', `${vol}:${VOLUME_DIR}`, '--entrypoint', 'sh', PORTCULLIS_IMAGE_TAG, '-c', `cd ${VOLUME_DIR} && find . -maxdepth 3 | sort`]);
    expect(listing.stdout).toMatch(/^\.\/db\.sqlite$/m);
    expect(listing.stdout).toMatch(/^\.\/\.cache\/portcullis\/layers$/m);
  }, 20 * 60_000);

  it.skipIf(!HAVE_SHARED)('scans its own image: every dpkg and production npm package, recorded in test-artifacts/', async () => {
    // The truth, from the image itself: Debian's dpkg-query, and npm ls over its node_modules.
    const q = await run(['--entrypoint', 'dpkg-query', PORTCULLIS_IMAGE_TAG, '-W', '-f', '${Package}\t${Version}\t${source:Package}\t${db:Status-Abbrev}\n']);
    expect(q.code, q.stderr).toBe(0);
    const debTruth = q.stdout.trim().split('\n').map((l) => l.split('\t')).filter((f) => f[3]!.startsWith('ii'))
      .map(([name, version, source]) => ({ name: name!, version: version!, source: source! }));
    const app = join(dir, 'app');
    const cid = (await d.docker(['create', PORTCULLIS_IMAGE_TAG])).stdout.trim();
    expect((await d.docker(['cp', `${cid}:/opt/portcullis`, app])).code).toBe(0);
    await d.docker(['rm', cid]);
    interface LsNode { version?: string; path?: string; dependencies?: Record<string, LsNode> }
    const tree = JSON.parse(execFileSync('npm', ['ls', '--omit=dev', '--all', '--json', '--long', '--prefix', app], { maxBuffer: 64 * 1024 * 1024 }).toString()) as LsNode;
    const npmTruth = new Map<string, { name: string; version: string }>();
    const visit = (deps: Record<string, LsNode> | undefined) => {
      for (const [name, n] of Object.entries(deps ?? {})) {
        // An optional peer nobody installed (@redis/client's @node-rs/xxhash) has no version: not
        // in the image. (The lockfile comparison below catches a package that should be there.)
        if (!n.version) continue;
        if (!n.path) throw new Error(`npm ls: no path for ${name}`);
        const path = `/opt/portcullis/${n.path.slice(app.length + 1)}/package.json`;
        if (!npmTruth.has(path)) npmTruth.set(path, { name, version: n.version });
        visit(n.dependencies);
      }
    };
    visit(tree.dependencies);
    // The build's lockfile agrees: every production package it installs on this platform is there.
    const lockProd = Object.entries(LOCK.packages)
      .filter(([p, e]) => p.startsWith('node_modules/') && !e.dev && !e.link && !(e.optional && (e.os || e.cpu)))
      .map(([p, e]) => `/opt/portcullis/${p}/package.json ${e.version}`).sort();
    expect([...npmTruth].map(([p, v]) => `${p} ${v.version}`).sort()).toEqual(lockProd);

    const ghsa = readdirSync(shared('data', 'osv', 'github-advisory-database', 'npm')).map((f) => readFileSync(shared('data', 'osv', 'github-advisory-database', 'npm', f), 'utf8'));
    const files: Record<string, string> = { 'debian-13.json': JSON.stringify(debianRecord('Debian:13')) };
    ghsa.forEach((text, i) => { files[`npm-${i}.json`] = text; });
    // The real CISA KEV catalog: the default policy's block-kev rule needs KEV data to be judged.
    files['kev.json'] = readFileSync(shared('data', 'kev-epss', 'known_exploited_vulnerabilities.json'), 'utf8');
    const inputs = inputDir('in-self', files);
    const out = outDir('out-self');
    // `docker save` wrote the archive 0600 (root): a copy user 65532 may read.
    const self = join(dir, 'self.tar');
    copyFileSync(build.archive, self);
    chmodSync(self, 0o644);
    const mounts = ['-v', `portcullis-db-self:${VOLUME_DIR}`, '-v', `${inputs}:/in:ro`, '-v', `${self}:/self.tar:ro`, '-v', `${out}:/out`];
    const imported = await run([...LOCKED, ...mounts, PORTCULLIS_IMAGE_TAG, 'db', 'import', ...Object.keys(files).map((f) => `/in/${f}`)]);
    expect(imported.code, imported.stderr).toBe(0);
    const started = Date.now();
    const scan = await run([...LOCKED, ...mounts, PORTCULLIS_IMAGE_TAG, 'scan', '/self.tar', '--offline', '--skip-db-age-check', '--quiet', '--format', 'json=/out/self.json', '--format', 'markdown=/out/self.md']);
    const scanSeconds = (Date.now() - started) / 1000;
    expect(existsSync(join(out, 'self.json')), scan.stderr).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'self.json'), 'utf8')) as Report;

    // Complete: the same dpkg packages and the same npm packages at the same paths, nothing unread.
    const debs = report.packages.filter((p) => p.type === 'deb');
    expect(debs.map((p) => `${p.name} ${p.version}`).sort()).toEqual(debTruth.map((p) => `${p.name} ${p.version}`).sort());
    expect(new Set(debs.map((p) => p.ecosystem))).toEqual(new Set(['Debian:13']));
    // Vendored copies inside installed packages (`fast-uri/benchmark/package.json`): a package.json
    // below an installed package that names a name and version other than that package's own is
    // code on disk too, and inventoried (as Trivy does). Found here by walking the copied tree.
    const installedDirs = [...npmTruth.keys()].map((p) => p.slice(0, -'/package.json'.length)).sort((a, b) => b.length - a.length);
    const vendored = new Map<string, { name: string; version: string }>();
    // Symlinked directories are followed as Node (and the walker's second pass) would, to a depth bound.
    const walkTree = (hostDir: string, imageDir: string, depth = 0): void => {
      if (depth > 24) return;
      for (const e of readdirSync(hostDir, { withFileTypes: true })) {
        const host = join(hostDir, e.name);
        const at = `${imageDir}/${e.name}`;
        const isDir = e.isDirectory() || (e.isSymbolicLink() && existsSync(host) && statSync(host).isDirectory());
        if (isDir) walkTree(host, at, depth + 1);
        else if ((e.isFile() || e.isSymbolicLink()) && e.name === 'package.json' && !npmTruth.has(at) && at.includes('/node_modules/')) {
          let doc: { name?: unknown; version?: unknown };
          try {
            doc = JSON.parse(readFileSync(host, 'utf8')) as typeof doc;
          } catch {
            continue; // a package's fixture of a broken manifest names nothing
          }
          if (typeof doc?.name !== 'string' || typeof doc.version !== 'string') continue;
          const outer = installedDirs.find((d) => at.startsWith(`${d}/`));
          const own = outer ? npmTruth.get(`${outer}/package.json`) : undefined;
          if (own && own.name === doc.name && own.version === doc.version) continue;
          vendored.set(at, { name: doc.name, version: doc.version });
        }
      }
    };
    walkTree(join(app, 'node_modules'), '/opt/portcullis/node_modules');
    // Debian's own node modules: /usr/share/node_modules is a symlink to nodejs/ (Node finds them
    // there), so what lies below it is installed npm packages under that name, read through the link.
    const cid2 = (await d.docker(['create', PORTCULLIS_IMAGE_TAG])).stdout.trim();
    const debNode = join(dir, 'debian-nodejs');
    const copied = await d.docker(['cp', `${cid2}:/usr/share/nodejs`, debNode]);
    await d.docker(['rm', cid2]);
    if (copied.code === 0) {
      for (const e of readdirSync(debNode, { withFileTypes: true })) {
        const names = e.name.startsWith('@') && e.isDirectory() ? readdirSync(join(debNode, e.name)).map((n) => `${e.name}/${n}`) : [e.name];
        for (const n of names) {
          const manifest = join(debNode, n, 'package.json');
          if (!existsSync(manifest) || !statSync(join(debNode, n)).isDirectory()) continue;
          const doc = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
          if (doc.version) npmTruth.set(`/usr/share/node_modules/${n}/package.json`, { name: doc.name ?? n, version: doc.version });
        }
      }
      installedDirs.splice(0, installedDirs.length, ...[...npmTruth.keys()].map((p) => p.slice(0, -'/package.json'.length)).sort((a, b) => b.length - a.length));
      walkTree(debNode, '/usr/share/node_modules');
    }
    const npms = report.packages.filter((p) => p.type === 'npm');
    expect(npms.map((p) => `${p.path} ${p.version}`).sort()).toEqual([...[...npmTruth].map(([p, v]) => `${p} ${v.version}`), ...[...vendored].map(([p, v]) => `${p} ${v.version}`)].sort());
    expect(report.packages.filter((p) => p.type !== 'deb' && p.type !== 'npm').map((p) => p.purl)).toEqual([]);
    expect(report.coverage!.unread).toEqual([]);
    expect(report.coverage!.ecosystems.map((e) => `${e.ecosystem} ${e.status} ${e.packages}`).sort())
      .toEqual([`Debian:13 covered ${debTruth.length}`, `npm covered ${npmTruth.size + vendored.size}`].sort());

    // Findings: exactly what the records say of the true inventory (glibc's binaries; the npm
    // advisories' ranges evaluated with node-semver).
    type Rec = Osv & { aliases?: string[]; upstream?: string[] };
    const records: Rec[] = [debianRecord('Debian:13'), ...ghsa.map((t) => JSON.parse(t) as Rec)];
    const expected = [
      ...debTruth.filter((p) => p.source === 'glibc').map((p) => `${records[0]!.id} ${p.name} ${p.version}`),
      ...records.slice(1).flatMap((rec) => [...npmTruth.values(), ...vendored.values()]
        .filter((p) => npmAffected(rec, p.name, p.version))
        .map((p) => `${rec.id} ${p.name} ${p.version}`)),
    ].sort();
    // A finding names its record by id or alias (a Debian record by its CVE).
    const recordOf = (ids: string[]) => records.find((r) => [r.id, ...(r.aliases ?? []), ...(r.upstream ?? [])].some((x) => ids.includes(x)))?.id ?? ids[0];
    const found = report.findings!.map((f) => `${recordOf([f.id, ...f.aliases])} ${f.package.name} ${f.package.version}`).sort();
    expect(found).toEqual(expected);
    // The default policy's verdict and the exit code agree.
    expect(scan.code, scan.stderr).toBe(report.decision!.blocked ? 1 : 0);

    const record = {
      image: PORTCULLIS_IMAGE_TAG,
      imageBytes: build.facts.imageBytes,
      coldBuildSeconds: build.facts.buildSeconds,
      nodejs: build.facts.nodejsVersion,
      layers: report.layers.length,
      packages: Object.fromEntries(report.coverage!.ecosystems.map((e) => [e.ecosystem, e.packages])),
      findings: report.findings!.map((f) => ({ id: f.id, package: `${f.package.name}@${f.package.version}`, severity: f.severity })),
      decision: { blocked: report.decision!.blocked, exitCode: scan.code, policy: 'policies/default.yaml' },
      // The KEV catalog is a dated snapshot (../shared/data/kev-epss), hence --skip-db-age-check.
      data: report.db?.sources.map((s) => ({ name: s.name, records: s.records })),
      scanSeconds: Math.round(scanSeconds * 10) / 10,
    };
    const artifacts = join(PROJECT_ROOT, 'test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, 'portcullis-image-self-scan.json'), JSON.stringify(record, null, 2) + '\n');
    writeFileSync(join(artifacts, 'portcullis-image-self-scan.md'), readFileSync(join(out, 'self.md')));
    expect(existsSync(join(artifacts, 'portcullis-image-self-scan.json'))).toBe(true);
    expect(statSync(join(artifacts, 'portcullis-image-self-scan.md')).size).toBeGreaterThan(0);
  }, 20 * 60_000);
});

// Real files, checked against independent ground truth: Debian's jars vs their pom.properties,
// a Go binary built with Debian's golang-go vs `go version -m`, a pip wheel's dist-info vs METADATA,
// and an npm install vs `npm ls --json`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { goBinaryCataloger, javaArchiveCataloger, npmCataloger, pythonCataloger } from '../../../src/inventory/lang/index.js';
import { cachedFixture } from '../../fixtures/cache.js';
import { nv, run, walkedFromDisk } from './helpers.js';
import { walkDir } from './walk-dir.js';

const THIS = fileURLToPath(import.meta.url);
const sh = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });


describe('real jars from Debian', () => {
  const jars = ['/usr/share/maven/lib/maven-core-3.x.jar', '/usr/share/maven/lib/guava.jar', '/usr/share/java/commons-lang3.jar'].filter(existsSync);
  it.skipIf(jars.length === 0)('match their pom.properties (unzip -p)', async () => {
    for (const jar of jars) {
      const list = sh('unzip', ['-Z1', jar]).split('\n').filter((l) => l.endsWith('pom.properties'));
      const truth = list.map((p) => {
        const props = Object.fromEntries(sh('unzip', ['-p', jar, p]).split('\n').filter((l) => l.includes('=') && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
        return `${props.groupId}:${props.artifactId}@${props.version}`;
      });
      const { packages, warnings } = await run(javaArchiveCataloger, [walkedFromDisk(`/opt${jar}`, jar)]);
      expect(warnings).toEqual([]);
      expect(packages.map(nv).sort()).toEqual([...new Set(truth)].sort());
      expect(truth.length).toBeGreaterThan(0);
    }
  });
});

// Issue 17: Debian's OSGi-ified jars whose pom.properties has no groupId; the OSGi headers
// (Bundle-SymbolicName org.antlr.runtime / jnr.x86asm, Bundle-Version 1.0.0) used to win.
describe('Debian jars whose Maven facts are in pom.properties and its path (apt-get download)', () => {
  const canDownload = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!canDownload)('antlr3-runtime.jar is org.antlr:antlr-runtime@3.5.3, jnr-x86asm.jar com.github.jnr:jnr-x86asm@1.0.2', async () => {
    const dir = await cachedFixture('debian-osgi-jars', [THIS], async (d) => {
      sh('apt-get', ['download', 'libantlr3-runtime-java=3.5.3-1', 'libjnr-x86asm-java=1.0.2-5.1'], { cwd: d });
      for (const deb of readdirSync(d).filter((f) => f.endsWith('.deb'))) sh('dpkg-deb', ['-x', join(d, deb), join(d, 'root')]);
    });
    const jar = (name: string) => walkedFromDisk(`/usr/share/java/${name}`, join(dir, 'root/usr/share/java', name));
    // The jars themselves: pom.properties without groupId, OSGi headers that disagree.
    expect(sh('unzip', ['-p', join(dir, 'root/usr/share/java/antlr3-runtime.jar'), 'META-INF/maven/org.antlr/antlr-runtime/pom.properties'])).not.toMatch(/groupId/);
    expect(sh('unzip', ['-p', join(dir, 'root/usr/share/java/jnr-x86asm.jar'), 'META-INF/MANIFEST.MF'])).toMatch(/Bundle-Version: 1\.0\.0/);
    const { packages, warnings } = await run(javaArchiveCataloger, [jar('antlr3-runtime.jar'), jar('jnr-x86asm.jar')]);
    expect(warnings).toEqual([]);
    expect(packages.map((p) => p.purl)).toEqual(['pkg:maven/org.antlr/antlr-runtime@3.5.3', 'pkg:maven/com.github.jnr/jnr-x86asm@1.0.2']);
  }, 180_000);
});

describe('a Go binary built with Debian golang-go', () => {
  it('matches go version -m (stdlib + vendored, replaced dependency)', async () => {
    const dir = await cachedFixture('lang-go-binary', [THIS], async (d) => {
      mkdirSync(join(d, 'src/lib'), { recursive: true });
      writeFileSync(join(d, 'src/lib/go.mod'), 'module example.com/lib\n\ngo 1.19\n');
      writeFileSync(join(d, 'src/lib/lib.go'), 'package lib\n\nfunc Hello() string { return "hi" }\n');
      writeFileSync(join(d, 'src/go.mod'), 'module example.com/app\n\ngo 1.19\n\nrequire example.com/lib v1.2.3\n\nreplace example.com/lib v1.2.3 => ./lib\n');
      writeFileSync(join(d, 'src/main.go'), 'package main\n\nimport (\n\t"fmt"\n\t"example.com/lib"\n)\n\nfunc main() { fmt.Println(lib.Hello()) }\n');
      const env = { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOCACHE: join(d, 'cache'), GOPATH: join(d, 'gopath'), GOTOOLCHAIN: 'local' };
      sh('go', ['mod', 'vendor'], { cwd: join(d, 'src'), env });
      sh('go', ['build', '-mod=vendor', '-o', join(d, 'app'), '.'], { cwd: join(d, 'src'), env: { ...env, GOFLAGS: '' } });
    });
    const bin = join(dir, 'app');
    const truth = sh('go', ['version', '-m', bin]);
    const goVer = /: go(\S+)/.exec(truth)![1]!;
    const { packages, warnings } = await run(goBinaryCataloger, [walkedFromDisk('/usr/local/bin/app', bin)]);
    expect(warnings).toEqual([]);
    const depLine = /\tdep\t(\S+)\t(\S+)/.exec(truth)!;
    expect(packages.map(nv).sort()).toEqual([`example.com/app@`, `stdlib@v${goVer.split('.').length === 2 ? `${goVer}.0` : goVer}`, `${depLine[1]}@${depLine[2]}`].sort());
  }, 180_000);
});

describe('a pip wheel shipped by Debian (python3-pip-whl)', () => {
  const wheels = existsSync('/usr/share/python-wheels') ? readdirSync('/usr/share/python-wheels').filter((w) => w.endsWith('.whl')) : [];
  it.skipIf(wheels.length === 0)('dist-info METADATA matches the wheel file name', async () => {
    const dir = await cachedFixture('lang-pip-wheels', [THIS], async (d) => {
      for (const w of wheels) sh('unzip', ['-q', '-o', join('/usr/share/python-wheels', w), '-d', join(d, 'site-packages')]);
    });
    const files = walkDir(join(dir, 'site-packages'), '/usr/lib/python3/dist-packages').map((f) => walkedFromDisk(f.image, f.disk));
    const { packages, warnings } = await run(pythonCataloger, files);
    expect(warnings).toEqual([]);
    const truth = wheels.map((w) => { const [n, v] = w.split('-'); return `${n}@${v}`; });
    expect(packages.map(nv).sort()).toEqual(truth.sort());
    for (const p of packages) expect(p.purl).toBe(`pkg:pypi/${p.name.toLowerCase()}@${p.version}`);
  });
});

describe('an npm install from the registry', () => {
  it('one package per install path, nested duplicates included, equal to npm ls --json --all', async () => {
    const dir = await cachedFixture('lang-npm-install', [THIS], async (d) => {
      // debug@2 needs ms@2.0.0 while ms@2.1.3 is top-level: npm nests the older one.
      sh('npm', ['install', '--prefix', d, '--no-audit', '--no-fund', 'debug@2.6.9', 'ms@2.1.3', '@types/node@20.11.0']);
      writeFileSync(join(d, 'npm-ls.json'), sh('npm', ['ls', '--json', '--all', '--prefix', d]));
    });
    const ls = JSON.parse(readFileSync(join(dir, 'npm-ls.json'), 'utf8')) as { dependencies?: Record<string, { version: string; dependencies?: unknown }> };
    const truth = new Set<string>();
    const visit = (deps: Record<string, { version: string; dependencies?: unknown }> | undefined) => {
      for (const [n, v] of Object.entries(deps ?? {})) {
        truth.add(`${n}@${v.version}`);
        visit(v.dependencies as Record<string, { version: string }>);
      }
    };
    visit(ls.dependencies);
    const files = walkDir(join(dir, 'node_modules'), '/srv/app/node_modules').map((f) => walkedFromDisk(f.image, f.disk));
    files.push(walkedFromDisk('/srv/app/package-lock.json', join(dir, 'package-lock.json')));
    const { packages, warnings } = await run(npmCataloger, files);
    expect(warnings).toEqual([]);
    expect(new Set(packages.map(nv))).toEqual(truth);
    expect(packages.filter((p) => p.name === 'ms').map((p) => p.path).sort()).toEqual([
      '/srv/app/node_modules/debug/node_modules/ms/package.json',
      '/srv/app/node_modules/ms/package.json',
    ]);
    expect(packages.find((p) => p.name === '@types/node')!.purl).toBe('pkg:npm/%40types/node@20.11.0');
    expect(packages.find((p) => p.name === 'debug')!.dependsOn).toEqual(['pkg:npm/ms@2.0.0']);
  }, 180_000);
});

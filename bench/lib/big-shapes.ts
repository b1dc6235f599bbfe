// Generates the three big image shapes of issue 20 on top of the Debian test image (cached once per
// machine and scale, outside the repo):
//   files: COPIES copies of a real node_modules tree (this repo's own `npm install` output),
//          spread over 3 layers: many small files;
//   jars:  the Debian jars installed under /usr/share/java (each one once per app dir, JAR_DIRS dirs)
//          plus 3 Spring-Boot-style fat jars, each holding 50 of them stored under BOOT-INF/lib;
//   both:  one layer of each (half the node_modules copies).
// Each shape is written as a docker-archive (plain tar layers) and, via skopeo, an OCI layout with
// gzip layers. Layers are made by GNU tar, so their entries are what real image builders write.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, mkdirSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedFixture } from '../../test/fixtures/cache.js';
import type { DebianImageFixture } from '../../test/fixtures/debian-image.js';

const SELF = fileURLToPath(import.meta.url);
const NODE_MODULES = realpathSync(fileURLToPath(new URL('../../node_modules', import.meta.url)));
const JAVA_DIR = '/usr/share/java';

export type Shape = 'files' | 'jars' | 'both';

export interface BigShape {
  shape: Shape;
  dockerArchive: string;
  /** `oci:DIR:big` reference of the same image with gzip layers. */
  ociRef: string;
  ociDir: string;
  /** Uncompressed layer tars inside the docker-archive, in order (the per-entry floor reads these). */
  layerNames: string[];
}

const sh = (cmd: string, args: string[], cwd?: string): string =>
  execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'], ...(cwd ? { cwd } : {}) });

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

/** The distinct real jar files Debian installed under /usr/share/java (most names are symlinks). */
function debianJars(): string[] {
  const real = new Set<string>();
  for (const n of readdirSync(JAVA_DIR)) {
    if (!n.endsWith('.jar')) continue;
    try {
      const p = realpathSync(join(JAVA_DIR, n));
      if (statSync(p).isFile()) real.add(p);
    } catch {
      // a dangling link: not a jar here
    }
  }
  return [...real].sort();
}

/** Writes a layer tar from a staging root (every entry under it, relative names like `./srv/x`). */
function tarLayer(root: string, out: string): void {
  sh('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-C', root, '-cf', out, '.']);
}

function nodeModulesLayer(out: string, from: number, to: number): void {
  // One tar run per copy (its --transform renames the tree), concatenated: no staging copies.
  const parts: string[] = [];
  for (let i = from; i < to; i++) {
    const part = `${out}.${i}`;
    sh('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-C', join(NODE_MODULES, '..'), `--transform=s,^node_modules,srv/app${i}/node_modules,S`, '-cf', part, 'node_modules']);
    parts.push(part);
  }
  sh('mv', [parts[0]!, out]);
  for (const p of parts.slice(1)) {
    sh('tar', ['--concatenate', '-f', out, p]);
    rmSync(p, { force: true });
  }
}

function jarsLayer(work: string, out: string, jarDirs: number): void {
  const root = join(work, 'stage');
  const jars = debianJars();
  for (let d = 0; d < jarDirs; d++) {
    const dir = join(root, 'opt', `svc${d}`, 'lib');
    mkdirSync(dir, { recursive: true });
    for (const j of jars) copyFileSync(j, join(dir, j.slice(j.lastIndexOf('/') + 1)));
  }
  // Fat jars: BOOT-INF/lib holds nested jars stored (zip -0), as Spring Boot's repackager writes them.
  for (let f = 0; f < 3; f++) {
    const fat = join(work, `fat${f}`);
    mkdirSync(join(fat, 'BOOT-INF', 'lib'), { recursive: true });
    mkdirSync(join(fat, 'META-INF'), { recursive: true });
    writeFileSync(join(fat, 'META-INF', 'MANIFEST.MF'), 'Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.JarLauncher\r\nStart-Class: example.App\r\n\r\n');
    for (const j of jars.slice(f * 5, f * 5 + 50)) copyFileSync(j, join(fat, 'BOOT-INF', 'lib', j.slice(j.lastIndexOf('/') + 1)));
    mkdirSync(join(root, 'opt', 'boot'), { recursive: true });
    sh('zip', ['-q', '-r', '-0', join(root, 'opt', 'boot', `app${f}.jar`), 'META-INF', 'BOOT-INF'], fat);
    rmSync(fat, { recursive: true, force: true });
  }
  tarLayer(root, out);
  rmSync(root, { recursive: true, force: true });
}

interface DockerManifest {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

async function build(base: DebianImageFixture, shape: Shape, copies: number, jarDirs: number, out: string): Promise<void> {
  const work = join(out, 'work');
  const arch = join(out, 'archive');
  mkdirSync(work, { recursive: true });
  mkdirSync(arch, { recursive: true });
  sh('tar', ['-xf', base.dockerArchive, '-C', arch]);
  const [m] = JSON.parse(sh('cat', [join(arch, 'manifest.json')])) as DockerManifest[];
  const config = JSON.parse(sh('cat', [join(arch, m!.Config)])) as { rootfs: { diff_ids: string[] }; history: { created_by?: string; empty_layer?: boolean }[] };
  const layers: { file: string; what: string }[] = [];
  const add = async (make: (file: string) => void, what: string): Promise<void> => {
    const tmp = join(work, 'layer.tar');
    make(tmp);
    const hex = await sha256File(tmp);
    sh('mv', [tmp, join(arch, `${hex}.tar`)]);
    layers.push({ file: `${hex}.tar`, what });
  };
  if (shape === 'files') {
    const per = Math.ceil(copies / 3);
    for (let from = 0; from < copies; from += per) await add((f) => nodeModulesLayer(f, from, Math.min(copies, from + per)), `node_modules copies ${from}..`);
  } else if (shape === 'jars') {
    await add((f) => jarsLayer(work, f, jarDirs), 'jars');
  } else {
    await add((f) => nodeModulesLayer(f, 0, Math.max(1, Math.ceil(copies / 2))), 'node_modules copies');
    await add((f) => jarsLayer(work, f, jarDirs), 'jars');
  }
  m!.Layers.push(...layers.map((l) => l.file));
  m!.RepoTags = [`portcullis/big-${shape}:test`];
  config.rootfs.diff_ids.push(...layers.map((l) => `sha256:${l.file.slice(0, -4)}`));
  const empty = config.history.filter((h) => h.empty_layer);
  config.history = [...config.history.filter((h) => !h.empty_layer), ...layers.map((l) => ({ created_by: l.what })), ...empty];
  const cfg = Buffer.from(JSON.stringify(config));
  const cfgName = `${createHash('sha256').update(cfg).digest('hex')}.json`;
  rmSync(join(arch, m!.Config));
  writeFileSync(join(arch, cfgName), cfg);
  m!.Config = cfgName;
  writeFileSync(join(arch, 'manifest.json'), JSON.stringify([m]));
  rmSync(join(arch, 'repositories'), { force: true });
  // Only the files the manifest names (the base's classic layer dirs are left out).
  const keep = new Set([...m!.Layers, cfgName, 'manifest.json']);
  for (const n of readdirSync(arch)) if (!keep.has(n)) rmSync(join(arch, n), { recursive: true, force: true });
  sh('tar', ['-cf', join(out, 'image.tar'), '-C', arch, 'manifest.json', cfgName, ...m!.Layers]);
  rmSync(arch, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  sh('skopeo', ['copy', '-q', `docker-archive:${join(out, 'image.tar')}`, `oci:${join(out, 'oci')}:big`]);
  writeFileSync(join(out, 'layers.json'), JSON.stringify(m!.Layers));
}

/** `copies`: node_modules copies (files/both); `jarDirs`: app dirs holding every Debian jar. */
export async function bigShape(base: DebianImageFixture, shape: Shape, copies: number, jarDirs: number): Promise<BigShape> {
  const dir = await cachedFixture(`big-${shape}-${copies}-${jarDirs}`, [SELF], (out) => build(base, shape, copies, jarDirs, out));
  const layerNames = JSON.parse(execFileSync('cat', [join(dir, 'layers.json')], { encoding: 'utf8' })) as string[];
  return { shape, dockerArchive: join(dir, 'image.tar'), ociDir: join(dir, 'oci'), ociRef: `oci:${join(dir, 'oci')}:big`, layerNames };
}

// npm packages: installed `node_modules/**/package.json` (what is really on disk, one package per
// install path) and lockfiles (package-lock.json, yarn.lock, pnpm-lock.yaml) of projects that have
// no installed node_modules. A lockfile next to a node_modules that holds packages is used only for
// dev flags, so nothing is counted twice.
import type { CatalogContext, Cataloger, WalkedFile } from '../cataloger.js';
import type { Package } from '../../model/package.js';
import { basename, dirname, errorText, licenseList, makePackage, perFile, warnFile } from './common.js';
import { NPM_FOUND_BY, nameFromInstallPath, packageLockPackages } from './npm-lock.js';
import { badReason, distillNpm, lockDevOf, manifestOf, MAX_PACKAGE_JSON, rawOf } from './npm-manifest.js';
import { pnpmLockPackages } from './pnpm-lock.js';
import { yarnLockPackages } from './yarn-lock.js';

/** `…/node_modules/name/package.json` or `…/node_modules/@scope/name/package.json`. */
const INSTALLED = /\/node_modules\/(?:@[^/]+\/)?[^/@.][^/]*\/package\.json$/;
/**
 * Any other `package.json` inside an installed package's tree: a vendored copy of another package
 * (`typescript/lib/…`, `example/`, `benchmark/`) is code on disk like any other. Those without a
 * name and version (build-output markers such as `dist/esm/package.json` = `{"type":"module"}`) and
 * copies of the enclosing package's own manifest (`@redis/client/dist/package.json`) are not
 * packages. Trivy's image scan reports the same set (bench/big-images.ts compares).
 */
const NESTED = /\/node_modules\/.+\/package\.json$/;
const LOCKFILES = new Set(['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml']);
const HIDDEN_LOCK = '/node_modules/.package-lock.json';

function isLockfile(path: string): boolean {
  return LOCKFILES.has(basename(path)) && !path.includes('/node_modules/');
}

/** Project dir of an installed package path: the part before the first `/node_modules/`. */
function projectDir(path: string): string {
  return path.slice(0, path.indexOf('/node_modules/')) || '/';
}

/** The installed package directory a nested file lies in: `/a/node_modules/@s/x/dist` -> `/a/node_modules/@s/x`. */
function enclosingPackageDir(dir: string): string {
  const i = dir.lastIndexOf('/node_modules/') + '/node_modules/'.length;
  const segs = dir.slice(i).split('/');
  return dir.slice(0, i) + (segs[0]!.startsWith('@') ? `${segs[0]}/${segs[1]}` : segs[0]!);
}

function installedPackage(file: WalkedFile, ctx: CatalogContext, devAt: Map<string, boolean>, nested = false): [Package, string[]] | undefined {
  if (file.size > MAX_PACKAGE_JSON) {
    warnFile(ctx, file, 'npm.package-json', `${file.size} bytes is too large for a package.json; skipped`);
    ctx.unreadable?.(file, 'unreadable', 'too large for a package.json');
    return undefined;
  }
  const m = manifestOf(file);
  if (m.bad !== undefined) {
    // A nested package.json that is not a JSON object (a package's test fixture of a broken
    // manifest) was never installed by npm and names nothing: not a package, and no gap in what was read.
    if (nested) return undefined;
    const why = badReason(m);
    warnFile(ctx, file, 'npm.package-json', why);
    ctx.unreadable?.(file, 'malformed', why);
    return undefined;
  }
  const dir = dirname(file.path);
  // An installed package may omit its name (npm knows it from the path); a nested copy must say it.
  const name = m.name ?? (nested ? undefined : nameFromInstallPath(dir));
  const version = m.version;
  // Directories such as test fixtures inside a package can hold a package.json without a version.
  if (!name || !version) return undefined;
  return [makePackage('npm', NPM_FOUND_BY, file, { name, version, licenses: licenseList(m.license), dev: devAt.get(dir) === true }), m.deps];
}

/** install dir (absolute) -> dev flag, from a hidden or project package-lock v2/v3. */
function devFlags(locks: WalkedFile[], ctx: CatalogContext): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const f of locks) {
    const base = f.path.endsWith(HIDDEN_LOCK) ? f.path.slice(0, -HIDDEN_LOCK.length) : dirname(f.path);
    try {
      const d = lockDevOf(f);
      if (d.bad !== undefined) {
        const why = badReason(d);
        warnFile(ctx, f, 'npm.package-lock', why);
        ctx.unreadable?.(f, 'malformed', why);
        continue;
      }
      for (const [at, dev] of d.dev) out.set(`${base === '/' ? '' : base}/${at}`, dev);
    } catch (e) {
      warnFile(ctx, f, 'npm.package-lock', `could not be parsed (${errorText(e)})`);
      ctx.unreadable?.(f, 'malformed', 'could not be parsed');
    }
  }
  return out;
}

/**
 * A lockfile as its parsers read it. Undefined (reported unread): a link gives an installed
 * package's package.json a lockfile's name, and the walk kept only its reduced manifest.
 */
function lockfileBytes(f: WalkedFile, ctx: CatalogContext): WalkedFile | undefined {
  const raw = rawOf(f);
  if (raw) return raw === f.data ? f : { ...f, data: raw, distilled: false };
  const why = "a link to an installed package's package.json; read as a manifest, not as a lockfile";
  warnFile(ctx, f, 'npm.lockfile', why);
  ctx.unreadable?.(f, 'unreadable', why);
  return undefined;
}

/** Node's resolution: the nearest `node_modules/dep` at or above `dir`. */
function resolveInstalled(byDir: Map<string, Package>, dir: string, dep: string): Package | undefined {
  let base = dir;
  for (let i = 0; i < 400; i++) {
    const hit = byDir.get(`${base}/node_modules/${dep}`);
    if (hit) return hit;
    const cut = base.lastIndexOf('/node_modules/');
    if (cut < 0) return byDir.get(`/node_modules/${dep}`) ?? undefined;
    base = base.slice(0, cut);
  }
  return undefined;
}

export const npmCataloger: Cataloger = {
  name: NPM_FOUND_BY,
  version: 3,
  kind: 'language',
  attribution: 'file',
  maxFileSize: 64 * 1024 * 1024,
  // node_modules/ is what makes a package.json below it an installed package.
  linkProbes: ['x/package.json', '@s/x/package.json', 'package.json', '.package-lock.json'],
  sizeBlind: true,
  wants(path: string): boolean {
    if (!path.endsWith('.json') && !path.endsWith('.lock') && !path.endsWith('.yaml')) return false;
    return NESTED.test(path) || path.endsWith(HIDDEN_LOCK) || isLockfile(path);
  },
  // Manifests reduced to what parse() reads, as the layer is walked; lockfiles kept whole.
  distill: (path: string, data: Buffer): Buffer => distillNpm(data, NESTED.test(path)),
  async parse(files: WalkedFile[], ctx: CatalogContext): Promise<Package[]> {
    const installed = files.filter((f) => INSTALLED.test(f.path));
    const nested = files.filter((f) => !INSTALLED.test(f.path) && NESTED.test(f.path));
    const locks = files.filter((f) => !NESTED.test(f.path));
    const projectLocks = locks.filter((f) => isLockfile(f.path));
    const withNodeModules = new Set(installed.map((f) => projectDir(f.path)));
    const packageLocks = locks.filter((f) => f.path.endsWith('package-lock.json') && (f.path.endsWith(HIDDEN_LOCK) || withNodeModules.has(dirname(f.path))));
    const devAt = devFlags(packageLocks, ctx);

    const out: Package[] = [];
    const byDir = new Map<string, Package>();
    const depNames = new Map<Package, string[]>();
    for (const f of installed) {
      try {
        const got = installedPackage(f, ctx, devAt);
        if (!got) continue;
        out.push(got[0]);
        byDir.set(dirname(f.path), got[0]);
        depNames.set(got[0], got[1]);
      } catch (e) {
        warnFile(ctx, f, 'npm.package-json', `could not be parsed (${errorText(e)})`);
        ctx.unreadable?.(f, 'malformed', 'could not be parsed');
      }
    }
    for (const f of nested) {
      try {
        const got = installedPackage(f, ctx, devAt, true);
        if (!got) continue;
        const outer = byDir.get(enclosingPackageDir(dirname(f.path)));
        if (outer && outer.name === got[0].name && outer.version === got[0].version) continue;
        out.push(got[0]);
        byDir.set(dirname(f.path), got[0]);
        depNames.set(got[0], got[1]);
      } catch (e) {
        warnFile(ctx, f, 'npm.package-json', `could not be parsed (${errorText(e)})`);
        ctx.unreadable?.(f, 'malformed', 'could not be parsed');
      }
    }
    for (const [dir, pkg] of byDir) {
      const deps: string[] = [];
      for (const n of depNames.get(pkg)!) {
        const hit = resolveInstalled(byDir, dir, n);
        // The package's own purl: makePackage built it from the same type, name and version.
        if (hit) deps.push(hit.purl);
      }
      if (deps.length > 0) pkg.dependsOn = [...new Set(deps)].sort();
    }

    const lockOnly = projectLocks.filter((f) => !withNodeModules.has(dirname(f.path)));
    out.push(
      ...(await perFile(lockOnly, ctx, 'npm.lockfile', (named) => {
        const f = lockfileBytes(named, ctx);
        if (!f) return [];
        const b = basename(f.path);
        if (b === 'package-lock.json') return packageLockPackages(f, ctx);
        if (b === 'yarn.lock') return yarnLockPackages(f, ctx);
        return pnpmLockPackages(f, ctx);
      })),
    );
    return out;
  },
};

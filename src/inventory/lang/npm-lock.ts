// package-lock.json (v1 `dependencies` tree; v2/v3 flat `packages` keyed by install path).
import type { CatalogContext, WalkedFile } from '../cataloger.js';
import type { Package } from '../../model/package.js';
import { isRecord, licenseList, makePackage, parseJsonFile, purlFor, str, warnFile } from './common.js';

export const NPM_FOUND_BY = 'npm';

/** Name of the package installed at `node_modules/a/node_modules/@s/b` → `@s/b`. */
export function nameFromInstallPath(p: string): string | undefined {
  const i = p.lastIndexOf('node_modules/');
  if (i < 0) return undefined;
  return p.slice(i + 'node_modules/'.length) || undefined;
}

interface LockEntry {
  name: string;
  version: string;
  dev: boolean;
  licenses: string[];
  deps: string[];
}

/** Merges entries with the same name@version: dev only when every occurrence is dev. */
export function mergeEntries(entries: LockEntry[]): Map<string, LockEntry> {
  const byKey = new Map<string, LockEntry>();
  for (const e of entries) {
    const key = `${e.name}@${e.version}`;
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { ...e, deps: [...e.deps], licenses: [...e.licenses] });
    else {
      seen.dev = seen.dev && e.dev;
      seen.deps.push(...e.deps);
      if (seen.licenses.length === 0) seen.licenses = e.licenses;
    }
  }
  return byKey;
}

/** Resolves `dep` required from install path `from` the way node does: nearest node_modules up. */
function resolveFrom(packages: Record<string, unknown>, from: string, dep: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${dep}` : `node_modules/${dep}`;
    if (candidate in packages) return candidate;
    if (!base) return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

function v2Entries(packages: Record<string, unknown>): LockEntry[] {
  const out: LockEntry[] = [];
  const versionAt = (p: string): string | undefined => {
    const v = packages[p];
    if (!isRecord(v)) return undefined;
    if (v.link === true && typeof v.resolved === 'string') {
      const target = packages[v.resolved];
      return isRecord(target) ? (str(target.version) ?? '') : '';
    }
    return str(v.version);
  };
  for (const [p, raw] of Object.entries(packages)) {
    if (!isRecord(raw) || p === '' || !p.includes('node_modules/')) continue; // root and workspace dirs
    const name = nameFromInstallPath(p);
    if (!name) continue;
    let body = raw;
    if (raw.link === true && typeof raw.resolved === 'string') {
      // A workspace link: the package is the linked directory's.
      const target = packages[raw.resolved];
      body = isRecord(target) ? target : {};
    }
    const version = raw.link === true ? (str(body.version) ?? '') : str(raw.version);
    if (version === undefined) continue;
    const depNames = [
      ...Object.keys(isRecord(body.dependencies) ? body.dependencies : {}),
      ...Object.keys(isRecord(body.optionalDependencies) ? body.optionalDependencies : {}),
    ];
    const deps: string[] = [];
    for (const d of depNames) {
      const at = resolveFrom(packages, raw.link === true ? String(raw.resolved) : p, d);
      const v = at === undefined ? undefined : versionAt(at);
      if (at !== undefined && v !== undefined) deps.push(purlFor('npm', nameFromInstallPath(at) ?? d, v));
    }
    out.push({
      name,
      version,
      dev: raw.dev === true,
      licenses: licenseList(body.license ?? body.licenses),
      deps,
    });
  }
  return out;
}

function v1Entries(deps: Record<string, unknown>, out: LockEntry[], depth: number, scope: Record<string, unknown>[]): void {
  if (depth > 200) return;
  const chain = [deps, ...scope];
  for (const [name, raw] of Object.entries(deps)) {
    if (!isRecord(raw)) continue;
    const version = str(raw.version);
    if (version === undefined) continue;
    const nested = isRecord(raw.dependencies) ? raw.dependencies : undefined;
    const inner = nested ? [nested, ...chain] : chain;
    const requires = isRecord(raw.requires) ? Object.keys(raw.requires) : [];
    const depPurls: string[] = [];
    for (const r of requires) {
      for (const level of inner) {
        const hit = level[r];
        if (isRecord(hit) && typeof hit.version === 'string') {
          depPurls.push(purlFor('npm', r, hit.version));
          break;
        }
      }
    }
    // v1 writes `file:`/git specs as the version of local packages; keep registry versions only.
    if (!/^(file:|link:)/.test(version)) {
      out.push({ name, version, dev: raw.dev === true, licenses: [], deps: depPurls });
    }
    if (nested) v1Entries(nested, out, depth + 1, chain);
  }
}

/** Parsed entries of a package-lock.json / .package-lock.json (undefined: malformed, warned). */
function packageLockEntries(file: WalkedFile, ctx: CatalogContext): LockEntry[] | undefined {
  const doc = parseJsonFile(ctx, file, 'npm.package-lock');
  if (doc === undefined) return undefined;
  if (!isRecord(doc)) {
    warnFile(ctx, file, 'npm.package-lock', 'not a JSON object');
    ctx.unreadable?.(file, 'malformed', 'not a JSON object');
    return undefined;
  }
  if (isRecord(doc.packages)) return v2Entries(doc.packages);
  if (isRecord(doc.dependencies)) {
    const out: LockEntry[] = [];
    v1Entries(doc.dependencies, out, 0, []);
    return out;
  }
  return [];
}

export function packageLockPackages(file: WalkedFile, ctx: CatalogContext): Package[] {
  const entries = packageLockEntries(file, ctx);
  if (!entries) return [];
  return [...mergeEntries(entries).values()].map((e) =>
    makePackage('npm', NPM_FOUND_BY, file, { name: e.name, version: e.version, dev: e.dev, licenses: e.licenses, dependsOn: e.deps }),
  );
}

// Helpers every language cataloger shares: purl building, package construction, safe parsing.
import { PackageURL } from 'packageurl-js';
import type { CatalogContext, WalkedFile } from '../cataloger.js';
import type { Package, PackageType } from '../../model/package.js';

/** PEP 503 normalisation: runs of `-`, `_`, `.` become one `-`, lower-cased. */
export function pep503(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** Splits `@scope/name` (npm) into namespace and name. */
function npmParts(name: string): [string | undefined, string] {
  if (name.startsWith('@')) {
    const slash = name.indexOf('/');
    if (slash > 0) return [name.slice(0, slash), name.slice(slash + 1)];
  }
  return [undefined, name];
}

/** Go purls: namespace = module path up to the last `/`, name = the last element. */
function golangPurl(path: string, version: string): string {
  const slash = path.lastIndexOf('/');
  const ver = version ? `@${encodeURIComponent(version)}` : '';
  if (slash < 0) return `pkg:golang/${encodeURIComponent(path)}${ver}`;
  const ns = path.slice(0, slash).split('/').map(encodeURIComponent).join('/');
  return `pkg:golang/${ns}/${encodeURIComponent(path.slice(slash + 1))}${ver}`;
}

/** The purl for a package of `type` named as its ecosystem names it (Maven: `group:artifact`). */
export function purlFor(type: PackageType, name: string, version: string): string {
  const v = version || undefined;
  try {
    switch (type) {
      case 'npm': {
        const [ns, n] = npmParts(name);
        return new PackageURL('npm', ns, n, v, undefined, undefined).toString();
      }
      case 'golang':
        return golangPurl(name, version);
      case 'maven': {
        const colon = name.indexOf(':');
        const group = colon > 0 ? name.slice(0, colon) : undefined;
        return new PackageURL('maven', group, colon > 0 ? name.slice(colon + 1) : name, v, undefined, undefined).toString();
      }
      case 'pypi':
        return new PackageURL('pypi', undefined, pep503(name), v, undefined, undefined).toString();
      case 'composer': {
        const slash = name.indexOf('/');
        return new PackageURL('composer', slash > 0 ? name.slice(0, slash) : undefined, slash > 0 ? name.slice(slash + 1) : name, v, undefined, undefined).toString();
      }
      default:
        return new PackageURL(type, undefined, name, v, undefined, undefined).toString();
    }
  } catch {
    // A name packageurl-js rejects (hostile input): fall back to plain percent-encoding.
    return `pkg:${type}/${encodeURIComponent(name)}${v ? `@${encodeURIComponent(v)}` : ''}`;
  }
}

export const ECOSYSTEM: Record<string, string> = {
  npm: 'npm', pypi: 'PyPI', golang: 'Go', maven: 'Maven', gem: 'RubyGems', cargo: 'crates.io',
  composer: 'Packagist', nuget: 'NuGet',
};

export interface PackageFields {
  name: string;
  version: string;
  licenses?: string[];
  dev?: boolean;
  dependsOn?: string[];
  /** Overrides the file's path (e.g. a jar nested in a jar: `/app.war!/WEB-INF/lib/x.jar`). */
  path?: string;
}

/** A language package found in `file` by cataloger `foundBy`. */
export function makePackage(type: PackageType, foundBy: string, file: WalkedFile, f: PackageFields): Package {
  const pkg: Package = {
    name: f.name,
    version: f.version,
    type,
    ecosystem: ECOSYSTEM[type] ?? '',
    purl: purlFor(type, f.name, f.version),
    path: f.path ?? file.path,
    layer: file.layer,
    foundBy,
  };
  const licenses = f.licenses?.map((l) => l.trim()).filter((l) => l.length > 0);
  if (licenses && licenses.length > 0) pkg.licenses = [...new Set(licenses)];
  if (f.dev) pkg.dev = true;
  if (f.dependsOn && f.dependsOn.length > 0) pkg.dependsOn = [...new Set(f.dependsOn)].sort();
  return pkg;
}

/** Emits a warning about one image file; callers then skip the file. */
export function warnFile(ctx: CatalogContext, file: WalkedFile, code: string, what: string): void {
  ctx.warn({ code, message: `${file.path}: ${what}`, path: file.path, layer: file.layer.index });
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0]!.slice(0, 200) : String(e).slice(0, 200);
}

/** JSON.parse that warns and returns undefined on malformed input. */
export function parseJsonFile(ctx: CatalogContext, file: WalkedFile, code: string): unknown {
  try {
    return JSON.parse(stripBom(file.data.toString('utf8')));
  } catch (e) {
    warnFile(ctx, file, code, `not valid JSON (${errorText(e)})`);
    // The parser's message may quote the file: the unread entry names the position only.
    ctx.unreadable?.(file, 'malformed', 'not valid JSON');
    return undefined;
  }
}

export function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Licences as npm/composer/cargo write them: a string, an array of strings or of {type}. */
export function licenseList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(licenseList);
  if (isRecord(v) && typeof v.type === 'string') return [v.type];
  return [];
}

// Path helpers under the names the catalogers use.
export { parentOf as dirname, baseName as basename } from '../paths.js';

/** A lock entry's `dependencies` and `optionalDependencies` as one name → range map. */
export function dependencyMap(entry: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of ['dependencies', 'optionalDependencies']) {
    const d = entry[f];
    if (isRecord(d)) for (const [n, r] of Object.entries(d)) if (typeof r === 'string') out[n] = r;
  }
  return out;
}

/** Runs `fn` per file, turning any exception into a warning so parse never throws. */
export async function perFile(
  files: WalkedFile[],
  ctx: CatalogContext,
  code: string,
  fn: (file: WalkedFile) => Package[] | Promise<Package[]>,
): Promise<Package[]> {
  const out: Package[] = [];
  for (const file of files) {
    try {
      out.push(...(await fn(file)));
    } catch (e) {
      warnFile(ctx, file, code, `could not be parsed (${errorText(e)})`);
      ctx.unreadable?.(file, 'malformed', `could not be parsed (${e instanceof Error ? e.name : 'error'})`);
    }
  }
  return out;
}

// Helpers every language cataloger shares: purl building, package construction, safe parsing.
// Per-ecosystem facts (purl shapes, OSV names, PEP 503) come from the registry in src/ecosystems/.
import { languageEcosystemFor, pep503, purlFor } from '../../ecosystems/index.js';
import type { CatalogContext, WalkedFile } from '../cataloger.js';
import type { Package, PackageType } from '../../model/package.js';

export { pep503, purlFor };

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
    ecosystem: languageEcosystemFor(type),
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

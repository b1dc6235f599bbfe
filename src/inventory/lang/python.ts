// Installed Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, `*.egg-info` files,
// and `.egg` archives/directories (`EGG-INFO/PKG-INFO`). Names are PEP 503-normalised in purls.
import type { CatalogContext, Cataloger, WalkedFile } from '../cataloger.js';
import type { Package } from '../../model/package.js';
import { dirname, errorText, makePackage, pep503, perFile, purlFor, warnFile } from './common.js';
import { BudgetError, openZipBuffer, readEntry, zipEntries } from '../../util/zip.js';

const FOUND_BY = 'python';
const MAX_METADATA = 8 * 1024 * 1024;
const MAX_EGG = 64 * 1024 * 1024;

/** RFC 822-style headers (stop at the first blank line: the rest is the description). */
export function parseHeaders(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let last: string[] | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line)) {
      if (last && last.length > 0) last[last.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const list = out.get(key) ?? [];
    list.push(line.slice(colon + 1).trim());
    out.set(key, list);
    last = list;
  }
  return out;
}

function licenses(h: Map<string, string[]>): string[] {
  const expr = h.get('license-expression')?.[0];
  if (expr) return [expr];
  const lic = h.get('license')?.[0];
  // Some projects paste the whole licence text into License: keep only a short one-line name.
  if (lic && lic !== 'UNKNOWN' && !lic.includes('\n') && lic.length <= 100) return [lic];
  const fromClassifiers = (h.get('classifier') ?? [])
    .filter((c) => c.startsWith('License ::'))
    .map((c) => c.split('::').map((s) => s.trim()).pop() ?? '')
    .filter((c) => c && c !== 'OSI Approved');
  return fromClassifiers;
}

interface Dist {
  pkg: Package;
  requires: string[];
  site: string;
}

function distFromText(file: WalkedFile, ctx: CatalogContext, text: string, site: string, path?: string): Dist | undefined {
  const h = parseHeaders(text);
  const name = h.get('name')?.[0];
  const version = h.get('version')?.[0];
  if (!name || !version) {
    warnFile(ctx, file, 'python.metadata', 'no Name or Version header');
    ctx.unreadable?.(file, 'malformed', 'no Name or Version header');
    return undefined;
  }
  const requires = (h.get('requires-dist') ?? [])
    .filter((r) => !/\bextra\s*==/.test(r))
    .map((r) => /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(r)?.[1])
    .filter((r): r is string => !!r);
  const pkg = makePackage('pypi', FOUND_BY, file, { name, version, licenses: licenses(h), ...(path ? { path } : {}) });
  return { pkg, requires, site };
}

/** Reads EGG-INFO/PKG-INFO from a zipped .egg held in memory. */
async function eggPkgInfo(buf: Buffer): Promise<string | undefined> {
  const zip = await openZipBuffer(buf);
  try {
    for await (const entry of zipEntries(zip)) {
      if (entry.fileName !== 'EGG-INFO/PKG-INFO' || entry.uncompressedSize > MAX_METADATA) continue;
      try {
        return (await readEntry(zip, entry, MAX_METADATA, { left: MAX_METADATA })).toString('utf8');
      } catch (e) {
        throw e instanceof BudgetError ? new Error('PKG-INFO too large') : e;
      }
    }
    return undefined;
  } finally {
    zip.close();
  }
}

/** The directory holding the distribution (site-packages), for dependency resolution. */
function siteOf(path: string): string {
  const d = dirname(path);
  return /\.(dist-info|egg-info)$|\/EGG-INFO$/.test(d) ? dirname(/\/EGG-INFO$/.test(d) ? dirname(d) : d) : d;
}

export const pythonCataloger: Cataloger = {
  name: FOUND_BY,
  version: 1,
  kind: 'language',
  attribution: 'file',
  maxFileSize: MAX_EGG,
  // An .egg counts only under site-packages/ or dist-packages/ (a .dist-info counts anywhere).
  linkProbes: ['x.egg'],
  wants(path: string, size: number): boolean {
    if (path.endsWith('.dist-info/METADATA') || path.endsWith('.egg-info/PKG-INFO') || path.endsWith('/EGG-INFO/PKG-INFO')) return size <= MAX_METADATA;
    if (path.endsWith('.egg-info')) return size <= MAX_METADATA;
    return path.endsWith('.egg') && /\/(site|dist)-packages\//.test(path);
  },
  async parse(files: WalkedFile[], ctx: CatalogContext): Promise<Package[]> {
    const dists: Dist[] = [];
    await perFile(files, ctx, 'python.metadata', async (f) => {
      if (f.path.endsWith('.egg')) {
        let text: string | undefined;
        try {
          text = await eggPkgInfo(f.data);
        } catch (e) {
          warnFile(ctx, f, 'python.egg', `not a readable egg archive (${errorText(e)})`);
          ctx.unreadable?.(f, 'malformed', 'not a readable egg archive');
          return [];
        }
        if (text === undefined) {
          warnFile(ctx, f, 'python.egg', 'no EGG-INFO/PKG-INFO inside');
          ctx.unreadable?.(f, 'malformed', 'no EGG-INFO/PKG-INFO inside');
          return [];
        }
        const d = distFromText(f, ctx, text, dirname(f.path));
        if (d) dists.push(d);
        return [];
      }
      const d = distFromText(f, ctx, f.data.toString('utf8'), siteOf(f.path));
      if (d) dists.push(d);
      return [];
    });
    const bySite = new Map<string, Package>();
    for (const d of dists) bySite.set(`${d.site}\0${pep503(d.pkg.name)}`, d.pkg);
    for (const d of dists) {
      const deps = d.requires
        .map((r) => bySite.get(`${d.site}\0${pep503(r)}`))
        .filter((p): p is Package => !!p)
        .map((p) => purlFor('pypi', p.name, p.version));
      if (deps.length > 0) d.pkg.dependsOn = [...new Set(deps)].sort();
    }
    return dists.map((d) => d.pkg);
  },
};

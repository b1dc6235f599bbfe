// purl comparison for VEX products and exception scopes: components compared after the
// library's normalisation, qualifiers as a set (order never matters), and a pattern without a
// version (or without qualifiers) matches every version (every qualifier set).
import { parsePackageURL, rethrowIfLibraryMissing } from '../util/packageurl.js';

export interface ParsedPurl {
  type: string;
  namespace: string;
  name: string;
  version?: string;
  qualifiers: Record<string, string>;
  subpath?: string;
}

const cache = new Map<string, ParsedPurl | null>();

export function parsePurl(s: string): ParsedPurl | null {
  let hit = cache.get(s);
  if (hit !== undefined) return hit;
  try {
    const p = parsePackageURL(s);
    hit = {
      type: p.type.toLowerCase(),
      namespace: p.namespace ?? '',
      name: p.name,
      version: p.version ?? undefined,
      qualifiers: { ...((p.qualifiers as Record<string, string> | undefined) ?? {}) },
      subpath: p.subpath ?? undefined,
    };
  } catch (err) {
    rethrowIfLibraryMissing(err);
    hit = null;
  }
  if (cache.size > 50_000) cache.clear();
  cache.set(s, hit);
  return hit;
}

/** Does `pattern` (from a VEX product or an exception) cover the package purl `target`? */
export function purlMatches(pattern: string, target: string): boolean {
  if (pattern === target) return true;
  const p = parsePurl(pattern);
  const t = parsePurl(target);
  if (!p || !t) return false;
  if (p.type !== t.type || p.name !== t.name || p.namespace !== t.namespace) return false;
  if (p.version !== undefined && p.version !== t.version) return false;
  if (p.subpath !== undefined && p.subpath !== t.subpath) return false;
  for (const [k, v] of Object.entries(p.qualifiers)) if (t.qualifiers[k] !== v) return false;
  return true;
}

// Installed gems: `specifications/*.gemspec` as RubyGems writes them (`s.name = "x".freeze`).
import type { CatalogContext, Cataloger, WalkedFile } from '../cataloger.js';
import type { Package } from '../../model/package.js';
import { makePackage, perFile, warnFile } from './common.js';

const FOUND_BY = 'gemspec';

function strings(s: string): string[] {
  return [...s.matchAll(/["']([^"']*)["']/g)].map((m) => m[1]!);
}

export function parseGemspec(text: string): { name?: string; version?: string; licenses: string[] } {
  const field = (f: string): string | undefined => {
    const m = new RegExp(`^\\s*\\w+\\.${f}\\s*=\\s*(.+)$`, 'm').exec(text);
    return m?.[1];
  };
  const name = field('name');
  const version = field('version');
  const licenses = field('licenses') ?? field('license');
  // `Gem::Version.new("1.2")` and `"1.2".freeze` both hold the version as the first string literal.
  return {
    ...(name ? { name: strings(name)[0] } : {}),
    ...(version ? { version: strings(version)[0] } : {}),
    licenses: licenses ? strings(licenses) : [],
  };
}

export const gemspecCataloger: Cataloger = {
  name: FOUND_BY,
  version: 1,
  kind: 'language',
  attribution: 'file',
  maxFileSize: 4 * 1024 * 1024,
  linkProbes: ['x.gemspec'],
  sizeBlind: true,
  wants(path: string): boolean {
    return path.endsWith('.gemspec') && path.includes('/specifications/');
  },
  parse(files: WalkedFile[], ctx: CatalogContext): Promise<Package[]> {
    return perFile(files, ctx, 'gem.gemspec', (f) => {
      const g = parseGemspec(f.data.toString('utf8'));
      if (!g.name || !g.version) {
        warnFile(ctx, f, 'gem.gemspec', 'no name or version assignment');
        ctx.unreadable?.(f, 'malformed', 'no name or version assignment');
        return [];
      }
      return [makePackage('gem', FOUND_BY, f, { name: g.name, version: g.version, licenses: g.licenses })];
    });
  },
};

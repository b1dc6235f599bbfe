// PHP Composer: `vendor/composer/installed.json` (v1: array, v2: {packages, dev-package-names})
// and `composer.lock` (packages + packages-dev) of projects with no installed vendor dir.
import type { CatalogContext, Cataloger, WalkedFile } from '../cataloger.js';
import type { Package } from '../../model/package.js';
import { basename, dirname, isRecord, licenseList, makePackage, parseJsonFile, perFile, purlFor, str } from './common.js';

const FOUND_BY = 'composer';
const INSTALLED = '/vendor/composer/installed.json';

function toPackages(list: unknown[], file: WalkedFile, devNames: Set<string>, allDev: boolean): Package[] {
  const entries = list.filter(isRecord);
  const versions = new Map<string, string>();
  for (const e of entries) if (str(e.name) && str(e.version)) versions.set(str(e.name)!.toLowerCase(), str(e.version)!);
  return entries.flatMap((e) => {
    const name = str(e.name);
    const version = str(e.version);
    if (!name || !version) return [];
    const deps = Object.keys(isRecord(e.require) ? e.require : {})
      .map((d) => d.toLowerCase())
      .filter((d) => versions.has(d))
      .map((d) => purlFor('composer', d, versions.get(d)!));
    return [makePackage('composer', FOUND_BY, file, { name, version, licenses: licenseList(e.license), dev: allDev || devNames.has(name), dependsOn: deps })];
  });
}

export const composerCataloger: Cataloger = {
  name: FOUND_BY,
  version: 1,
  kind: 'language',
  attribution: 'file',
  maxFileSize: 64 * 1024 * 1024,
  linkProbes: ['composer/installed.json', 'installed.json'],
  sizeBlind: true,
  wants(path: string): boolean {
    return path.endsWith(INSTALLED) || (basename(path) === 'composer.lock' && !path.includes('/vendor/'));
  },
  parse(files: WalkedFile[], ctx: CatalogContext): Promise<Package[]> {
    const installedProjects = new Set(files.filter((f) => f.path.endsWith(INSTALLED)).map((f) => f.path.slice(0, -INSTALLED.length) || '/'));
    return perFile(files, ctx, 'composer', (f) => {
      if (basename(f.path) === 'composer.lock' && installedProjects.has(dirname(f.path))) return []; // counted from vendor/
      const doc = parseJsonFile(ctx, f, 'composer.json');
      if (doc === undefined) return [];
      if (Array.isArray(doc)) return toPackages(doc, f, new Set(), false);
      if (!isRecord(doc)) return [];
      if (f.path.endsWith(INSTALLED)) {
        const dev = new Set(Array.isArray(doc['dev-package-names']) ? doc['dev-package-names'].map(String) : []);
        return toPackages(Array.isArray(doc.packages) ? doc.packages : [], f, dev, false);
      }
      return [
        ...toPackages(Array.isArray(doc.packages) ? doc.packages : [], f, new Set(), false),
        ...toPackages(Array.isArray(doc['packages-dev']) ? doc['packages-dev'] : [], f, new Set(), true),
      ];
    });
  },
};

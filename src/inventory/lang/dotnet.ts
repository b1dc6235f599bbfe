// .NET: `*.deps.json` next to published apps; `libraries` of type `package` are NuGet packages.
import type { CatalogContext, Cataloger, WalkedFile } from '../cataloger.js';
import type { Package } from '../../model/package.js';
import { isRecord, makePackage, parseJsonFile, perFile, purlFor } from './common.js';

const FOUND_BY = 'dotnet-deps';

export const dotnetDepsCataloger: Cataloger = {
  name: FOUND_BY,
  version: 1,
  kind: 'language',
  attribution: 'file',
  maxFileSize: 32 * 1024 * 1024,
  sizeBlind: true,
  wants(path: string): boolean {
    return path.endsWith('.deps.json');
  },
  parse(files: WalkedFile[], ctx: CatalogContext): Promise<Package[]> {
    return perFile(files, ctx, 'dotnet.deps', (f) => {
      const doc = parseJsonFile(ctx, f, 'dotnet.deps');
      if (!isRecord(doc) || !isRecord(doc.libraries)) return [];
      // targets.<tfm>["Name/Version"].dependencies gives the graph.
      const deps = new Map<string, string[]>();
      if (isRecord(doc.targets)) {
        for (const t of Object.values(doc.targets)) {
          if (!isRecord(t)) continue;
          for (const [key, v] of Object.entries(t)) {
            if (isRecord(v) && isRecord(v.dependencies)) {
              deps.set(key, Object.entries(v.dependencies).map(([n, ver]) => purlFor('nuget', n, String(ver))));
            }
          }
        }
      }
      const out: Package[] = [];
      for (const [key, lib] of Object.entries(doc.libraries)) {
        if (!isRecord(lib) || lib.type !== 'package') continue;
        const slash = key.lastIndexOf('/');
        if (slash <= 0) continue;
        out.push(makePackage('nuget', FOUND_BY, f, { name: key.slice(0, slash), version: key.slice(slash + 1), dependsOn: deps.get(key) ?? [] }));
      }
      return out;
    });
  },
};

// Small helpers shared by the rpm cataloger tests.
import type { CatalogContext, WalkedFile } from '../../../src/inventory/cataloger.js';
import type { OsInfo } from '../../../src/model/os.js';
import type { Package } from '../../../src/model/package.js';
import type { ScanWarning } from '../../../src/model/warning.js';
import { rpmCataloger } from '../../../src/inventory/rpm/cataloger.js';

export const LAYER = { index: 2, digest: 'sha256:aa', diffId: 'sha256:bb' };

export function walked(path: string, data: Buffer): WalkedFile {
  return { path, layer: LAYER, size: data.length, mode: 0o644, data };
}

export async function catalog(
  files: WalkedFile[],
  os?: OsInfo,
  osEcosystem = '',
): Promise<{ packages: Package[]; warnings: ScanWarning[] }> {
  const warnings: ScanWarning[] = [];
  const ctx: CatalogContext = { osEcosystem, warn: (w) => warnings.push(w) };
  if (os) ctx.os = os;
  const packages = await rpmCataloger.parse(files, ctx);
  return { packages, warnings };
}

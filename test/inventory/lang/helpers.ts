// Test helpers: WalkedFile objects from real files, and a CatalogContext that records warnings.
import { readFileSync, statSync } from 'node:fs';
import type { CatalogContext, Cataloger, WalkedFile } from '../../../src/inventory/cataloger.js';
import type { LayerRef, Package } from '../../../src/model/package.js';
import type { ScanWarning } from '../../../src/model/warning.js';

export const LAYER: LayerRef = { index: 0, digest: 'sha256:' + 'a'.repeat(64), diffId: 'sha256:' + 'b'.repeat(64) };

export function walked(imagePath: string, data: Buffer, layer: LayerRef = LAYER): WalkedFile {
  return { path: imagePath, layer, size: data.length, mode: 0o100644, data };
}

export function walkedFromDisk(imagePath: string, diskPath: string): WalkedFile {
  const data = readFileSync(diskPath);
  return { ...walked(imagePath, data), mode: statSync(diskPath).mode };
}

export function context(): CatalogContext & { warnings: ScanWarning[] } {
  const warnings: ScanWarning[] = [];
  return { osEcosystem: '', warnings, warn: (w) => warnings.push(w) };
}

/** Runs a cataloger the way the walker would: only files it wants, then parse. */
export async function run(c: Cataloger, files: WalkedFile[]): Promise<{ packages: Package[]; warnings: ScanWarning[] }> {
  const ctx = context();
  const wanted = files.filter((f) => c.wants(f.path, f.size) && f.size <= (c.maxFileSize ?? 64 * 1024 * 1024));
  const packages = await c.parse(wanted, ctx);
  return { packages, warnings: ctx.warnings };
}

export const nv = (p: { name: string; version: string; dev?: boolean }): string => `${p.name}@${p.version}${p.dev ? ' (dev)' : ''}`;

// The inventory driver: walk every layer once, detect the OS on the final view, run each cataloger
// on its files, and attribute packages to layers.
import { errorMessage } from '../errors.js';
import type { Image } from '../model/image.js';
import type { OsInfo } from '../model/os.js';
import type { LayerRef, Package } from '../model/package.js';
import type { ScanWarning } from '../model/warning.js';
import type { CatalogContext, Cataloger, WalkedFile } from './cataloger.js';
import { detectOs, osDetector } from './os-detect.js';
import { osvEcosystemFor } from './os-ecosystem.js';
import { CATALOGERS } from './registry.js';
import { filesFor } from './view.js';
import { walkStreamedLayers } from './walk-streamed.js';
import { walkLayers, type LayerDeltaStore, type WalkProgress } from './walker.js';
import type { WantedFs } from './wanted-fs.js';

export interface Inventory {
  os?: OsInfo;
  osEcosystem: string;
  packages: Package[];
  warnings: ScanWarning[];
}

export interface InventoryOptions {
  catalogers?: Cataloger[];
  /** Layer-delta cache (src/cache): layers seen before are not read again. */
  store?: LayerDeltaStore;
  onProgress?(p: WalkProgress): void;
}

interface Snapshot {
  layer: LayerRef;
  files: WalkedFile[];
}

function signature(files: WalkedFile[]): string {
  return files.map((f) => `${f.path}@${f.layer.index}`).join('\n');
}

const packageKey = (p: Package) => `${p.name}\u0000${p.version}\u0000${p.arch ?? ''}`;

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function comparePackages(a: Package, b: Package): number {
  return (
    compare(a.type, b.type) ||
    compare(a.name, b.name) ||
    compare(a.version, b.version) ||
    compare(a.arch ?? '', b.arch ?? '') ||
    compare(a.path, b.path) ||
    compare(a.foundBy, b.foundBy)
  );
}

/** Runs a cataloger so that nothing it throws can stop the scan. */
async function safeParse(c: Cataloger, files: WalkedFile[], ctx: CatalogContext): Promise<Package[]> {
  try {
    return await c.parse(files, ctx);
  } catch (err) {
    ctx.warn({
      code: 'cataloger.error',
      message: `cataloger ${c.name} failed on ${files.map((f) => f.path).join(', ')}: ${errorMessage(err)}`,
      ...(files[0] ? { path: files[0].path, layer: files[0].layer.index } : {}),
    });
    return [];
  }
}

export async function inventoryImage(image: Image, opts: InventoryOptions = {}): Promise<Inventory> {
  const catalogers = opts.catalogers ?? CATALOGERS;
  const historyOnes = catalogers.filter((c) => c.attribution === 'history');
  const snapshots = new Map<Cataloger, Snapshot[]>(historyOnes.map((c) => [c, []]));
  const lastSig = new Map<Cataloger, string>();

  const walkOptions = {
    onProgress: opts.onProgress,
    ...(opts.store ? { store: opts.store } : {}),
    // A history cataloger's db is re-parsed (later) as it stood after each layer that changed it.
    onLayer(view: WantedFs, layer: LayerRef) {
      for (const c of historyOnes) {
        const files = filesFor(view, c);
        const sig = signature(files);
        if (sig === (lastSig.get(c) ?? '')) continue;
        lastSig.set(c, sig);
        snapshots.get(c)?.push({ layer, files });
      }
    },
  };
  const wanters = [osDetector, ...catalogers];
  // A daemon's export stream is read once, layers in stream order (src/image/stores).
  const { fs, warnings } = image.streamed
    ? await walkStreamedLayers(image, image.streamed, wanters, walkOptions)
    : await walkLayers(image.layers, wanters, walkOptions);

  const warn = (w: ScanWarning) => warnings.push(w);
  const os = detectOs(filesFor(fs, osDetector));
  const osEcosystem = osvEcosystemFor(os);
  const ctx: CatalogContext = { osEcosystem, warn, ...(os ? { os } : {}) };
  const quiet: CatalogContext = { ...ctx, warn: () => undefined };

  const packages: Package[] = [];
  for (const c of catalogers) {
    const files = filesFor(fs, c, warn);
    if (files.length === 0) continue;
    const found = await safeParse(c, files, ctx);
    if (c.attribution === 'history') {
      const firstSeen = new Map<string, LayerRef>();
      const finalSig = signature(files);
      for (const snap of snapshots.get(c) ?? []) {
        // The last snapshot usually is the final state, already parsed above.
        const listed = signature(snap.files) === finalSig ? found : await safeParse(c, snap.files, quiet);
        for (const p of listed) {
          const k = packageKey(p);
          if (!firstSeen.has(k)) firstSeen.set(k, snap.layer);
        }
      }
      for (const p of found) p.layer = firstSeen.get(packageKey(p)) ?? p.layer;
    }
    for (const p of found) packages.push(p);
  }
  packages.sort(comparePackages);
  warnings.sort((a, b) => (a.layer ?? -1) - (b.layer ?? -1) || compare(a.path ?? '', b.path ?? '') || compare(a.code, b.code) || compare(a.message, b.message));
  return { ...(os ? { os } : {}), osEcosystem, packages, warnings };
}

// The inventory half of a scan (what `sbom` writes, and what `scan` matches), kept apart from the
// matcher, the DB and the policy engine so `sbom` loads only what it needs.
import { resolve } from 'node:path';
import { openScanCache, type ScanCacheOptions, type ScanLayerDeltaStore } from '../cache/index.js';
import { PortcullisError } from '../errors.js';
import { resolveImageSource } from '../image/resolve.js';
import { inventoryImage } from '../inventory/inventory.js';
import { buildInventoryReport } from '../inventory/report.js';
import type { UncheckedPackage, UnreadFile } from '../model/coverage.js';
import { REPORT_SCHEMA_VERSION, type Report } from '../model/report.js';
import { TOOL_VERSION } from '../version-info.js';
import type { ResolveOptions } from '../image/resolve.js';

/** What to inventory: an image, or an SBOM file in its place. */
export interface ScanInput {
  /** Image argument: path, prefixed source, registry reference or local store name. */
  image?: string;
  /** A CycloneDX / SPDX JSON SBOM instead of an image. */
  sbom?: string;
  /** How the image is found and fetched: platform, registry credentials, store order. */
  source?: ResolveOptions;
}

/** The layer cache (`--cache-*`, `--no-cache`); relative paths resolve against the run's cwd. */
export interface LayerCacheSettings extends Omit<ScanCacheOptions, 'env'> {
  /** `--no-cache`: read every layer, use and store no cached result. */
  disabled?: boolean;
}

/** Where a run happens, its clock, and where its messages go (every entry point takes these). */
export interface RunContext {
  env?: NodeJS.ProcessEnv;
  /** Relative paths are resolved against this (default: process.cwd()). */
  cwd?: string;
  now?: Date;
  /** Human progress lines (the shell decides whether to show them). */
  onProgress?(message: string): void;
  /** Things the user must know even in CI (first-run download, a cache backend gone cold). */
  onNotice?(message: string): void;
}

/** What to inventory and how (the first part of ScanOptions, which extends it). */
export interface InventoryOptions extends RunContext {
  input: ScanInput;
  cache?: LayerCacheSettings;
}

/** An inventory and what it could not read or check (what scan's coverage lists). */
export interface InventoryWithGaps {
  report: Report;
  /** Package files found but not read. */
  unread: UnreadFile[];
  /** Packages found but not checkable (an SBOM purl type no ecosystem takes). */
  unchecked: UncheckedPackage[];
}

/**
 * The inventory half alone (what `sbom` writes, and what `scan` matches): the image's packages, or
 * an SBOM's, as a Report without findings.
 */
export async function inventoryReport(opts: InventoryOptions): Promise<Report> {
  const { report, unread } = await inventoryWithGaps(opts);
  // The SBOM documents say which package files were not read (a scan's coverage lists them instead).
  if (unread.length) report.unread = unread;
  return report;
}

/** inventoryReport, plus the files it could not read and the packages it cannot check. */
export async function inventoryWithGaps(opts: InventoryOptions): Promise<InventoryWithGaps> {
  const cwd = opts.cwd ?? process.cwd();
  const { image: imageArg, sbom, source } = opts.input;
  if (sbom) {
    // Loaded only for an SBOM input: an image scan never runs it.
    const { readSbomFile } = await import('../sbom-input/read-sbom.js');
    const input = await readSbomFile(resolve(cwd, sbom));
    const report: Report = {
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: { name: 'portcullis', version: TOOL_VERSION },
      createdAt: (opts.now ?? new Date()).toISOString(),
      image: input.metadata,
      layers: [],
      packages: input.packages,
      warnings: input.warnings,
    };
    return { report, unread: input.unread, unchecked: input.unchecked };
  }
  if (!imageArg) throw new PortcullisError('scan: give an image (or --sbom FILE)');
  // Opened first: an untrusted cache directory or a missing fleet key fails before any work.
  const store = opts.cache?.disabled ? undefined : await openCache(opts.cache ?? {}, opts.env ?? process.env, cwd);
  try {
    const image = await resolveImageSource(imageArg, source ?? {}).open();
    try {
      opts.onProgress?.(`reading ${image.layers.length} layers of ${imageArg}`);
      const inv = await inventoryImage(image, {
        onProgress: (p) => opts.onProgress?.(`layer ${p.layerIndex + 1}/${p.layerCount} ${p.digest.slice(0, 19)}`),
        ...(store ? { store } : {}),
      });
      const report = buildInventoryReport(image, inv, opts.now);
      if (store) report.tool.cache = store.metrics();
      return { report, unread: inv.unread, unchecked: [] };
    } finally {
      await image.close();
    }
  } finally {
    if (store) {
      await store.close();
      for (const line of store.notices()) opts.onNotice?.(line);
    }
  }
}

function openCache(cache: LayerCacheSettings, env: NodeJS.ProcessEnv, cwd: string): Promise<ScanLayerDeltaStore> {
  const { disabled: _disabled, dir, tls, ...rest } = cache;
  const abs = (p: string | undefined) => (p !== undefined ? resolve(cwd, p) : undefined);
  return openScanCache({
    ...rest,
    ...(dir !== undefined ? { dir: resolve(cwd, dir) } : {}),
    ...(tls ? { tls: { ca: abs(tls.ca), cert: abs(tls.cert), key: abs(tls.key) } } : {}),
    env,
  });
}

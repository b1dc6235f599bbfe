// The inventory half of a scan (what `sbom` writes, and what `scan` matches), kept apart from the
// matcher, the DB and the policy engine so `sbom` loads only what it needs.
import { resolve } from 'node:path';
import { openScanCache, type ScanLayerDeltaStore } from '../cache/index.js';
import { PortcullisError } from '../errors.js';
import { resolveImageSource } from '../image/resolve.js';
import { inventoryImage } from '../inventory/inventory.js';
import { buildInventoryReport } from '../inventory/report.js';
import type { UncheckedPackage, UnreadFile } from '../model/coverage.js';
import { REPORT_SCHEMA_VERSION, type Report } from '../model/report.js';
import { readSbomFile } from '../sbom-input/read-sbom.js';
import { TOOL_VERSION } from '../version-info.js';
import type { ResolveOptions } from '../image/resolve.js';

/** What to inventory and how (the first part of ScanOptions, which extends it). */
export interface InventoryOptions {
  /** Image argument (path, prefixed source, registry reference); or `sbom`. */
  image?: string;
  /** Scan a CycloneDX / SPDX JSON SBOM instead of an image. */
  sbom?: string;
  imageOptions?: ResolveOptions;
  /** Layer cache directory (default: per-user cache); `noCache` reads every layer. */
  cacheDir?: string;
  noCache?: boolean;
  /** Layer cache backend: `fs` (default), `redis://…`, `rediss://…` (default $PORTCULLIS_CACHE_BACKEND). */
  cacheBackend?: string;
  cacheTtlMs?: number;
  cacheTimeoutMs?: number;
  cacheMaxEntryBytes?: number;
  cacheTls?: { ca?: string; cert?: string; key?: string };
  env?: NodeJS.ProcessEnv;
  now?: Date;
  /** Human progress lines (the shell decides whether to show them). */
  onProgress?(message: string): void;
  /** Things the user must know even in CI (first-run download, a cache backend gone cold). */
  onNotice?(message: string): void;
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
export async function inventoryReport(opts: InventoryOptions, cwd: string = process.cwd()): Promise<Report> {
  return (await inventoryWithGaps(opts, cwd)).report;
}

/** inventoryReport, plus the files it could not read and the packages it cannot check. */
export async function inventoryWithGaps(opts: InventoryOptions, cwd: string = process.cwd()): Promise<InventoryWithGaps> {
  if (opts.sbom) {
    const input = await readSbomFile(resolve(cwd, opts.sbom));
    const report: Report = {
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: { name: 'portcullis', version: TOOL_VERSION },
      createdAt: (opts.now ?? new Date()).toISOString(),
      image: input.metadata,
      layers: [],
      packages: input.packages,
      warnings: input.warnings,
    };
    return { report, unread: [], unchecked: input.unchecked };
  }
  if (!opts.image) throw new PortcullisError('scan: give an image (or --sbom FILE)');
  // Opened first: an untrusted cache directory or a missing fleet key fails before any work.
  const store = opts.noCache ? undefined : await openCache(opts, cwd);
  try {
    const image = await resolveImageSource(opts.image, opts.imageOptions ?? {}).open();
    try {
      opts.onProgress?.(`reading ${image.layers.length} layers of ${opts.image}`);
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

function openCache(opts: InventoryOptions, cwd: string): Promise<ScanLayerDeltaStore> {
  const tls = opts.cacheTls;
  const abs = (p: string | undefined) => (p !== undefined ? resolve(cwd, p) : undefined);
  return openScanCache({
    ...(opts.cacheDir !== undefined ? { dir: resolve(cwd, opts.cacheDir) } : {}),
    ...(opts.cacheBackend !== undefined ? { backend: opts.cacheBackend } : {}),
    ...(opts.cacheTtlMs !== undefined ? { ttlMs: opts.cacheTtlMs } : {}),
    ...(opts.cacheTimeoutMs !== undefined ? { timeoutMs: opts.cacheTimeoutMs } : {}),
    ...(opts.cacheMaxEntryBytes !== undefined ? { maxEntryBytes: opts.cacheMaxEntryBytes } : {}),
    ...(tls ? { tls: { ca: abs(tls.ca), cert: abs(tls.cert), key: abs(tls.key) } } : {}),
    env: opts.env ?? process.env,
  });
}


import type { Coverage, UnreadFile } from './coverage.js';
import type { Decision } from './decision.js';
import type { Finding } from './finding.js';
import type { ImageMetadata } from './image.js';
import type { OsInfo } from './os.js';
import type { LayerRef, Package } from './package.js';
import type { ScanWarning } from './warning.js';

export const REPORT_SCHEMA_VERSION = '1.0';

export interface ReportLayer extends LayerRef {
  size: number;
  mediaType: string;
}

export interface DbSummary {
  /** `file:PATH` or the URL of a `db serve` / OSV API. */
  location: string;
  builtAt?: string;
  /** Oldest source fetch time (when the data was last fetched or imported). */
  updatedAt?: string;
  /**
   * How current the data is: the oldest of the sources' data dates (docs/database.md,
   * Freshness): a download's Last-Modified, the newest `modified` of imported records, a feed's
   * own date. Drives the stale-DB check (`--max-db-age`). Absent when no source is dated.
   */
  dataDate?: string;
  sources: { name: string; fetchedAt?: string; records?: number; dataDate?: string }[];
  /** Threat-intel rows the DB holds (absent for a source that cannot say, e.g. the OSV API). */
  intel?: { kev: number; epss: number; nvd: number };
}

/**
 * What the layer cache did in this run (src/cache). Counts layers, not files. A hit still had its
 * local bytes hashed; `rejected` entries failed authentication and were ignored (read instead).
 */
export interface CacheMetrics {
  /** `fs` (this user's directory) or `redis` (a shared cache in front of it). Never the URL. */
  backend: 'fs' | 'redis';
  lookups: number;
  hits: number;
  /** Of the hits, those served by the shared cache (redis only). */
  sharedHits?: number;
  misses: number;
  rejected: number;
  /** Entries written to the local directory (layer deltas, and the image's inventory memo). */
  stored: number;
  /** Entries written to the shared cache (redis only). */
  sharedStored?: number;
  /** The shared cache failed during the run; the scan went on without it. */
  degraded?: boolean;
  /**
   * The whole image's inventory memo (src/inventory/memo.ts): `hit` (nothing walked; every layer's
   * blob still hashed), `shared-hit` (from the shared cache), `miss` (read, then stored). Absent
   * when not consulted (a read-once daemon stream).
   */
  inventory?: 'hit' | 'shared-hit' | 'miss';
}

/** Everything one run knows. Encoders are pure functions of this. */
export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'portcullis'; version: string; cache?: CacheMetrics };
  createdAt: string;
  image: ImageMetadata;
  os?: OsInfo;
  layers: ReportLayer[];
  packages: Package[];
  /** Absent for `sbom`; present (maybe empty) for `scan`. */
  findings?: Finding[];
  /** What the scan checked: per-ecosystem data coverage, unread package files (`scan` only). */
  coverage?: Coverage;
  /**
   * `sbom` only (a scan lists them in `coverage.unread`): package files found but not read, whose
   * packages the inventory therefore lacks. SBOM encoders carry them so a later `scan --sbom` of
   * the document is incomplete too, never a pass on what was not read.
   */
  unread?: UnreadFile[];
  decision?: Decision;
  db?: DbSummary;
  warnings: ScanWarning[];
}

import type { OsInfo } from '../model/os.js';
import type { LayerRef, Package } from '../model/package.js';
import type { ScanWarning } from '../model/warning.js';

/** A file the walker captured for a cataloger, as it stands in the final filesystem (or a layer state). */
export interface WalkedFile {
  /** Absolute, normalised path in the image (`/var/lib/dpkg/status`). */
  path: string;
  /** The layer that last wrote this file. */
  layer: LayerRef;
  size: number;
  mode: number;
  /** The file's bytes, or (when `distilled`) what the cataloger's `distill()` kept of them. */
  data: Buffer;
  /** True when `data` is the output of this cataloger's `distill()`, not the file itself. */
  distilled?: boolean;
}

export interface CatalogContext {
  /** The OS detected in the final filesystem (undefined: none found). */
  os?: OsInfo;
  /** OSV ecosystem of the OS (`Debian:12`, `Alpine:v3.20`…); empty when unknown. */
  osEcosystem: string;
  warn(warning: ScanWarning): void;
  /**
   * Reports that a file this cataloger owns could not be read as a whole (`malformed`: nothing in
   * it could be parsed; `unreadable`: it could not be decoded at all): its packages are unknown, and
   * the scan lists the file under Inventory.unread (`error`: the inventory's own code for a
   * cataloger that threw). `reason` is one line and never quotes the file.
   * Keep giving the warning too. Optional: contexts built outside inventoryImage may lack it.
   */
  unreadable?(file: WalkedFile, code: 'malformed' | 'unreadable' | 'error', reason: string): void;
}

/**
 * A cataloger is a small plugin: it declares which files it wants and parses them into packages.
 * The walker reads each layer once and captures only wanted files; adding an ecosystem means adding
 * a cataloger to the registry (src/inventory/registry.ts), never changing the walker.
 */
export interface Cataloger {
  readonly name: string;
  /** Bumped whenever wants() or parse() output changes; part of the layer-cache key. */
  readonly version: number;
  readonly kind: 'os' | 'language';
  /** Called with every regular file's absolute path and size. Keep it cheap: it runs per tar entry. */
  wants(path: string, size: number): boolean;
  /** wants() answers by the path alone, whatever the size (FileWanter.sizeBlind). */
  readonly sizeBlind?: boolean;
  /** Larger wanted files are not buffered; a warning is emitted instead. Default: 64 MiB. */
  readonly maxFileSize?: number;
  /**
   * Optional magic-byte test, called with a wanted file's path and its first 64 bytes (fewer if the
   * file is smaller) before anything else is buffered. False: not this cataloger's file; when
   * every wanter of the file says so, the rest is skipped unread. For catalogers that want files by
   * size and shape alone (executables).
   */
  sniff?(path: string, head: Buffer): boolean;
  /**
   * Optional: called by the walker once, as the file is captured, with its whole content; returns
   * only what parse() needs (a Go binary's buildinfo, a jar's pom.properties…), or null when the
   * file is not this cataloger's (a non-Go ELF). The result is what the LayerDelta stores (and a
   * layer cache keeps); parse() then sees it as `data` with `distilled: true`. It must be a pure
   * function of (path, data), must neither keep nor modify `data` (the walker reuses that buffer
   * and hands the same bytes to every distilling wanter), and its result should be small. Warnings
   * it wants to give must travel inside the result (there is no layer yet).
   * parse() must still accept undistilled files (tests and callers without a walker).
   */
  distill?(path: string, data: Buffer): Buffer | null | Promise<Buffer | null>;
  /**
   * Exact locations this cataloger asks for (a file, or a directory ending in `/`): a symlinked
   * directory on the way is followed to wherever it leads (FileWanter.anchors). Package dbs only.
   */
  readonly anchors?: readonly string[];
  /** Paths below a directory this cataloger wants because of the directory's name (FileWanter.linkProbes). */
  readonly linkProbes?: readonly string[];
  /**
   * `file`: a package's layer is the layer that last wrote its file (one package per manifest).
   * `history`: the inventory re-parses the db as it stood after each layer and attributes each
   * package to the first layer whose db lists its name and version (package databases).
   */
  readonly attribution: 'file' | 'history';
  /** Parses the wanted files (final filesystem, or one layer state for `history`). */
  parse(files: WalkedFile[], ctx: CatalogContext): Package[] | Promise<Package[]>;
}

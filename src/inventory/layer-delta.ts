// What one layer contributes to the view of wanted files. A plain value (no LayerRef, no index):
// it is a pure function of (layer bytes, catalogers' wants), so a cache can key it by layer digest
// plus cataloger versions.

export interface CapturedFile {
  /** Absolute normalised path. */
  path: string;
  size: number;
  mode: number;
  /** The whole file, kept when some wanter without `distill()` wants it; empty otherwise. */
  data: Buffer;
  /**
   * Per wanter name: what that wanter's `distill()` kept of the file (a wanter whose distill
   * returned null is absent: the file is not its). Part of the delta's value: a codec must carry it.
   */
  distilled?: Record<string, Buffer>;
}

export interface LinkEntry {
  path: string;
  /** symlink: the link text as stored; hardlink: the absolute normalised path of the target entry. */
  target: string;
  kind: 'symlink' | 'hardlink';
}

export interface DeltaWarning {
  code: string;
  message: string;
  path?: string;
}

/**
 * A wanted file this layer writes that could not be captured (today: over its wanters' size limit).
 * Unlike `dropped` alone, it is something a cataloger should have read: the view keeps it, so a
 * final state that still holds it is reported as unread (Inventory.unread).
 */
export interface DeltaUnread {
  /** Absolute normalised path of the entry in the layer. */
  path: string;
  size: number;
  /** Names of the wanters that wanted it. */
  wanters: string[];
  /** `too-large`: over a wanter's limit; `unreadable`: an entry type the walker cannot read (GNU sparse). */
  code: 'too-large' | 'unreadable';
  /** One line, never file content. */
  reason: string;
}

export interface LayerDelta {
  /** Wanted regular files written by this layer (last entry wins within a layer). */
  files: CapturedFile[];
  /** `.wh.NAME` entries: the absolute path they remove from earlier layers (and all below it). */
  whiteouts: string[];
  /** `.wh..wh..opq` entries: directories whose earlier-layer children are hidden. */
  opaqueDirs: string[];
  links: LinkEntry[];
  /**
   * Wanted paths written by this layer but not captured (over the size limit, rejected by every
   * wanter's sniff() or distill()): they hide earlier copies.
   */
  dropped: string[];
  /**
   * pathHash() of regular files this layer writes that no wanter takes at their size but some wanter
   * would at another (a Go binary replaced by a small script): they hide earlier copies. Sorted.
   */
  shadowed: number[];
  warnings: DeltaWarning[];
  /** Wanted files written by this layer that could not be captured (also in `dropped`). */
  unread: DeltaUnread[];
  /**
   * pathHash() of every directory that holds, at any depth, a regular file of this layer; sorted.
   * Says which layers may hold the target of a link no wanter asked for, so only those are read
   * again (walker.ts, second pass).
   */
  dirs: number[];
}

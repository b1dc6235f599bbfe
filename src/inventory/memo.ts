// The whole-image inventory memo: an image whose every layer (blob digest and diff_id, in order),
// build history and platform were inventoried before by this very code gets that inventory back
// without walking, merging or parsing anything. Only the layer bytes are checked again (each
// layer's verify(): its blob hashed against its digests), as for a layer-cache hit: the memo is
// trusted exactly as far as the layer deltas it was made from. It lives in the layer cache (same
// authenticated entries: this user's directory, and the fleet's Redis in front of it).
import { createHash } from 'node:crypto';
import type { UnreadFile } from '../model/coverage.js';
import type { Image } from '../model/image.js';
import type { OsInfo } from '../model/os.js';
import type { Package } from '../model/package.js';
import type { ScanWarning } from '../model/warning.js';
import { codeFingerprint } from '../util/code-fingerprint.js';
import { TOOL_VERSION } from '../version-info.js';
import type { LayerKey, WanterVersions } from './walker.js';
import { layerRefOf } from './walker.js';

/** Bump when the stored form below changes. */
const MEMO_FORMAT = 1;

/** The store side (src/cache/delta-store.ts implements it beside the layer deltas). */
export interface InventoryMemoStore {
  /**
   * The memo stored under `key`, if any. A shared backend may fetch the layers' deltas in the same
   * round trip (`layers`, `wanters`: what the walk would ask for on a miss).
   */
  getInventory(key: string, layers: readonly LayerKey[], wanters: WanterVersions): Promise<Buffer | undefined>;
  putInventory(key: string, data: Buffer): Promise<void>;
}

/** What a memo holds: inventoryImage's result. */
export interface MemoInventory {
  os?: OsInfo;
  osEcosystem: string;
  packages: Package[];
  warnings: ScanWarning[];
  unread: UnreadFile[];
}

/**
 * Everything the inventory is a function of: this build's code and version, the wanters (what
 * the walk captures), each layer's identity and build step (packages carry them), and the
 * platform (packages of a platform-less ecosystem get the image's).
 */
export function inventoryMemoKey(image: Image, wanters: WanterVersions): string {
  const { os, architecture, variant } = image.metadata.config;
  const facts = {
    format: MEMO_FORMAT,
    tool: TOOL_VERSION,
    code: codeFingerprint(),
    wanters,
    layers: image.layers.map(layerRefOf),
    platform: { os, architecture, variant: variant ?? null },
  };
  return `inventory/v${MEMO_FORMAT}/${createHash('sha256').update(JSON.stringify(facts)).digest('hex')}`;
}

export function encodeInventory(inv: MemoInventory): Buffer {
  return Buffer.from(JSON.stringify({ format: MEMO_FORMAT, ...inv }), 'utf8');
}

/** The stored inventory; undefined when the bytes are not one (then the image is read as if absent). */
export function decodeInventory(data: Buffer): MemoInventory | undefined {
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (o.format !== MEMO_FORMAT || typeof o.osEcosystem !== 'string') return undefined;
  if (!Array.isArray(o.packages) || !Array.isArray(o.warnings) || !Array.isArray(o.unread)) return undefined;
  if (o.os !== undefined && (typeof o.os !== 'object' || o.os === null)) return undefined;
  const inv: MemoInventory = {
    osEcosystem: o.osEcosystem,
    packages: o.packages as Package[],
    warnings: o.warnings as ScanWarning[],
    unread: o.unread as UnreadFile[],
  };
  if (o.os !== undefined) inv.os = o.os as OsInfo;
  return inv;
}

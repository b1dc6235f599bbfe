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
import type { LinkProbes } from './link-targets.js';
import type { WanterVersions } from './walker.js';
import { layerRefOf } from './layer-keys.js';

/** Bump when the stored form below changes. */
const MEMO_FORMAT = 1;

/** The store side (src/cache/delta-store.ts implements it beside the layer deltas). */
export interface InventoryMemoStore {
  /**
   * The memo stored under `key`, if any; a shared backend fetches the `related` memos (parents) in
   * the same round trip. Not the layers' deltas: a hit needs none of them (the walk that follows a
   * miss fetches them, all in one batch, through LayerDeltaStore.prefetch).
   */
  getInventory(key: string, related?: readonly string[]): Promise<Buffer | undefined>;
  putInventory(key: string, data: Buffer): Promise<void>;
  /**
   * Another memo (`related` of getInventory: fetched in the same round trip), for what it knows
   * beyond its image's inventory (its link probes); not counted as a lookup of this image.
   */
  peekInventory?(key: string): Promise<Buffer | undefined>;
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
  return memoKeyOf(image, image.layers.length, wanters);
}

function memoKeyOf(image: Image, layerCount: number, wanters: WanterVersions): string {
  const { os, architecture, variant } = image.metadata.config;
  const facts = {
    format: MEMO_FORMAT,
    tool: TOOL_VERSION,
    code: codeFingerprint(),
    wanters,
    layers: image.layers.slice(0, layerCount).map(layerRefOf),
    platform: { os, architecture, variant: variant ?? null },
  };
  return `inventory/v${MEMO_FORMAT}/${createHash('sha256').update(JSON.stringify(facts)).digest('hex')}`;
}

/** Parent images looked up: the longest layer prefixes (a base image, then its own base…). */
const PARENTS = 4;

/**
 * The memo keys this image's parents would have (the image's first layers, same history and
 * platform: what `FROM base` builds on), longest first. A fleet runner meets a new image mostly on
 * a base it has scanned before; that memo's link probes spare this walk the same probes (LinkProbes).
 */
export function parentMemoKeys(image: Image, wanters: WanterVersions): string[] {
  const out: string[] = [];
  for (let n = image.layers.length - 1; n >= 1 && out.length < PARENTS; n--) out.push(memoKeyOf(image, n, wanters));
  return out;
}

/**
 * Where a child image's walk can take over from this image's (WalkOptions.resumeAt): kept only when
 * the walk followed no link (no second pass). Per history cataloger (read-inventory.ts): the signature
 * of its files in the last state, and the layer each package key was first seen in, over every state.
 */
export interface WalkResume {
  history: Record<string, { sig: string; firstSeen: [string, number][] }>;
}

/** The stored form: the inventory, and what its walk leaves for a child image's (LinkProbes, WalkResume). */
export function encodeInventory(inv: MemoInventory, probes?: LinkProbes, resume?: WalkResume): Buffer {
  const linkProbes = { yes: [] as string[], no: [] as string[] };
  for (const [k, v] of probes ?? []) (v ? linkProbes.yes : linkProbes.no).push(k);
  return Buffer.from(JSON.stringify({ format: MEMO_FORMAT, ...inv, linkProbes, ...(resume ? { resume } : {}) }), 'utf8');
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The stored object of a memo of this format; undefined when the bytes are not one. */
function memoObject(data: Buffer): Record<string, unknown> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  return o.format === MEMO_FORMAT ? o : undefined;
}

function linkProbesOf(o: Record<string, unknown>): LinkProbes {
  const out = new Map<string, boolean>();
  const p = o.linkProbes as { yes?: unknown; no?: unknown } | undefined;
  if (typeof p !== 'object' || p === null || !isStringArray(p.yes) || !isStringArray(p.no)) return out;
  for (const k of p.no) out.set(k, false);
  for (const k of p.yes) out.set(k, true);
  return out;
}

function resumeOf(o: Record<string, unknown>): WalkResume | undefined {
  const h = (o.resume as { history?: unknown } | undefined)?.history;
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return undefined;
  for (const e of Object.values(h as Record<string, unknown>)) {
    const { sig, firstSeen } = (e ?? {}) as { sig?: unknown; firstSeen?: unknown };
    if (typeof sig !== 'string' || !Array.isArray(firstSeen)) return undefined;
    if (!firstSeen.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && Number.isSafeInteger(p[1]) && (p[1] as number) >= 0)) return undefined;
  }
  return { history: h as WalkResume['history'] };
}

/**
 * What a memo lends a child image's walk: its link probe answers (none from an older memo) and its
 * WalkResume (none when its walk followed links, or the bytes are malformed).
 */
export function decodeParentMemo(data: Buffer): { linkProbes: LinkProbes; resume?: WalkResume } {
  const o = memoObject(data);
  if (!o) return { linkProbes: new Map() };
  const resume = resumeOf(o);
  return { linkProbes: linkProbesOf(o), ...(resume ? { resume } : {}) };
}

/** The stored inventory; undefined when the bytes are not one (then the image is read as if absent). */
export function decodeInventory(data: Buffer): MemoInventory | undefined {
  const o = memoObject(data);
  if (!o || typeof o.osEcosystem !== 'string') return undefined;
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

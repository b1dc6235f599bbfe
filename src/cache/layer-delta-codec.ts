// LayerDelta <-> bytes for the layer cache, and the cache key of a layer's delta. The format is a
// JSON header (everything but file contents, with each file's byte length) followed by the file
// contents in order. Decoding checks every field, so a damaged entry is an error, never a wrong delta.
import type { CapturedFile, DeltaUnread, DeltaWarning, LayerDelta, LinkEntry } from '../inventory/layer-delta.js';

/** Bump when LayerDelta's shape changes, so old entries are never read as new ones. */
export const LAYER_DELTA_FORMAT = 4;

export class LayerDeltaDecodeError extends Error {}

/**
 * The cache key of a layer's delta: the stored blob's digest AND the layer's diff_id (its
 * uncompressed content), plus every cataloger's name@version (what decides the wanted files),
 * sorted so the order does not matter. Both digests, because a hit is trusted only after the local
 * blob is hashed again, and hashing the stored blob (no decompression) must be enough: the entry
 * was made from bytes with that blob digest whose content had that diff_id.
 */
export function layerDeltaCacheKey(layer: { digest: string; diffId: string }, catalogers: readonly { name: string; version: number | string }[]): string {
  const list = catalogers.map((c) => `${c.name}@${c.version}`).sort();
  return `layer-delta/v${LAYER_DELTA_FORMAT}/${layer.digest}/${layer.diffId}/${list.join(',')}`;
}

interface Header {
  format: number;
  /** `distilled`: per wanter name, the length of its distilled bytes (stored after the file's data). */
  files: { path: string; size: number; mode: number; length: number; distilled?: Record<string, number> }[];
  whiteouts: string[];
  opaqueDirs: string[];
  links: LinkEntry[];
  dropped: string[];
  /** How many path hashes follow the file data, as float64 big-endian (8 bytes each). */
  shadowed: number;
  /** How many directory hashes follow the shadowed ones (same encoding). */
  dirs: number;
  warnings: DeltaWarning[];
  unread: DeltaUnread[];
}

export function serialiseLayerDelta(delta: LayerDelta): Buffer {
  return Buffer.concat(layerDeltaParts(delta));
}

/** The encoded delta as parts (header, then file contents as they are: not copied). */
export function layerDeltaParts(delta: LayerDelta): Buffer[] {
  const header: Header = {
    format: LAYER_DELTA_FORMAT,
    files: delta.files.map((f) => ({
      path: f.path,
      size: f.size,
      mode: f.mode,
      length: f.data.length,
      ...(f.distilled ? { distilled: Object.fromEntries(Object.entries(f.distilled).map(([k, v]) => [k, v.length])) } : {}),
    })),
    whiteouts: delta.whiteouts,
    opaqueDirs: delta.opaqueDirs,
    links: delta.links.map((l) => ({ path: l.path, target: l.target, kind: l.kind })),
    dropped: delta.dropped,
    shadowed: delta.shadowed.length,
    dirs: delta.dirs.length,
    warnings: delta.warnings.map((w) => ({ code: w.code, message: w.message, ...(w.path !== undefined ? { path: w.path } : {}) })),
    unread: delta.unread.map((u) => ({ path: u.path, size: u.size, wanters: [...u.wanters], code: u.code, reason: u.reason })),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length, 0);
  const hashes = Buffer.alloc(8 * (delta.shadowed.length + delta.dirs.length));
  [...delta.shadowed, ...delta.dirs].forEach((h, i) => hashes.writeDoubleBE(h, 8 * i));
  return [len, json, ...delta.files.flatMap((f) => [f.data, ...Object.values(f.distilled ?? {})]), hashes];
}

function fail(what: string): never {
  throw new LayerDeltaDecodeError(`cached layer delta: ${what}`);
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every(isStr)) fail(`${what} is not a list of strings`);
  return v;
}

export function deserialiseLayerDelta(buf: Buffer): LayerDelta {
  if (buf.length < 4) fail('too short');
  const jsonLength = buf.readUInt32BE(0);
  if (4 + jsonLength > buf.length) fail('header runs past the end');
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(buf.subarray(4, 4 + jsonLength).toString('utf8')) as Record<string, unknown>;
  } catch {
    fail('header is not JSON');
  }
  if (typeof h !== 'object' || h === null || h.format !== LAYER_DELTA_FORMAT) fail('unknown format');
  if (!Array.isArray(h.files)) fail('files missing');
  let offset = 4 + jsonLength;
  const files: CapturedFile[] = h.files.map((f: unknown) => {
    const o = f as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || !isStr(o.path) || !isNat(o.size) || !isNat(o.mode) || !isNat(o.length)) fail('bad file record');
    const take = (length: number): Buffer => {
      if (offset + length > buf.length) fail('file data runs past the end');
      // A view, not a copy: the entry's buffer holds exactly this delta and lives as long as it.
      const b = buf.subarray(offset, offset + length);
      offset += length;
      return b;
    };
    const file: CapturedFile = { path: o.path, size: o.size, mode: o.mode, data: take(o.length) };
    if (o.distilled !== undefined) {
      const d = o.distilled as Record<string, unknown>;
      if (typeof d !== 'object' || d === null || Array.isArray(d)) fail('bad distilled record');
      file.distilled = {};
      for (const [name, length] of Object.entries(d)) {
        if (!isNat(length)) fail('bad distilled length');
        file.distilled[name] = take(length);
      }
    }
    return file;
  });
  if (!isNat(h.shadowed)) fail('shadowed count missing');
  if (!isNat(h.dirs)) fail('dirs count missing');
  if (offset + 8 * (h.shadowed + h.dirs) !== buf.length) fail('path hashes do not fill the rest');
  const hashes = (count: number): number[] => {
    const out: number[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const v = buf.readDoubleBE(offset);
      if (!isNat(v)) fail('bad path hash');
      out[i] = v;
      offset += 8;
    }
    return out;
  };
  const shadowed = hashes(h.shadowed);
  const dirs = hashes(h.dirs);
  if (!Array.isArray(h.links)) fail('links missing');
  const links: LinkEntry[] = h.links.map((l: unknown) => {
    const o = l as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || !isStr(o.path) || !isStr(o.target) || (o.kind !== 'symlink' && o.kind !== 'hardlink')) fail('bad link record');
    return { path: o.path, target: o.target, kind: o.kind };
  });
  if (!Array.isArray(h.warnings)) fail('warnings missing');
  const warnings: DeltaWarning[] = h.warnings.map((w: unknown) => {
    const o = w as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || !isStr(o.code) || !isStr(o.message) || (o.path !== undefined && !isStr(o.path))) fail('bad warning record');
    return { code: o.code, message: o.message, ...(isStr(o.path) ? { path: o.path } : {}) };
  });
  if (!Array.isArray(h.unread)) fail('unread missing');
  const unread: DeltaUnread[] = h.unread.map((u: unknown) => {
    const o = u as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || !isStr(o.path) || !isNat(o.size) || !isStr(o.reason) || (o.code !== 'too-large' && o.code !== 'unreadable')) fail('bad unread record');
    return { path: o.path, size: o.size, wanters: strings(o.wanters, 'unread wanters'), code: o.code, reason: o.reason };
  });
  return {
    files,
    whiteouts: strings(h.whiteouts, 'whiteouts'),
    opaqueDirs: strings(h.opaqueDirs, 'opaqueDirs'),
    links,
    dropped: strings(h.dropped, 'dropped'),
    shadowed,
    warnings,
    unread,
    dirs,
  };
}

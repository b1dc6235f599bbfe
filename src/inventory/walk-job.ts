// What the walker's main thread and its worker threads (walk-worker.ts, walk-pool.ts) say to each
// other, and the one set of wanters a worker can rebuild: a worker cannot receive functions, so it
// walks only with the registry's own catalogers, checked by name and version on both sides.
import type { LayerFileSource } from '../model/image.js';
import type { LayerDelta } from './layer-delta.js';
import type { Redirect } from './link-targets.js';
import { osDetector } from './os-detect.js';
import { CATALOGERS } from './registry.js';
import type { FileWanter } from './walk-layer.js';

/** The wanters a worker walks with: what inventoryImage passes by default, in its order. */
export function registryWanters(): FileWanter[] {
  return [osDetector, ...CATALOGERS];
}

/** Names and versions, in order: the worker refuses a job whose list differs from its own. */
export function wanterSignature(wanters: readonly FileWanter[]): string {
  return wanters.map((w) => `${w.name}@${w.version ?? 0}`).join(',');
}

/** Whether `wanters` are the very objects registryWanters() gives (so a worker's copy is the same code). */
export function areRegistryWanters(wanters: readonly FileWanter[]): boolean {
  const own = registryWanters();
  return own.length === wanters.length && own.every((w, i) => w === wanters[i]);
}

export interface WalkJob {
  id: number;
  source: LayerFileSource;
  /** The layer in walkLayer's errors (`layer 2 (sha256:…)`). */
  walkLabel: string;
  wanters: string;
  /** Second pass: the link redirects whose names files are also wanted under. */
  redirects?: Redirect[];
}

export type WalkReply =
  | { id: number; delta: LayerDelta }
  | { id: number; error: { image: boolean; message: string; subject?: string } }
  /** The worker's wanters are not the job's: the layer is walked on the main thread instead. */
  | { id: number; mismatch: true };

/**
 * Buffers arrive from a worker as plain Uint8Arrays: made Buffers again, over the same memory.
 */
export function revivedDelta(delta: LayerDelta): LayerDelta {
  const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  for (const f of delta.files) {
    f.data = buf(f.data);
    if (f.distilled) for (const k of Object.keys(f.distilled)) f.distilled[k] = buf(f.distilled[k]!);
  }
  return delta;
}

/** Raw captures at least this large move to the main thread without a copy (transferred). */
const TRANSFER_MIN = 64 * 1024;

/**
 * The memory a delta's message can move instead of copying: the raw captures that own their whole
 * ArrayBuffer (each was allocated for that one file; nothing else in the worker points into it).
 */
export function transferables(delta: LayerDelta): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const f of delta.files) {
    const d = f.data;
    if (d.byteLength >= TRANSFER_MIN && d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && d.buffer instanceof ArrayBuffer) out.add(d.buffer);
  }
  return [...out];
}

// The merged view of wanted files and links, built by applying LayerDeltas in layer order.
import type { LayerRef } from '../model/package.js';
import type { CapturedFile, LayerDelta, LinkEntry } from './layer-delta.js';
import { clampJoin, parentOf, pathHash, usrMergeAliases } from './paths.js';

export const MAX_LINK_HOPS = 40;

export interface FsFile extends CapturedFile {
  layer: LayerRef;
}

export interface FsLink extends LinkEntry {
  layer: LayerRef;
}

export type Resolution = { ok: true; path: string } | { ok: false; reason: 'loop' | 'missing' };

/** A name a file can be read under (its own, a /usr-merge alias, a link to it) and the file's path. */
export interface ReachableName {
  path: string;
  real: string;
  size: number;
}

/** Every readable name of the view, and links that loop; what each cataloger's view filters. */
export interface Reachability {
  names: ReachableName[];
  loops: FsLink[];
}

export class WantedFs {
  readonly files = new Map<string, FsFile>();
  readonly links = new Map<string, FsLink>();
  /** Resolved once per state of the view, not once per cataloger asking (cleared by apply). */
  private reachability?: Reachability;

  /** Applies one layer: removals (opaque dirs, whiteouts, dropped) first, then its writes. */
  apply(delta: LayerDelta, layer: LayerRef): void {
    this.reachability = undefined;
    const hidden = new Set(delta.whiteouts);
    const opaque = new Set(delta.opaqueDirs);
    const removed = (path: string): boolean => {
      for (let p = path; ; p = parentOf(p)) {
        if (hidden.has(p)) return true;
        if (p !== path && opaque.has(p)) return true;
        if (p === '/') return false;
      }
    };
    if (hidden.size > 0 || opaque.size > 0) {
      for (const k of [...this.files.keys()]) if (removed(k)) this.files.delete(k);
      for (const k of [...this.links.keys()]) if (removed(k)) this.links.delete(k);
    }
    for (const p of delta.dropped) {
      this.files.delete(p);
      this.links.delete(p);
    }
    if (delta.shadowed.length > 0) {
      for (const map of [this.files, this.links]) {
        for (const k of [...map.keys()]) if (sortedHas(delta.shadowed, pathHash(k))) map.delete(k);
      }
    }
    for (const f of delta.files) {
      this.links.delete(f.path);
      this.files.set(f.path, { ...f, layer });
    }
    for (const l of delta.links) {
      this.files.delete(l.path);
      this.links.set(l.path, { ...l, layer });
    }
  }

  /**
   * Resolves `path` through symlinks (in any component) and hard links, inside the root only:
   * `..` clamps at `/`, absolute link targets are taken relative to the image root.
   */
  resolve(path: string): Resolution {
    let hops = 0;
    let pending = path.split('/').filter((s) => s !== '');
    let cur = '/';
    while (pending.length > 0) {
      const seg = pending.shift() as string;
      if (seg === '.') continue;
      if (seg === '..') {
        cur = parentOf(cur);
        continue;
      }
      const next = cur === '/' ? `/${seg}` : `${cur}/${seg}`;
      const link = this.links.get(next);
      if (!link) {
        cur = next;
        continue;
      }
      if (++hops > MAX_LINK_HOPS) return { ok: false, reason: 'loop' };
      const target = link.kind === 'hardlink' ? link.target : clampJoin(cur, link.target);
      pending = [...target.split('/').filter((s) => s !== ''), ...pending];
      cur = '/';
    }
    return this.files.has(cur) ? { ok: true, path: cur } : { ok: false, reason: 'missing' };
  }

  /**
   * Names in map order (files, their /usr-merge aliases, then links), each resolved through the
   * view: a file whose parent directory later became a symlink is no longer reachable under its
   * name, and an alias or link counts only when it leads to a captured file.
   */
  reachable(): Reachability {
    if (this.reachability) return this.reachability;
    const names: ReachableName[] = [];
    const loops: FsLink[] = [];
    for (const [path, f] of this.files) {
      const r = this.resolve(path);
      if (r.ok && r.path === path) names.push({ path, real: path, size: f.size });
      for (const alias of usrMergeAliases(path)) {
        const a = this.resolve(alias);
        if (a.ok && a.path === path) names.push({ path: alias, real: path, size: f.size });
      }
    }
    for (const link of this.links.values()) {
      const r = this.resolve(link.path);
      if (r.ok) names.push({ path: link.path, real: r.path, size: this.files.get(r.path)?.size ?? 0 });
      else if (r.reason === 'loop') loops.push(link);
    }
    return (this.reachability = { names, loops });
  }
}

function sortedHas(sorted: readonly number[], x: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === x) return true;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

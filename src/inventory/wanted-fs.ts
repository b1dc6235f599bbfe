// The merged view of wanted files and links, built by applying LayerDeltas in layer order.
import type { LayerRef } from '../model/package.js';
import type { CapturedFile, DeltaUnread, LayerDelta, LinkEntry } from './layer-delta.js';
import { clampJoin, parentOf, pathHash, sortedHas, usrMergeAliases } from './paths.js';

export const MAX_LINK_HOPS = 40;
/** Names one file is looked up under at most (its own, aliases, through symlinked directories). */
const MAX_NAMES = 16;

export interface FsFile extends CapturedFile {
  layer: LayerRef;
}

export interface FsLink extends LinkEntry {
  layer: LayerRef;
}

/** A wanted file of the view that exists but could not be captured (over its size limit). */
export interface FsUnread extends DeltaUnread {
  layer: LayerRef;
}

/**
 * Where a name leads. `missing`/`unread`: `path` is where the walk ended (the real path a link
 * leads to that holds no captured file, or a hard link's target that was not captured when the
 * link was made: `hardlink`).
 */
export type Resolution =
  | { ok: true; path: string }
  | { ok: false; reason: 'loop' }
  | { ok: false; reason: 'missing' | 'unread'; path: string; hardlink?: true };

/** A name a file can be read under (its own, a /usr-merge alias, a link to it) and the file's path. */
export interface ReachableName {
  path: string;
  real: string;
  size: number;
  /** Set when the name leads to a file that exists but was not read. */
  unread?: FsUnread;
}

/** A link whose name leads to nothing captured (its target was not wanted, or is not in the image). */
export interface DanglingLink {
  link: FsLink;
  /** The real path the link leads to (through every link on the way), or a hard link's target. */
  real: string;
  hardlink: boolean;
}

/** Every readable name of the view, links that loop or lead nowhere; what each cataloger's view filters. */
export interface Reachability {
  names: ReachableName[];
  loops: FsLink[];
  dangling: DanglingLink[];
}

export class WantedFs {
  readonly files = new Map<string, FsFile>();
  readonly links = new Map<string, FsLink>();
  /** Wanted files that exist in this state but were not captured (too large). */
  readonly unread = new Map<string, FsUnread>();
  /** Resolved once per state of the view, not once per cataloger asking (cleared by apply). */
  private reachability?: Reachability;
  /** Directories resolved in this state of the view (cleared by apply): most names share a few. */
  private dirs = new Map<string, Resolution>();

  /** Applies one layer: removals (opaque dirs, whiteouts, dropped) first, then its writes. */
  apply(delta: LayerDelta, layer: LayerRef): void {
    this.reachability = undefined;
    this.dirs.clear();
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
      for (const map of [this.files, this.links, this.unread]) {
        for (const k of [...map.keys()]) if (removed(k)) map.delete(k);
      }
    }
    for (const p of delta.dropped) {
      this.files.delete(p);
      this.links.delete(p);
      this.unread.delete(p);
    }
    if (delta.shadowed.length > 0) {
      for (const map of [this.files, this.links, this.unread]) {
        for (const k of [...map.keys()]) if (sortedHas(delta.shadowed, pathHash(k))) map.delete(k);
      }
    }
    for (const f of delta.files) {
      this.links.delete(f.path);
      this.unread.delete(f.path);
      this.files.set(f.path, { ...f, layer });
    }
    // After the files: a file can be captured for one wanter and too large for another.
    for (const u of delta.unread) this.unread.set(u.path, { ...u, layer });
    for (const l of delta.links) {
      this.files.delete(l.path);
      this.unread.delete(l.path);
      // A hard link is the target's inode as it was when the link was made: the same layer's
      // earlier entry, or what the layers below hold. It becomes a file of its own here, so a later
      // layer replacing or removing the target does not change it (as in the running container).
      if (l.kind === 'hardlink') {
        const f = this.files.get(l.target);
        const u = this.unread.get(l.target);
        if (f) this.files.set(l.path, { ...f, path: l.path, layer });
        if (u) this.unread.set(l.path, { ...u, path: l.path, layer });
        if (f || u) {
          this.links.delete(l.path);
          continue;
        }
      }
      this.links.set(l.path, { ...l, layer });
    }
  }

  /**
   * Resolves `path` through symlinks (in any component) and hard links, inside the root only:
   * `..` clamps at `/`, absolute link targets are taken relative to the image root.
   */
  resolve(path: string): Resolution {
    // Fast path: the directory resolved once (memoised), then a last component that is no link.
    // Anything else (a link at the end, a loop, a hard link or a file on the way) takes the
    // component-by-component walk below, which decides every case; the results are the same.
    const slash = path.lastIndexOf('/');
    if (slash >= 0 && slash < path.length - 1) {
      const dir = slash === 0 ? '/' : path.slice(0, slash);
      let d = this.dirs.get(dir);
      if (!d) {
        d = dir === '/' ? { ok: false, reason: 'missing', path: '/' } : this.resolveWalk(dir);
        this.dirs.set(dir, d);
      }
      if (!d.ok && d.reason === 'missing' && !d.hardlink) {
        const base = path.slice(slash + 1);
        if (base !== '.' && base !== '..') {
          const full = d.path === '/' ? `/${base}` : `${d.path}/${base}`;
          if (!this.links.has(full)) {
            if (this.files.has(full)) return { ok: true, path: full };
            return { ok: false, reason: this.unread.has(full) ? 'unread' : 'missing', path: full };
          }
        }
      }
    }
    return this.resolveWalk(path);
  }

  private resolveWalk(path: string): Resolution {
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
      // A hard link still here had no captured target when it was made: it leads to nothing read.
      if (link.kind === 'hardlink') return { ok: false, reason: 'missing', path: link.target, hardlink: true };
      const target = clampJoin(cur, link.target);
      pending = [...target.split('/').filter((s) => s !== ''), ...pending];
      cur = '/';
    }
    if (this.files.has(cur)) return { ok: true, path: cur };
    return { ok: false, reason: this.unread.has(cur) ? 'unread' : 'missing', path: cur };
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
    const dangling: DanglingLink[] = [];
    for (const link of this.links.values()) {
      const r = this.resolve(link.path);
      if (r.ok) {
        names.push({ path: link.path, real: r.path, size: this.files.get(r.path)?.size ?? 0 });
        // Read for one wanter, too large for another.
        const u = this.unread.get(r.path);
        if (u) names.push({ path: link.path, real: r.path, size: u.size, unread: u });
      } else if (r.reason === 'loop') loops.push(link);
      else if (r.reason === 'unread') {
        const u = this.unread.get(r.path) as FsUnread;
        names.push({ path: link.path, real: r.path, size: u.size, unread: u });
      } else dangling.push({ link, real: r.path, hardlink: r.hardlink === true });
    }
    // Symlinked directories: a file below the directory a link leads to is also named through the
    // link (`/var/lib/dpkg -> /data/dpkg` names `/data/dpkg/status` `/var/lib/dpkg/status`).
    const dirLinks = new Map<string, FsLink[]>();
    for (const d of dangling) {
      if (d.hardlink) continue;
      const list = dirLinks.get(d.real);
      if (list) list.push(d.link);
      else dirLinks.set(d.real, [d.link]);
    }
    const namesOf = (path: string): string[] => {
      const out = [path, ...usrMergeAliases(path)];
      if (dirLinks.size === 0) return out;
      // Breadth-first over link names (a link inside a linked directory), bounded per file.
      for (let i = 0; i < out.length && out.length < MAX_NAMES; i++) {
        const name = out[i]!;
        for (let dir = parentOf(name); dir !== '/'; dir = parentOf(dir)) {
          for (const l of dirLinks.get(dir) ?? []) {
            if (out.length >= MAX_NAMES) return out;
            const alias = l.path + name.slice(dir.length);
            if (!out.includes(alias)) out.push(alias);
          }
        }
      }
      return out;
    };
    for (const [path, f] of this.files) {
      for (const name of namesOf(path)) {
        const r = this.resolve(name);
        if (r.ok && r.path === path) names.push({ path: name, real: path, size: f.size });
      }
    }
    for (const [path, u] of this.unread) {
      for (const name of namesOf(path)) {
        const r = this.resolve(name);
        const at = r.ok || r.reason === 'unread' ? r.path : undefined;
        if (at === path) names.push({ path: name, real: path, size: u.size, unread: u });
      }
    }
    return (this.reachability = { names, loops, dangling });
  }
}

// Links that lead a wanted name to a file nobody asked for. The first pass captures files by their
// own path only, so `/var/lib/dpkg/status` as a hard link to `/opt/x`, or `/var/lib/dpkg` as a
// symlink to `/data/dpkg`, leave the dpkg db unread. This module finds such names in a state of
// the view (the walker collects them after every layer) and says which real paths to capture under
// which names in a second, targeted read (walker.ts).
import { DEFAULT_MAX_FILE_SIZE, type AlsoWantedAs, type FileWanter } from './walk-layer.js';
import { parentOf, pathHash, sortedHas, usrMergeAliases } from './paths.js';
import type { WantedFs } from './wanted-fs.js';

/** Capture `real` (a file, or with `dir` every file below that directory) also as `name`. */
export interface Redirect {
  real: string;
  name: string;
  dir: boolean;
}

// Sizes at which a link's name is tried: wants() of the catalogers that take files by name depend on
// the size only as a bound. The link's target size is not known before it is read.
const PROBE_SIZES = [0, 4096, 1024 * 1024];

function wantsAs(w: FileWanter, path: string, size: number): boolean {
  return w.wants(path, size) || usrMergeAliases(path).some((a) => w.wants(a, size));
}

/** wantsAs with the path's aliases computed once by the caller (the probes ask many wanters at many sizes). */
function wantsUnder(w: FileWanter, path: string, aliases: readonly string[], size: number): boolean {
  if (w.wants(path, size)) return true;
  for (const a of aliases) if (w.wants(a, size)) return true;
  return false;
}

/** Whether `w` takes a file named `name` but not the same file at `real`, at one of the probe sizes. */
function onlyThroughLink(w: FileWanter, name: string, nameAliases: readonly string[], real: string, realAliases: readonly string[]): boolean {
  if (w.sniff) return false;
  const max = w.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  for (const s of PROBE_SIZES) {
    if (s <= max && wantsUnder(w, name, nameAliases, s) && !wantsUnder(w, real, realAliases, s)) return true;
  }
  return false;
}

/**
 * The wanters that would take a file named `name` (a link) but not the same file at `real`, its
 * target: for them the link is the only way to the file. Wanters with sniff() (executables) are
 * left out: they take files by content wherever they are, so the target is theirs under its own
 * path already.
 */
export function wantedOnlyThroughLink(wanters: readonly FileWanter[], name: string, real: string): FileWanter[] {
  const nameAliases = usrMergeAliases(name);
  const realAliases = usrMergeAliases(real);
  return wanters.filter((w) => onlyThroughLink(w, name, nameAliases, real, realAliases));
}

/** Whether any wanter would (wantedOnlyThroughLink(…).length > 0, stopping at the first). */
function anyWantedOnlyThroughLink(wanters: readonly FileWanter[], name: string, real: string): boolean {
  const nameAliases = usrMergeAliases(name);
  const realAliases = usrMergeAliases(real);
  return wanters.some((w) => onlyThroughLink(w, name, nameAliases, real, realAliases));
}

/**
 * Answers of LinkTargets' probes, by probe key. Each is a function of the wanters' code and the two
 * paths alone, never of an image: answers a walk made with the same code (the memo of another image,
 * memo.ts) are this walk's answers too. Probing costs more than it should in a short run: the
 * wanters' code is cold, ~20-40 ms for the ~650 links of a Debian base against ~3 ms warm.
 */
export type LinkProbes = ReadonlyMap<string, boolean>;

/** The key of the probe "does a wanter take the file at `real` only under the link `name`". */
export const linkProbeKey = (name: string, real: string): string => `${name}\u0000${real}`;

/** Collects the redirects the states of a view need; `probe` results are memoised per (name, real). */
export class LinkTargets {
  private readonly found = new Map<string, Redirect>();
  private readonly probed: Map<string, boolean>;

  /** `known`: answers given (LinkProbes); a probe not among them is asked of the wanters. */
  constructor(private readonly wanters: readonly FileWanter[], known?: LinkProbes) {
    this.probed = new Map(known);
  }

  /** Every answer known now: given ones and those probed. */
  probes(): LinkProbes {
    return this.probed;
  }

  get size(): number {
    return this.found.size;
  }

  list(): Redirect[] {
    return [...this.found.values()].sort((a, b) => (a.real < b.real ? -1 : a.real > b.real ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private add(r: Redirect): void {
    this.found.set(`${r.dir ? 'd' : 'f'}\u0000${r.real}\u0000${r.name}`, r);
  }

  private wanted(name: string, real: string): boolean {
    const key = linkProbeKey(name, real);
    let v = this.probed.get(key);
    if (v === undefined) {
      v = anyWantedOnlyThroughLink(this.wanters, name, real);
      this.probed.set(key, v);
    }
    return v;
  }

  /** Whether a wanter takes a probe path below directory `name` but not the same below `real`. */
  private wantedBelow(name: string, real: string): boolean {
    const key = `d\u0000${linkProbeKey(name, real)}`;
    let v = this.probed.get(key);
    if (v === undefined) {
      const below = `${name}/`;
      // redirectConcerns(w, {real, name, dir: true}) for the wanters that do not anchor `name/`.
      v = this.wanters.some((w) => !w.sniff && !w.anchors?.includes(below) && probedOnlyBelowLink(w, name, real));
      this.probed.set(key, v);
    }
    return v;
  }

  /** Looks at one state of the view (after a layer was applied). */
  observe(fs: WantedFs): void {
    for (const d of fs.reachable().dangling) {
      if (!this.wanted(d.link.path, d.real)) continue;
      this.add({ real: d.real, name: d.link.path, dir: false });
      // A hard link to a hard link that was itself never captured: the chain's end holds the bytes.
      let t = d.real;
      for (let hops = 0; hops < 40; hops++) {
        const next = fs.links.get(t);
        if (!next || next.kind !== 'hardlink') break;
        t = next.target;
        this.add({ real: t, name: d.link.path, dir: false });
      }
    }
    // Symlinked directories whose name is what makes the files below them wanted
    // (`/app/node_modules -> /cache/nm`): read the target's files under the link's name.
    for (const d of fs.reachable().dangling) {
      if (d.hardlink || d.real === '/') continue;
      if (this.wantedBelow(d.link.path, d.real)) this.add({ real: d.real, name: d.link.path, dir: true });
    }
    // Locations a wanter asks for by exact path: a link on the way (a directory of it that is a
    // symlink) moves the file to a path nobody asked for.
    for (const w of this.wanters) {
      for (const anchor of w.anchors ?? []) {
        const dir = anchor.endsWith('/');
        const base = dir ? anchor.slice(0, -1) : anchor;
        const r = fs.resolve(base);
        if (r.ok || r.reason === 'loop' || r.reason === 'unread' || r.path === base) continue;
        if (r.hardlink) continue; // a dangling hard link: found above
        // Files under /usr/lib are already asked for as /lib/… (the walker's usr-merge alias).
        if (usrMergeAliases(`${r.path}/x`)[0] === `${base}/x`) continue;
        // Where the link leads is itself wanted (`/var/lib/rpm -> ../../usr/lib/sysimage/rpm`):
        // the file would have been captured there; it does not exist.
        if (dir ? w.anchors?.includes(`${r.path}/`) : wantedOnlyThroughLink([w], base, r.path).length === 0) continue;
        this.add({ real: r.path, name: base, dir });
      }
    }
  }
}

/** Whether `w` is among the wanters a redirect was made for (what a missed redirect leaves unread). */
export function redirectConcerns(w: FileWanter, r: Redirect): boolean {
  if (w.sniff) return false;
  if (!r.dir) return wantedOnlyThroughLink([w], r.name, r.real).length > 0;
  if (w.anchors?.includes(`${r.name}/`)) return true;
  return probedOnlyBelowLink(w, r.name, r.real);
}

/** Whether one of `w`'s linkProbes is wanted below directory `name` but not below `real`. */
function probedOnlyBelowLink(w: FileWanter, name: string, real: string): boolean {
  if (!w.linkProbes) return false;
  const size = PROBE_SIZES[1]!;
  for (const p of w.linkProbes) if (wantsAs(w, `${name}/${p}`, size) && !wantsAs(w, `${real}/${p}`, size)) return true;
  return false;
}

/** The extra names of a file in the second pass: for each redirect that covers its path. */
export function alsoWantedAs(redirects: readonly Redirect[]): AlsoWantedAs {
  const exact = new Map<string, string[]>();
  const dirs: Redirect[] = [];
  for (const r of redirects) {
    if (r.dir) dirs.push(r);
    else {
      const list = exact.get(r.real);
      if (list) list.push(r.name);
      else exact.set(r.real, [r.name]);
    }
  }
  return (path) => {
    const names = exact.get(path) ?? [];
    if (dirs.length === 0) return names;
    const out = [...names];
    for (const d of dirs) if (path.startsWith(`${d.real}/`)) out.push(d.name + path.slice(d.real.length));
    return out;
  };
}

/**
 * Whether a layer may hold a file a redirect asks for, from its delta's directory hashes: the
 * target's directory (or, for a directory redirect, the directory itself) holds a file there.
 */
export function layerMayHold(dirs: readonly number[], redirects: readonly Redirect[]): boolean {
  for (const r of redirects) if (sortedHas(dirs, pathHash(r.dir ? r.real : parentOf(r.real)))) return true;
  return false;
}

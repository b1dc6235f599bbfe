// Path handling for tar entry names and link targets. Everything is an absolute, normalised POSIX
// path inside the image root.

/**
 * Normalises a tar entry name to an absolute path. Returns undefined when `..` would climb above the
 * root: such an entry escapes the image and the layer is rejected.
 */
export function normaliseEntryName(name: string): string | undefined {
  // Most names are clean already (`./usr/bin/x`, `usr/lib/`): only their leading `.` and trailing
  // `/` differ from the result, which is then a slice of the name (no array, no join per entry).
  const n = name.length;
  const start = n >= 2 && name.charCodeAt(0) === DOT && name.charCodeAt(1) === SLASH ? 1 : 0;
  const end = n > start + 1 && name.charCodeAt(n - 1) === SLASH ? n - 1 : n;
  const rooted = name.charCodeAt(start) === SLASH;
  if (cleanSegments(name, rooted ? start + 1 : start, end)) {
    const body = start === 0 && end === n ? name : name.slice(start, end);
    return rooted ? body : `/${body}`;
  }
  return normaliseSlowly(name);
}

const DOT = 0x2e;
const SLASH = 0x2f;

/** Whether name[from, end) is `/`-separated segments none of which is empty, `.` or `..`. */
function cleanSegments(name: string, from: number, end: number): boolean {
  let seg = from;
  for (let i = from; i <= end; i++) {
    if (i < end && name.charCodeAt(i) !== SLASH) continue;
    const len = i - seg;
    if (len === 0) return false;
    if (name.charCodeAt(seg) === DOT && (len === 1 || (len === 2 && name.charCodeAt(seg + 1) === DOT))) return false;
    seg = i + 1;
  }
  return true;
}

/** The general case: segments split, `.` and empty ones dropped, `..` applied (tests check the fast path against it). */
export function normaliseSlowly(name: string): string | undefined {
  const parts: string[] = [];
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
      continue;
    }
    parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

/** Joins and normalises, clamping `..` at the root (how a kernel resolves inside a chroot). */
export function clampJoin(base: string, rel: string): string {
  const parts: string[] = [];
  const all = rel.startsWith('/') ? rel : `${base}/${rel}`;
  for (const seg of all.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

// usr-merged systems reach /lib, /bin… through symlinks into /usr. A file stored at /usr/lib/X is
// also asked for under /lib/X, so catalogers that name the traditional path still get it captured.
const USR_MERGED = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

const USR_MERGED_PREFIXES = USR_MERGED.map((d) => `/usr/${d}/`);

const NO_ALIASES: readonly string[] = Object.freeze([]);

/** The other names a path commonly has on a usr-merged system (may be empty). */
export function usrMergeAliases(path: string): readonly string[] {
  // Asked for every tar entry and every link probe: most paths are not under /usr at all, and
  // they share one empty answer (no array allocated per call).
  if (!path.startsWith('/usr/')) return NO_ALIASES;
  for (const prefix of USR_MERGED_PREFIXES) {
    if (path.startsWith(prefix)) return [path.slice(4)];
  }
  return NO_ALIASES;
}

/**
 * A 53-bit hash of a path (two FNV-1a 32-bit hashes), safe as a JS number: the walker records the
 * paths that only shadow earlier captures this way, 8 bytes each, however many files a layer has.
 */
export function pathHash(path: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x9e3779b9;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

/** Whether an ascending array of path hashes holds `x` (binary search). */
export function sortedHas(sorted: readonly number[], x: number): boolean {
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

// Turns the merged view into the WalkedFile list one cataloger sees: its wanted files, including
// wanted paths reached through symlinks (files or directories) whose target was captured.
import type { ScanWarning } from '../model/warning.js';
import type { WalkedFile } from './cataloger.js';
import { linkProbeKey, wantedOnlyThroughLink, type LinkProbes } from './link-targets.js';
import { SNIFF_BYTES, type FileWanter } from './walk-layer.js';
import type { FsFile, WantedFs } from './wanted-fs.js';

/** What `wanter` sees of a captured file: its distilled form, or the file; undefined: not its. */
function dataFor(f: FsFile, wanter: FileWanter): { data: Buffer; distilled: boolean } | undefined {
  if (wanter.distill) {
    const d = f.distilled?.[wanter.name];
    return d ? { data: d, distilled: true } : undefined;
  }
  // Kept for another wanter but refused by this one's magic test.
  if (wanter.sniff && !wanter.sniff(f.path, f.data.subarray(0, SNIFF_BYTES))) return undefined;
  return { data: f.data, distilled: false };
}

export function filesFor(fs: WantedFs, wanter: FileWanter, warn?: (w: ScanWarning) => void): WalkedFile[] {
  const out = new Map<string, WalkedFile>();
  const emit = (path: string, real: string) => {
    const f = fs.files.get(real);
    if (!f || out.has(path)) return;
    const d = dataFor(f, wanter);
    if (!d) return;
    out.set(path, { path, layer: f.layer, size: f.size, mode: f.mode, data: d.data, ...(d.distilled ? { distilled: true } : {}) });
  };
  const { names, loops } = fs.reachable();
  for (const n of names) if (wanter.wants(n.path, n.size)) emit(n.path, n.real);
  for (const link of loops) {
    if (wanter.wants(link.path, 0)) {
      warn?.({
        code: 'walker.link-loop',
        message: `${link.path}: more than 40 symlink hops resolving it (a loop); not read`,
        path: link.path,
        layer: link.layer.index,
      });
    }
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A name a wanter asks for that exists in the view but could not be read. */
export interface UnreadName {
  path: string;
  code: 'too-large' | 'unreadable' | 'link';
  /** One line, never file content. */
  reason: string;
  layer: number;
}

/**
 * The names `wanter` asks for that the view could not give it: files over its size limit (under
 * their own name or a link's), links that lead to no readable file (their target is not in the
 * image, or a hard link whose target was not there when it was made), and symlink loops.
 * `probes`: the walk's link probe answers (LinkProbes), which spare asking this wanter again.
 */
export function unreadFor(fs: WantedFs, wanter: FileWanter, probes?: LinkProbes): UnreadName[] {
  const out = new Map<string, UnreadName>();
  const { names, loops, dangling } = fs.reachable();
  for (const n of names) {
    const u = n.unread;
    if (!u || !u.wanters.includes(wanter.name) || out.has(n.path) || !wanter.wants(n.path, n.size)) continue;
    const via = n.path === u.path ? '' : ` (through a link to ${u.path})`;
    out.set(n.path, { path: n.path, code: u.code, reason: `${u.reason}${via}`, layer: u.layer.index });
  }
  for (const d of dangling) {
    if (out.has(d.link.path)) continue;
    // The walk asked every wanter already: a link no wanter takes only through is none of this one's.
    if (probes?.get(linkProbeKey(d.link.path, d.real)) === false || wantedOnlyThroughLink([wanter], d.link.path, d.real).length === 0) continue;
    const reason = d.hardlink
      ? `hard link to ${d.real}, which held no readable file when the link was made`
      : `symbolic link to ${d.real}, where there is no readable file`;
    out.set(d.link.path, { path: d.link.path, code: 'link', reason, layer: d.link.layer.index });
  }
  for (const l of loops) {
    if (out.has(l.path) || !wanter.wants(l.path, 0)) continue;
    out.set(l.path, { path: l.path, code: 'link', reason: `more than 40 symbolic link hops (a loop)`, layer: l.layer.index });
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

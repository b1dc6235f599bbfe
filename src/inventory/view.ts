// Turns the merged view into the WalkedFile list one cataloger sees: its wanted files, including
// wanted paths reached through symlinks (files or directories) whose target was captured.
import type { ScanWarning } from '../model/warning.js';
import type { WalkedFile } from './cataloger.js';
import { usrMergeAliases } from './paths.js';
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
  for (const [path, f] of fs.files) {
    const r = fs.resolve(path);
    // A file whose parent directory later became a symlink is no longer reachable under its name.
    if (r.ok && r.path === path && wanter.wants(path, f.size)) emit(path, path);
    for (const alias of usrMergeAliases(path)) {
      const a = fs.resolve(alias);
      if (a.ok && a.path === path && wanter.wants(alias, f.size)) emit(alias, path);
    }
  }
  for (const [path, link] of fs.links) {
    const r = fs.resolve(path);
    if (r.ok) {
      const size = fs.files.get(r.path)?.size ?? 0;
      if (wanter.wants(path, size)) emit(path, r.path);
    } else if (r.reason === 'loop' && wanter.wants(path, 0)) {
      warn?.({
        code: 'walker.link-loop',
        message: `${path}: more than 40 symlink hops resolving it (a loop); not read`,
        path,
        layer: link.layer.index,
      });
    }
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

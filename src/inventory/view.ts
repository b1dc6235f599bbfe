// Turns the merged view into the WalkedFile list one cataloger sees: its wanted files, including
// wanted paths reached through symlinks (files or directories) whose target was captured.
import type { ScanWarning } from '../model/warning.js';
import type { WalkedFile } from './cataloger.js';
import { usrMergeAliases } from './paths.js';
import type { FileWanter } from './walk-layer.js';
import type { WantedFs } from './wanted-fs.js';

export function filesFor(fs: WantedFs, wanter: FileWanter, warn?: (w: ScanWarning) => void): WalkedFile[] {
  const out = new Map<string, WalkedFile>();
  const emit = (path: string, real: string) => {
    const f = fs.files.get(real);
    if (!f || out.has(path)) return;
    out.set(path, { path, layer: f.layer, size: f.size, mode: f.mode, data: f.data });
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

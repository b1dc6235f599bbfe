// Turns the merged view into the WalkedFile list one cataloger sees: its wanted files, including
// wanted paths reached through symlinks (files or directories) whose target was captured.
import type { ScanWarning } from '../model/warning.js';
import type { WalkedFile } from './cataloger.js';
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

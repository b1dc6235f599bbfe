// Reading a local cache directory's entries as a user of the directory could: each entry file's key
// (entry.ts layout: the key follows the 52-byte header), to tell layer deltas from inventory memos.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface EntryFile {
  path: string;
  key: string;
  bytes: Buffer;
}

export function entryFiles(dir: string): EntryFile[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.pclc'))
    .map((n) => {
      const bytes = readFileSync(join(dir, n));
      return { path: join(dir, n), key: bytes.subarray(52, 52 + bytes.readUInt32BE(8)).toString('utf8'), bytes };
    });
}

/** Whole-image inventory memos (src/inventory/memo.ts) are keyed `inventory/v…`; layer deltas `layer-delta/v…`. */
export const isMemoKey = (key: string): boolean => key.startsWith('inventory/');

/** Removes the directory's inventory memos, so the next scan takes the layer-delta path; returns how many. */
export function dropMemos(dir: string): number {
  const memos = entryFiles(dir).filter((e) => isMemoKey(e.key));
  for (const m of memos) rmSync(m.path);
  return memos.length;
}

// Every regular file under a directory on disk, with the path it gets in an image under `prefix`.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export function walkDir(root: string, prefix: string, out: { disk: string; image: string }[] = [], rel = ''): { disk: string; image: string }[] {
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) walkDir(root, prefix, out, r);
    else if (e.isFile()) out.push({ disk: join(root, r), image: `${prefix}/${r}` });
  }
  return out;
}

// A fingerprint of the code that is running: a hash of every source file of this build. A cached
// result that depends on how our code parses (the whole-image inventory memo) is keyed by it, so
// any change of the code — a new release, a local edit, a rebuilt bundle — is a miss, without
// anyone remembering to bump a version. Computed once per process.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CODE = /\.(js|mjs|cjs|ts)$/;
const NOT_CODE = /\.d\.ts$/;

/**
 * Where this build's code is: the bundle's directory (dist/cli-bundle: every chunk lies beside
 * this one), or the root of a per-file build (dist/ from tsc, or src/ under tsx), this file
 * being in its util/ directory.
 */
function codeRoot(): { root: string; perFile: boolean } {
  const here = dirname(fileURLToPath(import.meta.url));
  return basename(here) === 'util' ? { root: dirname(here), perFile: true } : { root: here, perFile: false };
}

function codeFiles(dir: string, skipBundle: boolean, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      // A per-file build's tree also holds the bundle made from the same sources.
      if (!(skipBundle && e.name === 'cli-bundle') && e.name !== 'node_modules') codeFiles(p, skipBundle, out);
    } else if (e.isFile() && CODE.test(e.name) && !NOT_CODE.test(e.name)) out.push(p);
  }
}

let cached: string | undefined;

/** Hex SHA-256 over this build's code files (path and content) and, per-file, the package manifests. */
export function codeFingerprint(): string {
  if (cached) return cached;
  const { root, perFile } = codeRoot();
  const files: string[] = [];
  codeFiles(root, perFile, files);
  // A per-file build loads its dependencies from node_modules: their versions are in these.
  if (perFile) for (const m of ['package.json', 'package-lock.json']) files.push(join(dirname(root), m));
  files.sort();
  const h = createHash('sha256');
  for (const f of files) {
    let data: Buffer;
    try {
      data = readFileSync(f);
    } catch {
      continue; // a manifest that is not there (an installed package has no lock file)
    }
    h.update(`${f.slice(root.length)}\u0000${data.length}\u0000`).update(data);
  }
  cached = h.digest('hex');
  return cached;
}

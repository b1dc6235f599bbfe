// A fingerprint of the code that is running: a hash of every code file's name, size and
// modification time in this build. A cached result that depends on how our code parses (the
// whole-image inventory memo) is keyed by it, so any change of the code — a new release, a local
// edit, a rebuilt bundle — is a miss, without anyone remembering to bump a version. Metadata, not
// content: reading and hashing the ~3 MB of code cost 30-50 ms a run, stat ~1-3 ms (the tool
// version is in the memo key too, for installs whose times npm normalised). The bundle carries its
// own, made from its chunks' content when it was built (scripts/bundle-cli.mjs). Once per process.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
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

/** The id the bundle build wrote beside its chunks; undefined when there is none (then they are looked at). */
function bundleBuildId(dir: string): string | undefined {
  try {
    const id = readFileSync(join(dir, 'build-id'), 'utf8').trim();
    return /^[0-9a-f]{64}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Hex SHA-256 over this build's code files (path, size, mtime) and, per-file, the package manifests. */
export function codeFingerprint(): string {
  if (!cached) {
    const { root, perFile } = codeRoot();
    cached = fingerprintOf(root, perFile);
  }
  return cached;
}

/** The fingerprint of the build at `root` (a bundle directory, or a per-file tree); not cached. */
export function fingerprintOf(root: string, perFile: boolean): string {
  if (!perFile) {
    const id = bundleBuildId(root);
    if (id) return `bundle:${id}`;
  }
  const files: string[] = [];
  codeFiles(root, perFile, files);
  // A per-file build loads its dependencies from node_modules: their versions are in these.
  if (perFile) for (const m of ['package.json', 'package-lock.json']) files.push(join(dirname(root), m));
  files.sort();
  const h = createHash('sha256');
  for (const f of files) {
    const st = statSync(f, { throwIfNoEntry: false });
    // A manifest that is not there (an installed package has no lock file) is left out.
    if (st) h.update(`${f.slice(dirname(root).length)}\u0000${st.size}\u0000${st.mtimeMs}\n`);
  }
  return h.digest('hex');
}

// What the npm cataloger keeps of the files it distils (walk-layer.ts runs distill() as the layer
// is read, in a walker thread for big layers): of an installed package.json, its identity, licence
// field and dependency names, a few hundred bytes; of any other file (lockfiles), the file itself.
// parse() then reads no whole manifests after the walk, when nothing runs beside it (issue 20: the
// catalogers' parse was most of a big image's serial tail). The same reductions serve parse() given
// undistilled files (tests, callers without a walker), so both give the same packages and warnings.
//
// A distilled form starts with a tag byte saying which form it is: parse() reads a file in the role
// its wanted name gives it (a symlink can give a file another name), never by guessing from bytes.
import type { WalkedFile } from '../cataloger.js';
import { jsonSyntaxProblem } from '../../util/json-error.js';
import { isRecord, str, stripBom } from './common.js';
import { nameFromInstallPath } from './npm-lock.js';

/**
 * A package.json as parse() needs it; `bad`: not a manifest (and where its JSON broke). One over
 * MAX_PACKAGE_JSON is refused by its size before it is read (distill keeps such a file whole).
 */
export type NpmManifest =
  | { name?: string; version?: string; license?: unknown; deps: string[]; bad?: undefined; dev?: [string, boolean][] }
  | { bad: 'json'; at: string }
  | { bad: 'object' };

/** A package-lock's dev flags: [install path, dev] in file order; `bad` as above. */
export type NpmLockDev = { dev: [string, boolean][]; bad?: undefined } | { bad: 'json'; at: string } | { bad: 'object' };

/** Why a manifest or lock that is `bad` was not read (a warning's and an unread entry's reason). */
export function badReason(b: { bad: 'json'; at: string } | { bad: 'object' }): string {
  return b.bad === 'json' ? `not valid JSON (${b.at})` : 'not a JSON object';
}

/** Real package.json files are a few KB; anything bigger is hostile or broken. */
export const MAX_PACKAGE_JSON = 4 * 1024 * 1024;

const REDUCED = 0x4a; // 'J': JSON of an NpmManifest
const RAW = 0x52; // 'R': the file's bytes

/** `LINE:COL: PROBLEM` of a text JSON.parse refused (never the text: it may hold a secret). */
function syntaxAt(text: string, err: unknown): string {
  if (err instanceof RangeError) return '1:1: nested too deeply';
  const p = jsonSyntaxProblem(text);
  return `${p.line}:${p.column}: ${p.problem}`;
}

function parsed(data: Buffer): { doc: unknown } | { bad: 'json'; at: string } {
  const text = stripBom(data.toString('utf8'));
  try {
    return { doc: JSON.parse(text) as unknown };
  } catch (err) {
    return { bad: 'json', at: syntaxAt(text, err) };
  }
}

/**
 * The dev flag of every installed package a v2/v3 lock's `packages` map lists, by install path:
 * the entries that name an installed package with a version (or link to one). A v1 lockfile keys
 * nothing by install path.
 */
function devOf(packages: Record<string, unknown>): [string, boolean][] {
  const dev: [string, boolean][] = [];
  for (const [at, raw] of Object.entries(packages)) {
    if (!isRecord(raw) || at === '' || !at.includes('node_modules/') || !nameFromInstallPath(at)) continue;
    // A workspace link's version is its target's (or ''), always there; anything else needs a string.
    if (raw.link !== true && str(raw.version) === undefined) continue;
    dev.push([at, raw.dev === true]);
  }
  return dev;
}

/** The manifest of a package.json's bytes. */
export function npmManifestOf(data: Buffer): NpmManifest {
  const p = parsed(data);
  if ('bad' in p) return p;
  const doc = p.doc;
  if (!isRecord(doc)) return { bad: 'object' };
  const deps: string[] = [];
  for (const field of ['dependencies', 'optionalDependencies']) {
    const d = doc[field];
    if (isRecord(d)) deps.push(...Object.keys(d));
  }
  const license = doc.license ?? doc.licenses;
  const m: NpmManifest = { name: str(doc.name), version: str(doc.version), deps };
  if (license !== undefined) m.license = license;
  // Only for a package.json that a link names as a lockfile: its `packages` read as a lock's.
  if (isRecord(doc.packages)) m.dev = devOf(doc.packages);
  return m;
}

/** The dev flags of a package-lock's bytes. */
export function npmLockDevOf(data: Buffer): NpmLockDev {
  const p = parsed(data);
  if ('bad' in p) return p;
  if (!isRecord(p.doc)) return { bad: 'object' };
  return { dev: isRecord(p.doc.packages) ? devOf(p.doc.packages) : [] };
}

/**
 * distill(): an installed package's manifest reduced (`manifest`: its own name says it is one),
 * else the file (a manifest over the bound too: under a link's name it may be read as a lockfile).
 */
export function distillNpm(data: Buffer, manifest: boolean): Buffer {
  if (!manifest || data.length > MAX_PACKAGE_JSON) {
    const out = Buffer.allocUnsafe(data.length + 1);
    out[0] = RAW;
    data.copy(out, 1);
    return out;
  }
  return Buffer.from(`J${JSON.stringify(npmManifestOf(data))}`, 'utf8');
}

/** The reduced form a distilled file holds; undefined: it holds the raw file (or is not distilled). */
function reducedOf(f: WalkedFile): NpmManifest | undefined {
  return f.distilled && f.data[0] === REDUCED ? (JSON.parse(f.data.toString('utf8', 1)) as NpmManifest) : undefined;
}

/** The file's own bytes; undefined when only its reduced manifest was kept. */
export function rawOf(f: WalkedFile): Buffer | undefined {
  if (!f.distilled) return f.data;
  return f.data[0] === RAW ? f.data.subarray(1) : undefined;
}

/** The manifest of a file read as a package.json. */
export function manifestOf(f: WalkedFile): NpmManifest {
  return reducedOf(f) ?? npmManifestOf(rawOf(f)!);
}

/** The dev flags of a file read as a package-lock. */
export function lockDevOf(f: WalkedFile): NpmLockDev {
  const m = reducedOf(f);
  if (!m) return npmLockDevOf(rawOf(f)!);
  return m.bad === undefined ? { dev: m.dev ?? [] } : m;
}

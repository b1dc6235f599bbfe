// Rust: `Cargo.lock` (v1–v4, TOML `[[package]]`) and the cargo-auditable `.dep-v0` section of
// binaries (zlib-compressed JSON {packages:[{name,version,source,kind,dependencies}]}).
import { inflateSync } from 'node:zlib';
import { lazyRequire } from '../../util/lazy-require.js';
import type { CatalogContext, Cataloger, WalkedFile } from '../cataloger.js';
import type { Package } from '../../model/package.js';
import { basename, errorText, isRecord, makePackage, perFile, purlFor, str, warnFile } from './common.js';
import { exeFormat, looksExecutable, maybeExecutable, readExecutable, sectionData } from './exe.js';

const toml = lazyRequire<typeof import('smol-toml')>('smol-toml');

const FOUND_BY = 'rust';
const MAX_AUDIT_JSON = 16 * 1024 * 1024;

interface Crate {
  name: string;
  version: string;
  source?: string;
  deps: string[];
  dev?: boolean;
}

/** `name`, `name version` or `name version (source)` → [name, version?]. */
function depRef(s: string): [string, string | undefined] {
  const [n, v] = s.split(' ');
  return [n!, v];
}

function packagesOf(crates: Crate[], file: WalkedFile, registryOnly: boolean): Package[] {
  const byName = new Map<string, Crate[]>();
  for (const c of crates) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  const out: Package[] = [];
  for (const c of crates) {
    // Workspace members and path dependencies have no source: they are the project itself.
    if (registryOnly && !c.source) continue;
    const dependsOn = c.deps.flatMap((d) => {
      const [n, v] = depRef(d);
      const hit = (byName.get(n) ?? []).find((x) => v === undefined || x.version === v);
      return hit ? [purlFor('cargo', hit.name, hit.version)] : [];
    });
    out.push(makePackage('cargo', FOUND_BY, file, { name: c.name, version: c.version, dependsOn, dev: c.dev }));
  }
  return out;
}

function cargoLock(file: WalkedFile, ctx: CatalogContext): Package[] {
  let doc: Record<string, unknown>;
  try {
    doc = toml().parse(file.data.toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    warnFile(ctx, file, 'cargo.lock', `not valid TOML (${errorText(e)})`);
    ctx.unreadable?.(file, 'malformed', 'not valid TOML');
    return [];
  }
  const list = Array.isArray(doc.package) ? doc.package : [];
  const crates: Crate[] = [];
  for (const p of list) {
    if (!isRecord(p)) continue;
    const name = str(p.name);
    const version = str(p.version);
    if (!name || !version) continue;
    const deps = Array.isArray(p.dependencies) ? p.dependencies.filter((d): d is string => typeof d === 'string') : [];
    crates.push({ name, version, ...(str(p.source) ? { source: str(p.source)! } : {}), deps });
  }
  return packagesOf(crates, file, false);
}

/** Crates recorded by cargo-auditable; undefined when the binary has no `.dep-v0` section. */
export function auditableCrates(b: Buffer): Crate[] | undefined {
  const exe = readExecutable(b);
  if (!exe) return undefined;
  const sec = sectionData(b, exe, '.dep-v0') ?? sectionData(b, exe, '__dep_v0');
  if (!sec) return undefined;
  const json = inflateSync(sec, { maxOutputLength: MAX_AUDIT_JSON }).toString('utf8');
  const doc: unknown = JSON.parse(json);
  if (!isRecord(doc) || !Array.isArray(doc.packages)) return [];
  const raw = doc.packages.filter(isRecord);
  const crates: Crate[] = raw.map((p) => ({
    name: String(p.name ?? ''),
    version: String(p.version ?? ''),
    ...(str(p.source) && p.source !== 'local' ? { source: String(p.source) } : {}),
    deps: [],
    ...(p.kind === 'build' ? { dev: true } : {}),
  }));
  // `dependencies` are indexes into the packages array.
  raw.forEach((p, i) => {
    if (!Array.isArray(p.dependencies)) return;
    for (const d of p.dependencies) {
      const target = typeof d === 'number' ? crates[d] : undefined;
      if (target) crates[i]!.deps.push(`${target.name} ${target.version}`);
    }
  });
  return crates.filter((c) => c.name && c.version);
}

/** What distill() keeps of a binary: its cargo-auditable crates, or why they could not be read. */
type AuditDistilled = { crates: Crate[] } | { error: string };

/** Reads the `.dep-v0` crates of one binary; undefined: no such section (or not an executable). */
function distillAudit(data: Buffer): AuditDistilled | undefined {
  if (!exeFormat(data)) return undefined;
  try {
    const crates = auditableCrates(data);
    return crates ? { crates } : undefined;
  } catch (e) {
    return { error: errorText(e) };
  }
}

const isCargoLock = (path: string) => basename(path) === 'Cargo.lock';

export const rustCataloger: Cataloger = {
  name: FOUND_BY,
  version: 2,
  kind: 'language',
  attribution: 'file',
  maxFileSize: 128 * 1024 * 1024,
  wants(path: string, size: number): boolean {
    if (isCargoLock(path)) return size <= 32 * 1024 * 1024;
    return maybeExecutable(path, size, 64 * 1024, 128 * 1024 * 1024);
  },
  sniff(path: string, head: Buffer): boolean {
    return isCargoLock(path) || looksExecutable(head);
  },
  distill(path: string, data: Buffer): Buffer | null {
    if (isCargoLock(path)) return Buffer.from(data);
    const d = distillAudit(data);
    return d ? Buffer.from(JSON.stringify(d), 'utf8') : null;
  },
  parse(files: WalkedFile[], ctx: CatalogContext): Promise<Package[]> {
    return perFile(files, ctx, 'cargo', (f) => {
      if (isCargoLock(f.path)) return cargoLock(f, ctx);
      const d = f.distilled ? (JSON.parse(f.data.toString('utf8')) as AuditDistilled) : distillAudit(f.data);
      if (!d) return [];
      if ('error' in d) {
        warnFile(ctx, f, 'cargo.auditable', `unreadable .dep-v0 section (${d.error})`);
        ctx.unreadable?.(f, 'malformed', 'unreadable .dep-v0 section');
        return [];
      }
      // The root crate (source "local") is the binary itself and is reported like the others.
      return packagesOf(d.crates, f, false);
    });
  },
};

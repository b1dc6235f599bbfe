// yarn.lock: v1 (yarn's own indented format) and berry v2+ (YAML with __metadata).
import { loadLockfileYaml, YamlTextError } from '../../util/yaml-bounded.js';
import type { CatalogContext, WalkedFile } from '../cataloger.js';
import type { Package } from '../../model/package.js';
import { dependencyMap, isRecord, makePackage, purlFor, str, stripBom, warnFile } from './common.js';
import { NPM_FOUND_BY } from './npm-lock.js';

interface YarnEntry {
  descriptors: string[];
  version: string;
  deps: Record<string, string>;
}

/** `@s/n@npm:^1` → [`@s/n`, `npm:^1`]. */
function splitDescriptor(d: string): [string, string] {
  const at = d.indexOf('@', 1);
  return at < 0 ? [d, ''] : [d.slice(0, at), d.slice(at + 1)];
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** yarn v1: top-level `descs:` lines, two-space fields, four-space dependency lines. */
function parseV1(text: string): YarnEntry[] {
  const out: YarnEntry[] = [];
  let cur: YarnEntry | undefined;
  let section = '';
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (!line.startsWith(' ')) {
      const head = line.replace(/:\s*$/, '');
      cur = { descriptors: head.split(',').map(unquote).filter(Boolean), version: '', deps: {} };
      out.push(cur);
      section = '';
      continue;
    }
    if (!cur) continue;
    if (line.startsWith('    ')) {
      if (section === 'dependencies' || section === 'optionalDependencies') {
        const m = /^\s+("[^"]+"|\S+)\s+(.+)$/.exec(line);
        if (m) cur.deps[unquote(m[1]!)] = unquote(m[2]!);
      }
      continue;
    }
    const m = /^\s{2}("[^"]+"|\S+?):?\s+(.+)$/.exec(line);
    if (m) {
      if (unquote(m[1]!) === 'version') cur.version = unquote(m[2]!);
      section = '';
    } else {
      section = line.trim().replace(/:$/, '');
    }
  }
  return out;
}

function parseBerry(doc: Record<string, unknown>): YarnEntry[] {
  const out: YarnEntry[] = [];
  for (const [key, raw] of Object.entries(doc)) {
    if (key === '__metadata' || !isRecord(raw)) continue;
    const deps = dependencyMap(raw);
    const resolution = str(raw.resolution);
    const descriptors = resolution ? [resolution] : key.split(',').map((s) => s.trim());
    out.push({ descriptors: [...descriptors, ...key.split(',').map((s) => s.trim())], version: String(raw.version ?? ''), deps });
  }
  return out;
}

/** Registry packages only: a range with no protocol, or `npm:`. file:/link:/workspace:/git… are skipped. */
function registryName(descriptor: string): string | undefined {
  const [name, range] = splitDescriptor(descriptor);
  if (!name || name.startsWith('@') && !name.includes('/')) return undefined;
  const proto = /^([a-z+-]+):/.exec(range);
  if (!proto) return /^[~^<>=*\dxvX|\s.-]|^latest$|^$/.test(range) ? name : undefined;
  if (proto[1] !== 'npm') return undefined;
  // `npm:other@^1` is an alias: the package installed is `other`.
  const aliased = range.slice(4);
  return /^@?[^@]+@/.test(aliased) && !/^[~^<>=\d]/.test(aliased) ? splitDescriptor(aliased)[0] : name;
}

export function yarnLockPackages(file: WalkedFile, ctx: CatalogContext): Package[] {
  const text = stripBom(file.data.toString('utf8'));
  let entries: YarnEntry[];
  if (/^__metadata:/m.test(text)) {
    let doc: unknown;
    try {
      // Bounded aliases: an alias bomb is this file's warning, not a scan that amplifies it.
      const docs = loadLockfileYaml(text);
      if (docs.length > 1) {
        warnFile(ctx, file, 'yarn.lock', 'not valid YAML (more than one document)');
        return [];
      }
      doc = docs[0];
    } catch (e) {
      if (!(e instanceof YamlTextError)) throw e;
      warnFile(ctx, file, 'yarn.lock', `not valid YAML (${e.message})`);
      // Its packages are unknown: listed under coverage (an alias bomb or broken YAML).
      ctx.unreadable?.(file, 'malformed', `not valid YAML (${e.message})`);
      return [];
    }
    if (!isRecord(doc)) {
      warnFile(ctx, file, 'yarn.lock', 'not a YAML mapping');
      return [];
    }
    entries = parseBerry(doc);
  } else {
    entries = parseV1(text);
  }
  const byDescriptor = new Map<string, { name: string; version: string }>();
  const kept: { name: string; version: string; e: YarnEntry }[] = [];
  for (const e of entries) {
    const first = e.descriptors[0];
    if (!first || !e.version || e.version === '0.0.0-use.local') continue;
    const name = registryName(first);
    if (!name) continue;
    const p = { name, version: e.version };
    kept.push({ ...p, e });
    for (const d of e.descriptors) byDescriptor.set(d, p);
  }
  const seen = new Map<string, Package>();
  for (const { name, version, e } of kept) {
    const deps: string[] = [];
    for (const [n, r] of Object.entries(e.deps)) {
      const hit = byDescriptor.get(`${n}@${r}`) ?? byDescriptor.get(`${n}@npm:${r}`);
      if (hit) deps.push(purlFor('npm', hit.name, hit.version));
    }
    const key = `${name}@${version}`;
    const prev = seen.get(key);
    if (prev) prev.dependsOn = [...new Set([...(prev.dependsOn ?? []), ...deps])].sort();
    else seen.set(key, makePackage('npm', NPM_FOUND_BY, file, { name, version, dependsOn: deps }));
  }
  return [...seen.values()];
}

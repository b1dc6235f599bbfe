// pnpm-lock.yaml v5–v9. Package keys: v5 `/name/1.0.0_peer`, v6 `/name@1.0.0(peer)`, v9 `name@1.0.0`
// (v9 moves the dependency graph to `snapshots` and drops the `dev` flag: we derive it from importers).
import { loadLockfileYaml, YamlTextError } from '../../util/yaml-bounded.js';
import type { CatalogContext, WalkedFile } from '../cataloger.js';
import type { Package } from '../../model/package.js';
import { dependencyMap, isRecord, makePackage, purlFor, str, warnFile } from './common.js';
import { NPM_FOUND_BY } from './npm-lock.js';

const PLAIN_VERSION = /^\d+\.\d+\.\d+[^\s/:]*$/;

function stripPeers(v: string): string {
  const paren = v.indexOf('(');
  return paren > 0 ? v.slice(0, paren) : v;
}

/** [name, version-or-reference] of a packages/snapshots key. */
function splitKey(key: string, major: number): [string, string] | undefined {
  let k = key.startsWith('/') ? key.slice(1) : key;
  k = stripPeers(k);
  if (major < 6) {
    // v5: name/version(_peers)
    const slash = k.lastIndexOf('/');
    if (slash <= 0) return undefined;
    const under = k.indexOf('_', slash);
    return [k.slice(0, slash), under > 0 ? k.slice(slash + 1, under) : k.slice(slash + 1)];
  }
  const at = k.indexOf('@', 1);
  return at < 0 ? undefined : [k.slice(0, at), k.slice(at + 1)];
}

interface PnpmNode {
  name: string;
  version: string;
  dev: boolean;
  deps: Record<string, string>;
}

/** An importer's dependency: `{specifier, version}` (v6+) or a bare version string (v5). */
function importerRef(v: unknown): string | undefined {
  return typeof v === 'string' ? v : isRecord(v) ? str(v.version) : undefined;
}

export function pnpmLockPackages(file: WalkedFile, ctx: CatalogContext): Package[] {
  let docs: unknown[];
  try {
    // Bounded aliases: an alias bomb is this file's warning, not a scan that amplifies it.
    docs = loadLockfileYaml(file.data.toString('utf8'));
  } catch (e) {
    if (!(e instanceof YamlTextError)) throw e;
    warnFile(ctx, file, 'pnpm.lock', `not valid YAML (${e.message})`);
    // Its packages are unknown: listed under coverage (an alias bomb or broken YAML).
    ctx.unreadable?.(file, 'malformed', `not valid YAML (${e.message})`);
    return [];
  }
  // pnpm 9+ may put a document for its own env lockfile (packageManagerDependencies) first; the
  // project lock is the last document.
  const doc = docs.filter(isRecord).pop();
  if (!isRecord(doc)) {
    warnFile(ctx, file, 'pnpm.lock', 'not a YAML mapping');
    return [];
  }
  const major = parseFloat(String(doc.lockfileVersion ?? '5')) || 5;
  const packages = isRecord(doc.packages) ? doc.packages : {};
  const snapshots = isRecord(doc.snapshots) ? doc.snapshots : undefined;
  // Each packages key -> its node; keys are reference strings dependencies point at.
  const nodes = new Map<string, PnpmNode>();
  for (const [key, raw] of Object.entries(packages)) {
    if (!isRecord(raw)) continue;
    const split = splitKey(key, major);
    const name = str(raw.name) ?? split?.[0];
    let version = str(raw.version) ?? (split && PLAIN_VERSION.test(split[1]) ? split[1] : undefined);
    if (!name || !version) continue;
    version = stripPeers(version);
    nodes.set(key.startsWith('/') ? key.slice(1) : key, { name, version, dev: raw.dev === true, deps: dependencyMap(raw) });
  }
  const nodeOf = (name: string, ref: string): PnpmNode | undefined => {
    const sep = major < 6 ? '/' : '@';
    const r = stripPeers(ref);
    return nodes.get(`${name}${sep}${ref}`) ?? nodes.get(`${name}${sep}${r}`) ?? nodes.get(ref.replace(/^\//, '')) ?? nodes.get(r.replace(/^\//, ''));
  };
  if (snapshots) {
    // v9: dev = reachable only from importers' devDependencies.
    // Snapshot deps by full key (peer variants differ in what they pull in) and merged per package.
    const snapDeps = new Map<string, Record<string, string>>();
    const graph = new Map<string, Record<string, string>>();
    for (const [key, raw] of Object.entries(snapshots)) {
      if (!isRecord(raw)) continue;
      const deps = dependencyMap(raw);
      snapDeps.set(key, deps);
      graph.set(stripPeers(key), deps);
    }
    for (const n of nodes.values()) n.deps = {};
    for (const [key, deps] of graph) {
      const n = nodes.get(key);
      if (n) Object.assign(n.deps, deps);
    }
    const reach = (roots: [string, string][]): Set<PnpmNode> => {
      const seenKeys = new Set<string>();
      const found = new Set<PnpmNode>();
      const stack = roots.map(([n, r]) => `${n}@${r}`);
      while (stack.length > 0) {
        const key = stack.pop()!;
        if (seenKeys.has(key)) continue;
        seenKeys.add(key);
        const n = nodes.get(stripPeers(key)) ?? nodes.get(key);
        if (n) found.add(n);
        for (const [dn, dr] of Object.entries(snapDeps.get(key) ?? {})) stack.push(`${dn}@${dr}`);
      }
      return found;
    };
    const prod: [string, string][] = [];
    const dev: [string, string][] = [];
    const importers = isRecord(doc.importers) ? doc.importers : {};
    for (const imp of Object.values(importers)) {
      if (!isRecord(imp)) continue;
      for (const [field, into] of [['dependencies', prod], ['optionalDependencies', prod], ['devDependencies', dev]] as const) {
        const d = imp[field];
        if (!isRecord(d)) continue;
        for (const [n, v] of Object.entries(d)) {
          const ref = importerRef(v);
          if (ref) into.push([n, ref]);
        }
      }
    }
    const prodSet = reach(prod);
    const devSet = reach(dev);
    for (const n of nodes.values()) n.dev = devSet.has(n) && !prodSet.has(n);
  }
  const out = new Map<string, Package>();
  for (const n of nodes.values()) {
    const deps: string[] = [];
    for (const [dn, ref] of Object.entries(n.deps)) {
      const d = nodeOf(dn, ref);
      if (d) deps.push(purlFor('npm', d.name, d.version));
    }
    const key = `${n.name}@${n.version}`;
    const prev = out.get(key);
    if (prev) {
      if (!n.dev) delete prev.dev;
      prev.dependsOn = [...new Set([...(prev.dependsOn ?? []), ...deps])].sort();
      if (prev.dependsOn.length === 0) delete prev.dependsOn;
    } else {
      out.set(key, makePackage('npm', NPM_FOUND_BY, file, { name: n.name, version: n.version, dev: n.dev, dependsOn: deps }));
    }
  }
  return [...out.values()];
}

// apk cataloger: /lib/apk/db/installed. Stanzas are separated by blank lines; each line is
// `X:value` with a one-letter key (P name, V version, A arch, o origin, L license, c commit,
// D deps…). sourceName = origin (default: the name); sourceVersion = the package version (apk
// has no separate source version).
import { newPackageURL } from '../util/packageurl.js';
import type { OsInfo } from '../model/os.js';
import type { Package } from '../model/package.js';
import type { Cataloger, CatalogContext, WalkedFile } from './cataloger.js';

const INSTALLED = '/lib/apk/db/installed';

interface ApkStanza {
  line: number;
  fields: Map<string, string>;
  deps: string[];
}

function stanzas(text: string): ApkStanza[] {
  const out: ApkStanza[] = [];
  let cur: ApkStanza | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '') {
      if (cur) out.push(cur);
      cur = undefined;
      continue;
    }
    cur ??= { line: i + 1, fields: new Map(), deps: [] };
    if (line.length < 2 || line[1] !== ':') continue; // not a key line: ignored, as apk does
    const key = line[0];
    const value = line.slice(2);
    if (key === 'D') cur.deps.push(...value.split(/\s+/).filter(Boolean));
    // File entries (F, R, a, Z…) repeat per file; only the first occurrence of package keys matters.
    else if (!cur.fields.has(key)) cur.fields.set(key, value);
  }
  if (cur) out.push(cur);
  return out;
}

/** `pkg:apk/alpine/…?arch=…&distro=alpine-3.20.1`. */
export function apkPurl(os: OsInfo | undefined, name: string, version: string, arch?: string): string {
  const ns = os && /^[a-z0-9.-]+$/.test(os.id) ? os.id : 'alpine';
  const q: Record<string, string> = {};
  if (arch) q.arch = arch;
  if (os?.versionId) q.distro = `${ns}-${os.versionId}`;
  return newPackageURL('apk', ns, name, version, q, undefined).toString();
}

/** apk dep atoms: `so:libc.musl-x86_64.so.1`, `name>=1.2`, `!conflict`: keep plain package names. */
function depName(atom: string): string | undefined {
  if (atom.startsWith('!')) return undefined;
  const name = atom.split(/[<>=~]/)[0];
  return name && !name.includes(':') ? name : undefined;
}

function toPackage(s: ApkStanza, file: WalkedFile, ctx: CatalogContext): Package | string {
  const name = s.fields.get('P');
  const version = s.fields.get('V');
  if (!name) return 'no P: (name) field';
  if (!version) return `package ${name} has no V: (version) field`;
  const arch = s.fields.get('A') || undefined;
  const origin = s.fields.get('o') || name;
  const pkg: Package = {
    name,
    version,
    type: 'apk',
    ecosystem: ctx.osEcosystem,
    purl: apkPurl(ctx.os, name, version, arch),
    sourceName: origin,
    sourceVersion: version,
    path: file.path,
    layer: file.layer,
    foundBy: 'apk',
  };
  if (arch) pkg.arch = arch;
  const license = s.fields.get('L');
  if (license) pkg.licenses = [license];
  const deps = [...new Set(s.deps.map(depName).filter((d): d is string => d !== undefined))].sort();
  if (deps.length > 0) pkg.dependsOn = deps;
  return pkg;
}

export const apkCataloger: Cataloger = {
  name: 'apk',
  version: 1,
  kind: 'os',
  attribution: 'history',
  sizeBlind: true,
  wants: (path) => path === INSTALLED,
  anchors: [INSTALLED],
  parse(files, ctx) {
    const out: Package[] = [];
    for (const file of files) {
      if (file.path !== INSTALLED) continue;
      const text = file.data.toString('utf8');
      const all = stanzas(text);
      // Content with no stanza naming a package and its version is not a db that was read.
      if (text.trim() !== '' && !all.some((s) => s.fields.get('P') && s.fields.get('V'))) {
        ctx.unreadable?.(file, 'malformed', `no stanza with both P: (name) and V: (version) (${all.length} stanzas)`);
      }
      for (const s of all) {
        const pkg = toPackage(s, file, ctx);
        if (typeof pkg === 'string') {
          ctx.warn({ code: 'apk.stanza', message: `stanza at line ${s.line}: ${pkg}; skipped`, path: file.path, layer: file.layer.index });
        } else out.push(pkg);
      }
    }
    return out;
  },
};

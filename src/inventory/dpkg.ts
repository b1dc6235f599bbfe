// dpkg cataloger: /var/lib/dpkg/status and the distroless /var/lib/dpkg/status.d/* files.
//
// Which stanzas are packages: those whose Status (want flag state) has the current state
// `installed`, `half-configured`, `triggers-awaiting` or `triggers-pending` — the package's files
// are on disk and dpkg itself treats it as present. `not-installed`, `config-files` (only conffiles
// left), `half-installed` and `unpacked` (files may be incomplete, never configured) are not
// reported. The want flag (install / deinstall / purge / hold) does not matter: it is intent, not
// state. A status.d stanza without a Status field counts as installed (distroless tools write one
// file per installed package and often omit Status); in /var/lib/dpkg/status it does not.
//
// Source conventions (as trivy): sourceName = Source's name, else the package name; sourceVersion =
// the `(version)` in Source, else the binary version (with its epoch).
import { newPackageURL } from '../util/packageurl.js';
import type { OsInfo } from '../model/os.js';
import type { Package } from '../model/package.js';
import type { Cataloger, CatalogContext, WalkedFile } from './cataloger.js';
import { field, parseDeb822, type Stanza } from './deb822.js';

const STATUS = '/var/lib/dpkg/status';
const STATUS_D = '/var/lib/dpkg/status.d/';
const PRESENT_STATES = new Set(['installed', 'half-configured', 'triggers-awaiting', 'triggers-pending']);
// Lenient on purpose: real dbs carry names policy forbids (`_`), and dropping them hides packages.
const NAME_RE = /^[^\s:]+$/;

function wants(path: string): boolean {
  if (path === STATUS) return true;
  if (!path.startsWith(STATUS_D)) return false;
  const rest = path.slice(STATUS_D.length);
  return rest !== '' && !rest.includes('/') && !rest.endsWith('.md5sums');
}

/** `pkg:deb/debian/…?distro=debian-12`: namespace and distro from the detected OS. */
export function debPurl(os: OsInfo | undefined, name: string, version: string, arch?: string): string {
  const ns = os && os.id !== '' && /^[a-z0-9.-]+$/.test(os.id) ? os.id : 'debian';
  const q: Record<string, string> = {};
  if (arch) q.arch = arch;
  if (os?.versionId) q.distro = `${ns}-${os.versionId}`;
  else if (os?.versionCodename) q.distro = `${ns}-${os.versionCodename}`;
  return newPackageURL('deb', ns, name, version, q, undefined).toString();
}

/** `src (1.2-3)` → {name, version}; `src` → {name}. */
export function parseSourceField(v: string): { name: string; version?: string } {
  const m = /^(\S+)\s*(?:\(([^)]*)\))?/.exec(v.trim());
  if (!m) return { name: v.trim() };
  const version = m[2]?.trim();
  return version ? { name: m[1], version } : { name: m[1] };
}

function present(s: Stanza, fromStatusD: boolean): boolean {
  const status = field(s, 'Status');
  if (status === undefined) return fromStatusD;
  const words = status.split(/\s+/);
  return words.length === 3 && PRESENT_STATES.has(words[2]);
}

function stanzaToPackage(s: Stanza, file: WalkedFile, ctx: CatalogContext): Package | string {
  const name = field(s, 'Package');
  const version = field(s, 'Version');
  if (!name) return 'no Package field';
  if (!NAME_RE.test(name)) return `invalid package name "${name}"`;
  if (!version) return `package ${name} has no Version field`;
  const arch = field(s, 'Architecture') || undefined;
  const src = field(s, 'Source');
  const source = src ? parseSourceField(src) : { name };
  const pkg: Package = {
    name,
    version,
    type: 'deb',
    ecosystem: ctx.osEcosystem,
    purl: debPurl(ctx.os, name, version, arch),
    sourceName: source.name || name,
    sourceVersion: source.version ?? version,
    path: file.path,
    layer: file.layer,
    foundBy: 'dpkg',
  };
  if (arch) pkg.arch = arch;
  const depends = field(s, 'Depends') ?? field(s, 'Pre-Depends');
  if (depends) {
    const names = new Set<string>();
    for (const alt of [field(s, 'Pre-Depends'), field(s, 'Depends')].filter(Boolean).join(',').split(',')) {
      const first = alt.split('|')[0].trim().split(/[\s(:]/)[0];
      if (first) names.add(first);
    }
    pkg.dependsOn = [...names].sort();
  }
  return pkg;
}

export const dpkgCataloger: Cataloger = {
  name: 'dpkg',
  version: 1,
  kind: 'os',
  attribution: 'history',
  sizeBlind: true,
  wants,
  anchors: [STATUS, STATUS_D],
  parse(files, ctx) {
    const out: Package[] = [];
    for (const file of files) {
      if (!wants(file.path)) continue;
      const fromStatusD = file.path !== STATUS;
      const text = file.data.toString('utf8');
      const { stanzas, malformed } = parseDeb822(text);
      // Content in which no stanza names a package is not a dpkg db that was read: its packages are
      // unknown (an empty file, or only whitespace, is a db with nothing installed).
      if (text.trim() !== '' && !stanzas.some((s) => field(s, 'Package'))) {
        ctx.unreadable?.(file, 'malformed', `no stanza with a Package field (${stanzas.length} stanzas, ${malformed.length} malformed)`);
      }
      for (const m of malformed) {
        ctx.warn({ code: 'dpkg.stanza', message: `malformed stanza (${m.reason}); skipped`, path: file.path, layer: file.layer.index });
      }
      for (const s of stanzas) {
        if (!present(s, fromStatusD)) continue;
        const pkg = stanzaToPackage(s, file, ctx);
        if (typeof pkg === 'string') {
          ctx.warn({ code: 'dpkg.stanza', message: `stanza at line ${s.line}: ${pkg}; skipped`, path: file.path, layer: file.layer.index });
          continue;
        }
        out.push(pkg);
      }
    }
    return out;
  },
};

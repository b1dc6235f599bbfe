// A package URL -> the OSV (ecosystem, name, version) it denotes, for `/v1/query {package:{purl}}`.
import { PackageURL } from 'packageurl-js';
import type { PackageQuery } from './source.js';

const TYPES: Record<string, string> = {
  npm: 'npm', pypi: 'PyPI', maven: 'Maven', golang: 'Go', cargo: 'crates.io', gem: 'RubyGems', nuget: 'NuGet',
  composer: 'Packagist', hex: 'Hex', pub: 'Pub', swift: 'SwiftURL', hackage: 'Hackage', cran: 'CRAN', conan: 'ConanCenter',
};
const DISTROS: Record<string, string> = { debian: 'Debian', ubuntu: 'Ubuntu', alpine: 'Alpine', wolfi: 'Wolfi', chainguard: 'Chainguard', almalinux: 'AlmaLinux', rocky: 'Rocky Linux', redhat: 'Red Hat', opensuse: 'openSUSE', suse: 'SUSE' };

/** undefined when the purl is malformed or of a type OSV has no ecosystem for. */
export function purlToQuery(purl: string): (PackageQuery & { version?: string }) | undefined {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(purl);
  } catch {
    return undefined;
  }
  let ecosystem = TYPES[p.type];
  let name = p.name;
  if (p.type === 'maven') name = p.namespace ? `${p.namespace}:${p.name}` : p.name;
  else if (p.type === 'golang' || p.type === 'composer' || p.type === 'swift' || (p.type === 'npm' && p.namespace)) name = p.namespace ? `${p.namespace}/${p.name}` : p.name;
  if (p.type === 'deb' || p.type === 'apk' || p.type === 'rpm') {
    ecosystem = DISTROS[(p.namespace ?? '').toLowerCase()];
    const distro = p.qualifiers?.distro;
    if (ecosystem && typeof distro === 'string') {
      // distro=debian-12 / bookworm-less forms: keep the release number when present.
      const m = /(\d[\w.]*)$/.exec(distro);
      if (m) ecosystem = `${ecosystem}:${ecosystem === 'Alpine' ? `v${m[1]!.split('.').slice(0, 2).join('.')}` : m[1]}`;
    }
  }
  if (!ecosystem) return undefined;
  const q: PackageQuery & { version?: string } = { ecosystem, name };
  if (p.version) q.version = p.version;
  return q;
}

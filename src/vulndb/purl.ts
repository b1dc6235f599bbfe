// A package URL -> the OSV (ecosystem, name, version) it denotes, for `/v1/query {package:{purl}}`.
import { PackageURL } from 'packageurl-js';
import { osvEcosystemFor } from '../inventory/os-ecosystem.js';
import type { PackageQuery } from './source.js';

const TYPES: Record<string, string> = {
  npm: 'npm', pypi: 'PyPI', maven: 'Maven', golang: 'Go', cargo: 'crates.io', gem: 'RubyGems', nuget: 'NuGet',
  composer: 'Packagist', hex: 'Hex', pub: 'Pub', swift: 'SwiftURL', hackage: 'Hackage', cran: 'CRAN', conan: 'ConanCenter',
};
// purl namespaces (and `distro=` qualifier ids) that differ from os-release IDs.
const OS_IDS: Record<string, string> = { redhat: 'rhel', opensuse: 'opensuse-leap', suse: 'sles', sle: 'sles', amazon: 'amzn' };

/**
 * A distro purl's OSV ecosystem, through the same os-release mapping the inventory uses:
 * `pkg:deb/debian/x?distro=debian-12.15` -> `Debian:12`, `pkg:apk/alpine/x?distro=alpine-3.20.1`
 * -> `Alpine:v3.20`, `pkg:deb/ubuntu/x?distro=ubuntu-22.04` -> `Ubuntu:22.04:LTS`.
 */
function distroEcosystem(namespace: string, distro: unknown): string | undefined {
  let id = namespace.toLowerCase();
  let versionId: string | undefined;
  if (typeof distro === 'string' && distro) {
    const m = /^([a-z][a-z-]*?)-(\d[\w.]*)$/i.exec(distro);
    if (m) {
      id = m[1]!.toLowerCase();
      versionId = m[2];
    } else if (/^\d/.test(distro)) {
      versionId = distro;
    }
  }
  id = OS_IDS[id] ?? id;
  const eco = osvEcosystemFor({ id, versionId, detectedFrom: 'purl' });
  return eco || undefined;
}

/** undefined when the purl is malformed or of a type OSV has no ecosystem for. */
export function purlToQuery(purl: string): (PackageQuery & { version?: string }) | undefined {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(purl);
  } catch {
    return undefined;
  }
  return queryForPurl(p);
}

/** purlToQuery for a purl already parsed. */
export function queryForPurl(p: PackageURL): (PackageQuery & { version?: string }) | undefined {
  let ecosystem: string | undefined = TYPES[p.type];
  let name = p.name;
  if (p.type === 'maven') name = p.namespace ? `${p.namespace}:${p.name}` : p.name;
  else if (p.type === 'golang' || p.type === 'composer' || p.type === 'swift' || (p.type === 'npm' && p.namespace)) name = p.namespace ? `${p.namespace}/${p.name}` : p.name;
  if (p.type === 'deb' || p.type === 'apk' || p.type === 'rpm') {
    ecosystem = distroEcosystem(p.namespace ?? '', p.qualifiers?.distro);
  }
  if (!ecosystem) return undefined;
  const q: PackageQuery & { version?: string } = { ecosystem, name };
  if (p.version) q.version = p.version;
  return q;
}

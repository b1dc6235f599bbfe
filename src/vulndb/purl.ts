// A package URL -> the OSV (ecosystem, name, version) it denotes, for `/v1/query {package:{purl}}`.
// Which purl types map to which OSV ecosystem, and how distro purls name a release, is the
// ecosystem registry's (src/ecosystems/).
import { parsePackageURL, type PackageURL } from '../util/packageurl.js';
import { purlEcosystem } from '../ecosystems/index.js';
import type { PackageQuery } from './source.js';

/** undefined when the purl is malformed or of a type OSV has no ecosystem for. */
export function purlToQuery(purl: string): (PackageQuery & { version?: string }) | undefined {
  let p: PackageURL;
  try {
    p = parsePackageURL(purl);
  } catch {
    return undefined;
  }
  return queryForPurl(p);
}

/**
 * purlToQuery for a purl already parsed. Distro purls go through the same os-release mapping the
 * inventory uses: `pkg:deb/debian/x?distro=debian-12.15` -> `Debian:12`,
 * `pkg:apk/alpine/x?distro=alpine-3.20.1` -> `Alpine:v3.20`, `pkg:deb/ubuntu/x?distro=ubuntu-22.04`
 * -> `Ubuntu:22.04:LTS`; undefined when the distro or its release is not known.
 */
export function queryForPurl(p: PackageURL): (PackageQuery & { version?: string }) | undefined {
  const e = purlEcosystem(p);
  if ('refused' in e || !e.ecosystem) return undefined;
  const q: PackageQuery & { version?: string } = { ecosystem: e.ecosystem, name: e.name };
  if (p.version) q.version = p.version;
  return q;
}

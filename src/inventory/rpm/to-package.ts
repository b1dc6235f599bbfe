// Turns a decoded rpm header into a Package.
//
// Conventions (documented because peers differ):
// - version = `[epoch:]version-release`; the epoch prefix appears whenever the header has an EPOCH
//   tag (also an explicit 0), never otherwise. `epoch` is that number.
// - sourceName / sourceVersion come from the SOURCERPM file name `name-version-release.src.rpm`
//   (or `.nosrc.rpm`). A source rpm file name carries no epoch, and every binary built from one
//   spec shares its epoch, so sourceVersion = `[binary epoch:]srcversion-srcrelease` (as Trivy
//   does). Without the epoch, OSV ranges of epoch'd packages (`1:…`) would compare wrongly.
//   No (or an unparsable) SOURCERPM: sourceName = name, sourceVersion = the binary version.
// - purl: pkg:rpm/<os-release ID, else "redhat">/<name>@<version-release>
//   ?arch=<arch>&epoch=<epoch, when present>&distro=<ID>-<VERSION_ID, when the OS is known>.
import { newPackageURL } from '../../util/packageurl.js';
import type { CatalogContext } from '../cataloger.js';
import type { LayerRef, Package } from '../../model/package.js';
import type { RpmHeader } from './header.js';

export interface SourceRpm {
  name: string;
  version: string;
  release: string;
}

/** Splits `name-version-release.src.rpm`; undefined when the name does not have that shape. */
export function parseSourceRpm(file: string): SourceRpm | undefined {
  const m = /^(.+)\.(?:no)?src\.rpm$/.exec(file);
  if (!m?.[1]) return undefined;
  const base = m[1];
  const r = base.lastIndexOf('-');
  if (r <= 0) return undefined;
  const v = base.lastIndexOf('-', r - 1);
  if (v <= 0) return undefined;
  const name = base.slice(0, v);
  const version = base.slice(v + 1, r);
  const release = base.slice(r + 1);
  if (!name || !version || !release) return undefined;
  return { name, version, release };
}

export function rpmPackage(h: RpmHeader, path: string, layer: LayerRef, foundBy: string, ctx: CatalogContext): Package {
  const epochPrefix = h.epoch !== undefined ? `${h.epoch}:` : '';
  const vr = `${h.version}-${h.release}`;
  const version = `${epochPrefix}${vr}`;
  const src = h.sourceRpm ? parseSourceRpm(h.sourceRpm) : undefined;

  const qualifiers: Record<string, string> = {};
  if (h.arch) qualifiers.arch = h.arch;
  if (h.epoch !== undefined) qualifiers.epoch = String(h.epoch);
  if (ctx.os?.id) qualifiers.distro = ctx.os.versionId ? `${ctx.os.id}-${ctx.os.versionId}` : ctx.os.id;
  const purl = newPackageURL('rpm', ctx.os?.id || 'redhat', h.name, vr, qualifiers, undefined).toString();

  const pkg: Package = {
    name: h.name,
    version,
    type: 'rpm',
    ecosystem: ctx.osEcosystem,
    purl,
    sourceName: src ? src.name : h.name,
    sourceVersion: src ? `${epochPrefix}${src.version}-${src.release}` : version,
    path,
    layer,
    foundBy,
  };
  if (h.arch) pkg.arch = h.arch;
  if (h.epoch !== undefined) pkg.epoch = h.epoch;
  if (h.license) pkg.licenses = [h.license];
  if (h.modularityLabel) pkg.modularityLabel = h.modularityLabel;
  return pkg;
}

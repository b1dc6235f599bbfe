// SPDX 2.3 JSON: the image as the described package, containing one package per Package.
import { spdxPurposeFor } from '../ecosystems/index.js';
import type { Package } from '../model/package.js';
import type { Report } from '../model/report.js';
import { imageDigest, imageName, resolveDependsOn, sortedPackages, unique, unreadForSbom, UNREAD_MARK } from './common.js';
import { hashUuid, imagePurl } from './cyclonedx.js';
import type { Encoder } from './encoder.js';
import { isSpdxExpression } from './licenses.js';
import type { SpdxDocument, SpdxExtractedLicensingInfo, SpdxPackage, SpdxRelationship } from './types/spdx.js';


const NAMESPACE_BASE = 'https://portcullis.invalid/spdx';

/** SPDXRef- ids allow only letters, digits, `.` and `-`. */
export function spdxIdFor(text: string, used: Set<string>): string {
  const base = `SPDXRef-${text.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '').slice(0, 120) || 'Package'}`;
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  return id;
}

/** Free-text licenses become LicenseRef-… ids with their text kept in hasExtractedLicensingInfos. */
class LicenseRefs {
  private readonly refs = new Map<string, string>();
  private readonly used = new Set<string>();

  expression(licenses: readonly string[] | undefined): string {
    const list = unique((licenses ?? []).map((l) => l.trim()).filter(Boolean));
    if (!list.length) return 'NOASSERTION';
    const parts = list.map((l) => (isSpdxExpression(l) ? l : this.ref(l)));
    return parts.length === 1 ? parts[0]! : parts.map((p) => (/\s/.test(p) ? `(${p})` : p)).join(' AND ');
  }

  private ref(text: string): string {
    let id = this.refs.get(text);
    if (!id) {
      const base = `LicenseRef-${text.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'unknown'}`;
      id = base;
      for (let n = 2; this.used.has(id); n++) id = `${base}-${n}`;
      this.used.add(id);
      this.refs.set(text, id);
    }
    return id;
  }

  extracted(): SpdxExtractedLicensingInfo[] {
    return [...this.refs].map(([text, licenseId]) => ({ licenseId, extractedText: text, name: text }));
  }
}

function isoSeconds(s: string): string {
  const t = Date.parse(s);
  // SPDX wants YYYY-MM-DDThh:mm:ssZ (no fraction).
  return (Number.isNaN(t) ? new Date(0) : new Date(t)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function packageEntry(p: Package, id: string, licenses: LicenseRefs): SpdxPackage {
  const comment = `found by ${p.foundBy} at ${p.path} in layer ${p.layer.index} (${p.layer.diffId})`;
  return {
    name: p.name,
    SPDXID: id,
    versionInfo: p.version,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    // We read metadata, we do not analyse files: nothing is concluded, what the package states is declared.
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: licenses.expression(p.licenses),
    copyrightText: 'NOASSERTION',
    ...((p.sourceName && p.sourceName !== p.name) || (p.sourceVersion && p.sourceVersion !== p.version)
      ? { sourceInfo: `built from source package ${p.sourceName ?? p.name} ${p.sourceVersion ?? p.version}` }
      : {}),
    ...(p.purl ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER' as const, referenceType: 'purl', referenceLocator: p.purl }] } : {}),
    primaryPackagePurpose: spdxPurposeFor(p.type),
    comment,
  };
}

function encodeSpdx(report: Report): string {
  const packages = sortedPackages(report);
  const used = new Set<string>(['SPDXRef-DOCUMENT']);
  const licenses = new LicenseRefs();
  const digest = imageDigest(report);
  const imageId = spdxIdFor(`Image-${imageName(report)}`, used);
  const purl = imagePurl(report);
  const ids = new Map<Package, string>();
  for (const p of packages) ids.set(p, spdxIdFor(`Package-${p.type}-${p.name}-${p.version}`, used));

  const image: SpdxPackage = {
    name: imageName(report),
    SPDXID: imageId,
    versionInfo: digest,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    ...(digest.startsWith('sha256:') ? { checksums: [{ algorithm: 'SHA256' as const, checksumValue: digest.slice(7) }] } : {}),
    ...(purl ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER' as const, referenceType: 'purl', referenceLocator: purl }] } : {}),
    primaryPackagePurpose: 'CONTAINER',
    comment: `${report.image.sourceType} ${report.image.source}; config ${report.image.configDigest}`,
  };
  const pkgEntries = packages.map((p) => packageEntry(p, ids.get(p)!, licenses));

  const relationships: SpdxRelationship[] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId },
    ...packages.map((p): SpdxRelationship => ({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: ids.get(p)! })),
  ];
  for (const [p, deps] of resolveDependsOn(packages, ids)) {
    for (const dep of deps) relationships.push({ spdxElementId: ids.get(p)!, relationshipType: 'DEPENDS_ON', relatedSpdxElement: dep });
  }

  const extracted = licenses.extracted();
  const doc: SpdxDocument = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: imageName(report),
    documentNamespace: `${NAMESPACE_BASE}/${encodeURIComponent(imageName(report).replace(/[/:@]/g, '-'))}-${hashUuid('spdx', digest, report.createdAt)}`,
    creationInfo: {
      created: isoSeconds(report.createdAt),
      creators: [`Tool: portcullis-${report.tool.version}`],
    },
    packages: [image, ...pkgEntries],
    relationships,
    ...(extracted.length ? { hasExtractedLicensingInfos: extracted } : {}),
  };
  // Package files that were not read (their packages are missing): one annotation each.
  const unread = unreadForSbom(report);
  if (unread.length) {
    doc.annotations = unread.map((u) => ({ annotationDate: doc.creationInfo.created, annotationType: 'OTHER', annotator: `Tool: portcullis-${report.tool.version}`, comment: `${UNREAD_MARK} ${u}` }));
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export const spdxEncoder: Encoder = {
  name: 'spdx',
  extension: 'spdx.json',
  mediaType: 'application/spdx+json',
  encode: encodeSpdx,
};

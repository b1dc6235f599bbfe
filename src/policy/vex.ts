// VEX input: OpenVEX (v0.0.x and v0.2.x) and CycloneDX VEX, normalised to VexStatement lists.
import { PortcullisError } from '../errors.js';
import type { Finding } from '../model/finding.js';
import type { ImageMetadata } from '../model/image.js';
import { isRecord, readJsonFile } from './json-file.js';
import { parsePurl, purlMatches } from './purl-match.js';
import type { VexDocument, VexStatement } from './types.js';

const OPENVEX_STATUS = new Set(['not_affected', 'affected', 'fixed', 'under_investigation']);

/** CycloneDX analysis.state -> the OpenVEX status it means. */
const CDX_STATE: Record<string, VexStatement['status']> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function productId(p: unknown): string | undefined {
  if (typeof p === 'string') return p;
  if (!isRecord(p)) return undefined;
  const ids = isRecord(p.identifiers) ? p.identifiers : {};
  return str(ids.purl) ?? str(p['@id']);
}

function parseOpenVex(doc: Record<string, unknown>, source: string): VexDocument {
  if (!Array.isArray(doc.statements)) throw new PortcullisError('OpenVEX document has no "statements" list', { subject: source });
  const docTime = str(doc.timestamp);
  const statements = doc.statements.map((s, i): VexStatement & { time?: string } => {
    const where = `statements[${i}]`;
    if (!isRecord(s)) throw new PortcullisError(`${where} is not an object`, { subject: source });
    const v = s.vulnerability;
    const name = typeof v === 'string' ? v : isRecord(v) ? str(v.name) : undefined;
    if (!name) throw new PortcullisError(`${where}.vulnerability has no name`, { subject: source });
    const aliases = isRecord(v) && Array.isArray(v.aliases) ? v.aliases.filter((a): a is string => typeof a === 'string') : [];
    const status = str(s.status);
    if (!status || !OPENVEX_STATUS.has(status)) throw new PortcullisError(`${where}.status must be one of ${[...OPENVEX_STATUS].join(', ')}`, { subject: source });
    // v0.0.x put subcomponents on the statement; v0.2 puts them on each product.
    const legacySubs = Array.isArray(s.subcomponents) ? s.subcomponents.map(productId).filter((x): x is string => !!x) : [];
    const products = (Array.isArray(s.products) ? s.products : []).map((p) => ({
      id: productId(p) ?? '',
      subcomponents: [...legacySubs, ...(isRecord(p) && Array.isArray(p.subcomponents) ? p.subcomponents.map(productId).filter((x): x is string => !!x) : [])],
    }));
    if (products.length === 0) throw new PortcullisError(`${where} names no products`, { subject: source });
    return {
      vulnerability: name,
      aliases,
      products,
      status: status as VexStatement['status'],
      justification: str(s.justification),
      detail: str(s.impact_statement) ?? str(s.status_notes) ?? str(s.action_statement),
      ref: `${source}#${i}`,
      time: str(s.timestamp) ?? docTime,
    };
  });
  return { format: 'openvex', source, statements: orderByTime(statements) };
}

/** Later statements override earlier ones (OpenVEX): keep them sorted oldest first. */
function orderByTime(list: (VexStatement & { time?: string })[]): VexStatement[] {
  return list
    .map((s, i) => ({ s, i, t: s.time ? Date.parse(s.time) : NaN }))
    .sort((a, b) => (Number.isNaN(a.t) || Number.isNaN(b.t) ? a.i - b.i : a.t - b.t || a.i - b.i))
    .map(({ s }) => {
      const { time: _time, ...rest } = s;
      return rest;
    });
}

function collectRefs(components: unknown, into: Map<string, string>, depth = 0): void {
  if (!Array.isArray(components) || depth > 32) return;
  for (const c of components) {
    if (!isRecord(c)) continue;
    const ref = str(c['bom-ref']);
    const purl = str(c.purl);
    if (ref && purl) into.set(ref, purl);
    collectRefs(c.components, into, depth + 1);
  }
}

function parseCycloneDx(doc: Record<string, unknown>, source: string): VexDocument {
  if (!Array.isArray(doc.vulnerabilities)) throw new PortcullisError('CycloneDX document has no "vulnerabilities" list', { subject: source });
  const refs = new Map<string, string>();
  collectRefs(doc.components, refs);
  if (isRecord(doc.metadata)) collectRefs([doc.metadata.component], refs);
  const resolveRef = (ref: string): string => {
    const direct = refs.get(ref);
    if (direct) return direct;
    // BOM-Link: urn:cdx:<serial>/<version>#<bom-ref>
    const hash = ref.startsWith('urn:cdx:') ? ref.indexOf('#') : -1;
    if (hash >= 0) {
      const inner = decodeURIComponent(ref.slice(hash + 1));
      return refs.get(inner) ?? inner;
    }
    return ref;
  };
  const statements: VexStatement[] = [];
  doc.vulnerabilities.forEach((v, i) => {
    const where = `vulnerabilities[${i}]`;
    if (!isRecord(v)) throw new PortcullisError(`${where} is not an object`, { subject: source });
    const id = str(v.id);
    if (!id) throw new PortcullisError(`${where} has no id`, { subject: source });
    const analysis = isRecord(v.analysis) ? v.analysis : undefined;
    if (!analysis) return; // a plain vulnerability listing, not a VEX statement
    const state = str(analysis.state);
    const status = state ? CDX_STATE[state] : undefined;
    if (!status) throw new PortcullisError(`${where}.analysis.state must be one of ${Object.keys(CDX_STATE).join(', ')}`, { subject: source });
    const aliases = Array.isArray(v.references) ? v.references.map((r) => (isRecord(r) ? str(r.id) : undefined)).filter((x): x is string => !!x) : [];
    const products = (Array.isArray(v.affects) ? v.affects : [])
      .map((a) => (isRecord(a) ? str(a.ref) : undefined))
      .filter((x): x is string => !!x)
      .map((ref) => ({ id: resolveRef(ref), subcomponents: [] }));
    if (products.length === 0) throw new PortcullisError(`${where}.affects names no components`, { subject: source });
    statements.push({
      vulnerability: id,
      aliases,
      products,
      status,
      justification: str(analysis.justification),
      detail: str(analysis.detail),
      ref: `${source}#${i}`,
    });
  });
  return { format: 'cyclonedx', source, statements };
}

/** Parses a VEX document already read as JSON. */
export function parseVex(doc: unknown, source: string): VexDocument {
  if (!isRecord(doc)) throw new PortcullisError('VEX document is not a JSON object', { subject: source });
  if (doc.bomFormat === 'CycloneDX') return parseCycloneDx(doc, source);
  const ctx = doc['@context'];
  if (Array.isArray(doc.statements) || (typeof ctx === 'string' && ctx.includes('openvex'))) return parseOpenVex(doc, source);
  throw new PortcullisError('not a VEX document (expected OpenVEX "@context"/"statements" or CycloneDX "bomFormat")', { subject: source });
}

export async function loadVex(path: string): Promise<VexDocument> {
  return parseVex(await readJsonFile(path, 'VEX document', 64 * 1024 * 1024), path);
}

/** Does a VEX product id name this image (an OCI purl by digest, or by name when it has no version)? */
export function productIsImage(id: string, image: ImageMetadata | undefined): boolean {
  if (!image) return false;
  const digests = [image.manifestDigest, image.configDigest].filter((d): d is string => !!d);
  const p = parsePurl(id);
  if (p) {
    if (p.type !== 'oci') return false;
    if (p.version) return digests.includes(p.version);
    const repoName = image.repository?.split('/').pop()?.toLowerCase();
    return repoName !== undefined && repoName === p.name.toLowerCase();
  }
  // A plain image reference: name@sha256:…
  const at = id.lastIndexOf('@');
  return at > 0 && digests.includes(id.slice(at + 1));
}

/** Whether a statement speaks about this finding (vulnerability id/alias and product). */
export function statementCovers(s: VexStatement, f: Finding, image: ImageMetadata | undefined): boolean {
  const ids = [f.id, ...f.aliases];
  if (!ids.includes(s.vulnerability) && !s.aliases.some((a) => ids.includes(a))) return false;
  const purl = f.package.purl;
  return s.products.some((p) => {
    if (p.subcomponents.length === 0) return purlMatches(p.id, purl) || productIsImage(p.id, image);
    // Subcomponents of a product: the product must be this image, or something that is not an
    // image at all (an application purl we cannot place); another image's statement never applies.
    const product = parsePurl(p.id);
    const otherImage = product ? product.type === 'oci' && !productIsImage(p.id, image) : p.id.includes('@sha256:') && !productIsImage(p.id, image);
    return !otherImage && p.subcomponents.some((sc) => purlMatches(sc, purl));
  });
}

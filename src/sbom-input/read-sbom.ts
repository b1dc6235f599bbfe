// `scan --sbom FILE`: turn a CycloneDX or SPDX JSON SBOM (ours, Syft's, Trivy's…) into packages.
import { parsePackageURL, rethrowIfLibraryMissing, type PackageURL } from '../util/packageurl.js';
import { PortcullisError } from '../errors.js';
import { purlEcosystem } from '../ecosystems/index.js';
import type { UncheckedPackage, UnreadFile } from '../model/coverage.js';
import type { ImageMetadata } from '../model/image.js';
import type { LayerRef, Package } from '../model/package.js';
import type { ScanWarning } from '../model/warning.js';
import { parseJsonOr } from '../util/json-error.js';
import { readRegularText } from '../util/regular-file.js';

const MAX_SBOM_BYTES = 256 * 1024 * 1024;
/** An unreadable purl is kept in `unchecked` up to this many characters. */
const MAX_PURL_TEXT = 1024;

/** SBOM packages carry no layer unless the SBOM says so: index -1 means "not known". */
const UNKNOWN_LAYER: LayerRef = { index: -1, digest: '', diffId: '' };

export interface SbomInput {
  metadata: ImageMetadata;
  packages: Package[];
  warnings: ScanWarning[];
  /**
   * Components that name a package but cannot be checked: a purl type no ecosystem of the registry
   * takes (`purl.unsupported`: pkg:generic, pkg:github…), a purl that does not parse
   * (`purl.invalid`), or a purl without a version (`version.missing`). Never dropped: coverage lists them.
   */
  unchecked: UncheckedPackage[];
  /**
   * Package files the SBOM's producer found but did not read (our `portcullis:unread` marks), or
   * the SBOM's own word that it is incomplete (CycloneDX `compositions`): its packages are not all
   * listed, so a scan of it is incomplete too.
   */
  unread: UnreadFile[];
}

/** What one SBOM read collects besides its metadata. */
interface Collected {
  packages: Package[];
  warnings: ScanWarning[];
  unchecked: UncheckedPackage[];
  unread: UnreadFile[];
}

/** The property name / annotation prefix our SBOM encoders mark an unread file with (report/common.ts). */
const UNREAD_MARK = 'portcullis:unread';
/** More marks than this are one gap saying so, not a list (a hostile document stays small). */
const MAX_UNREAD_MARKS = 10_000;

/** One `portcullis:unread` mark, read back; a damaged one is still a gap (never dropped). */
function unreadFromMark(value: unknown, file: string): UnreadFile {
  let o: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : undefined;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) o = parsed as Record<string, unknown>;
  } catch {
    o = undefined;
  }
  const str = (k: string, max = 4096) => (typeof o?.[k] === 'string' && (o[k] as string).length <= max ? (o[k] as string) : undefined);
  const path = str('path');
  const cataloger = str('cataloger', 64);
  if (!o || !path || !cataloger) {
    return { path: file, cataloger: 'sbom', kind: 'manifest', code: 'error', reason: `the SBOM marks a package file unread (${UNREAD_MARK}) in an entry that does not parse` };
  }
  const layer = o.layer;
  return {
    path,
    cataloger,
    kind: o.kind === 'os-pkgdb' ? 'os-pkgdb' : 'manifest',
    code: str('code', 64) ?? 'error',
    reason: `${str('reason') ?? 'not read'} (per the SBOM)`,
    ...(typeof layer === 'number' && Number.isSafeInteger(layer) && layer >= 0 ? { layer } : {}),
  };
}

/** The unread marks of a document: its values, bounded. */
function unreadFromMarks(values: unknown[], file: string): UnreadFile[] {
  if (values.length > MAX_UNREAD_MARKS) {
    return [{ path: file, cataloger: 'sbom', kind: 'manifest', code: 'error', reason: `the SBOM marks ${values.length} package files unread (${UNREAD_MARK})` }];
  }
  return values.map((v) => unreadFromMark(v, file));
}

interface Props {
  get(...names: string[]): string | undefined;
}

function propsOf(list: unknown): Props {
  const map = new Map<string, string>();
  if (Array.isArray(list)) {
    for (const p of list) {
      if (p && typeof p === 'object' && typeof p.name === 'string' && typeof p.value === 'string') map.set(p.name, p.value);
    }
  }
  return { get: (...names) => names.map((n) => map.get(n)).find((v) => v !== undefined) };
}

/** syft writes the source package into the purl: `upstream=openssl@3.0.11-1` or `upstream=openssl`. */
function upstreamOf(purl: PackageURL): { name?: string; version?: string } {
  const up = purl.qualifiers?.upstream;
  if (typeof up !== 'string' || !up) return {};
  const at = up.indexOf('@');
  return at < 0 ? { name: up } : { name: up.slice(0, at), version: up.slice(at + 1) };
}

/** Trivy splits the source version: SrcEpoch, SrcVersion (upstream), SrcRelease. */
function trivySourceVersion(props: Props): string | undefined {
  const v = props.get('aquasecurity:trivy:SrcVersion');
  if (!v) return undefined;
  const epoch = props.get('aquasecurity:trivy:SrcEpoch');
  const release = props.get('aquasecurity:trivy:SrcRelease');
  return `${epoch && epoch !== '0' ? `${epoch}:` : ''}${v}${release ? `-${release}` : ''}`;
}

function toPackage(purlText: string, where: string, props: Props, licenses: string[], out: Collected): Package | undefined {
  let purl: PackageURL;
  try {
    purl = parsePackageURL(purlText);
  } catch (err) {
    rethrowIfLibraryMissing(err);
    const reason = `invalid purl (${(err as Error).message})`;
    // Not quoted in the message: an input file's content never goes into messages (it may be a secret).
    out.warnings.push({ code: 'sbom.purl', message: `${where}: an invalid purl was not checked (${(err as Error).message})` });
    // A component we cannot read is still a package we did not check.
    const type = /^pkg:([a-zA-Z.+-]+)\//.exec(purlText)?.[1]?.toLowerCase() ?? '';
    out.unchecked.push({ purl: purlText.slice(0, MAX_PURL_TEXT), ecosystem: type, code: 'purl.invalid', reason: `${reason}: not checked` });
    return undefined;
  }
  const q = purlEcosystem(purl);
  if ('refused' in q) {
    out.unchecked.push({ purl: purlText, ecosystem: purl.type, code: 'purl.unsupported', reason: `${q.refused}: not checked` });
    return undefined;
  }
  if (!purl.version) {
    out.unchecked.push({ purl: purlText, ecosystem: q.ecosystem || purl.type, code: 'version.missing', reason: 'the purl states no version: not checked' });
    return undefined;
  }
  const type = q.type;
  const up = upstreamOf(purl);
  const epochQ = purl.qualifiers?.epoch;
  const epoch = props.get('portcullis:package:epoch') ?? (typeof epochQ === 'string' ? epochQ : undefined);
  // rpm purls (and Trivy's deb purls) keep the epoch in a qualifier; comparators want it in the version.
  const withEpoch = (type === 'rpm' || type === 'deb') && epoch && epoch !== '0' && !purl.version.includes(':');
  const version = withEpoch ? `${epoch}:${purl.version}` : purl.version;
  const layerIndex = props.get('portcullis:layer:index');
  const arch = props.get('portcullis:package:arch') ?? (typeof purl.qualifiers?.arch === 'string' ? purl.qualifiers.arch : undefined);
  const sourceName = props.get('portcullis:package:sourceName', 'aquasecurity:trivy:SrcName', 'syft:metadata:source') ?? up.name;
  const sourceVersion = props.get('portcullis:package:sourceVersion', 'syft:metadata:sourceVersion') ?? trivySourceVersion(props) ?? up.version;
  const modularityLabel = props.get('portcullis:package:modularityLabel', 'syft:metadata:modularityLabel', 'aquasecurity:trivy:Modularitylabel');
  return {
    name: q.name,
    version,
    type,
    ecosystem: props.get('portcullis:package:ecosystem') ?? q.ecosystem,
    purl: purlText,
    sourceName: sourceName ?? q.name,
    sourceVersion: sourceVersion ?? version,
    ...(arch ? { arch } : {}),
    ...(licenses.length ? { licenses } : {}),
    ...(epoch !== undefined && /^\d+$/.test(epoch) ? { epoch: Number(epoch) } : {}),
    ...(modularityLabel ? { modularityLabel } : {}),
    ...(props.get('portcullis:package:dev') === 'true' ? { dev: true } : {}),
    path: props.get('portcullis:package:path', 'syft:location:0:path', 'aquasecurity:trivy:FilePath') ?? where,
    layer: layerIndex !== undefined && /^\d+$/.test(layerIndex)
      ? { index: Number(layerIndex), digest: props.get('portcullis:layer:digest') ?? '', diffId: props.get('portcullis:layer:diffID') ?? '' }
      : { ...UNKNOWN_LAYER, diffId: props.get('aquasecurity:trivy:LayerDiffID') ?? '' },
    foundBy: 'sbom',
  };
}

function cdxLicenses(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list
    .map((l) => l?.expression ?? l?.license?.id ?? l?.license?.name)
    .filter((x): x is string => typeof x === 'string' && x.length > 0);
}

/** One warning per purl type that was not checked, so the gap shows even where coverage is not read. */
function summarise(out: Collected, file: string): void {
  const byType = new Map<string, number>();
  for (const u of out.unchecked) if (u.code === 'purl.unsupported') byType.set(u.ecosystem, (byType.get(u.ecosystem) ?? 0) + 1);
  for (const [type, n] of [...byType].sort()) {
    out.warnings.push({ code: 'sbom.purl-unsupported', message: `${file}: ${n} pkg:${type} package${n === 1 ? '' : 's'} not checked (see coverage: unchecked)` });
  }
  const missing = out.unchecked.filter((u) => u.code === 'version.missing').length;
  if (missing > 0) out.warnings.push({ code: 'sbom.version-missing', message: `${file}: ${missing} package${missing === 1 ? '' : 's'} without a version not checked` });
}

function fromCycloneDx(doc: Record<string, any>, file: string): SbomInput {
  const out: Collected = { packages: [], warnings: [], unchecked: [], unread: [] };
  const walk = (components: unknown, depth: number) => {
    if (!Array.isArray(components) || depth > 32) return;
    for (const c of components) {
      if (!c || typeof c !== 'object') continue;
      if (typeof c.purl === 'string') {
        const p = toPackage(c.purl, file, propsOf(c.properties), cdxLicenses(c.licenses), out);
        if (p) out.packages.push(p);
      }
      walk(c.components, depth + 1);
    }
  };
  walk(doc.components, 0);
  const subject = doc.metadata?.component ?? {};
  const props: any[] = Array.isArray(doc.metadata?.properties) ? doc.metadata.properties : [];
  out.unread.push(...unreadFromMarks(props.filter((p) => p?.name === UNREAD_MARK).map((p) => p.value), file));
  // Any producer's own word that the BOM is incomplete: a gap, unless our marks already say which files.
  const compositions: any[] = Array.isArray(doc.compositions) ? doc.compositions : [];
  if (out.unread.length === 0 && compositions.some((c) => c?.aggregate === 'incomplete')) {
    out.unread.push({ path: file, cataloger: 'sbom', kind: 'manifest', code: 'incomplete', reason: 'the SBOM declares itself incomplete (CycloneDX compositions: incomplete): packages may be missing from it' });
  }
  summarise(out, file);
  return { metadata: metadataFor(file, 'sbom-cyclonedx', subject.name, subject.version), ...out };
}

function fromSpdx(doc: Record<string, any>, file: string): SbomInput {
  const out: Collected = { packages: [], warnings: [], unchecked: [], unread: [] };
  for (const p of Array.isArray(doc.packages) ? doc.packages : []) {
    const refs: any[] = Array.isArray(p?.externalRefs) ? p.externalRefs : [];
    const purl = refs.find((r) => r?.referenceType === 'purl' && typeof r.referenceLocator === 'string')?.referenceLocator;
    if (!purl) continue;
    const lic = [p.licenseDeclared, p.licenseConcluded].find((l) => typeof l === 'string' && l !== 'NOASSERTION' && l !== 'NONE');
    // Our SPDX (and Syft's) says where a binary came from in free text; read back what we wrote.
    const src = typeof p.sourceInfo === 'string' ? /built from source package (\S+) (\S+)/.exec(p.sourceInfo) : null;
    const layer = typeof p.comment === 'string' ? /in layer (\d+) \((sha256:[0-9a-f]{64})\)/.exec(p.comment) : null;
    const props = propsOf([
      ...(src ? [{ name: 'portcullis:package:sourceName', value: src[1] }, { name: 'portcullis:package:sourceVersion', value: src[2] }] : []),
      ...(layer ? [{ name: 'portcullis:layer:index', value: layer[1] }, { name: 'portcullis:layer:diffID', value: layer[2] }] : []),
    ]);
    const pkg = toPackage(purl, file, props, lic ? [lic] : [], out);
    if (pkg) out.packages.push(pkg);
  }
  const notes: any[] = Array.isArray(doc.annotations) ? doc.annotations : [];
  const marks = notes.map((a) => (typeof a?.comment === 'string' && a.comment.startsWith(`${UNREAD_MARK} `) ? a.comment.slice(UNREAD_MARK.length + 1) : undefined));
  out.unread.push(...unreadFromMarks(marks.filter((m) => m !== undefined), file));
  summarise(out, file);
  return { metadata: metadataFor(file, 'sbom-spdx', doc.name), ...out };
}

function metadataFor(file: string, sourceType: string, name?: unknown, version?: unknown): ImageMetadata {
  return {
    source: file,
    sourceType,
    configDigest: '',
    tags: typeof name === 'string' ? [typeof version === 'string' ? `${name}:${version}` : name] : [],
    config: { os: '', architecture: '', env: [], labels: {}, history: [] },
  };
}

/** Reads a CycloneDX (JSON) or SPDX 2.x (JSON) document. Anything else is a one-line error. */
export async function readSbomFile(file: string): Promise<SbomInput> {
  // A regular file only, size checked before it is read into memory.
  const text = await readRegularText(file, 'SBOM', MAX_SBOM_BYTES);
  // Position and problem only: the parser's own message quotes the text.
  const doc = parseJsonOr(text, (at, problem) => new PortcullisError(`not a JSON SBOM: ${problem}`, { subject: `${file}:${at}` }));
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    const d = doc as Record<string, any>;
    if (d.bomFormat === 'CycloneDX') return fromCycloneDx(d, file);
    if (typeof d.spdxVersion === 'string') return fromSpdx(d, file);
  }
  throw new PortcullisError('not a CycloneDX or SPDX JSON document (no bomFormat / spdxVersion)', { subject: file });
}

// Chooses one image manifest from an OCI index (index.json, possibly nested indexes / manifest
// lists) by tag, digest and platform.
import { ImageError, PortcullisError } from '../errors.js';
import type { BlobStore } from './blob-store.js';
import { parseDescriptorList, type Descriptor } from './descriptor.js';
import { manifestKind, REF_NAME_ANNOTATION } from './media-types.js';
import { DEFAULT_PLATFORM, formatPlatform, normalisePlatform, platformMatches, type Platform } from './platform.js';
import { readVerifiedJson } from './verified-blob.js';

export interface Selector {
  tag?: string;
  digest?: string;
  platform?: Platform;
}

export interface Candidate {
  descriptor: Descriptor;
  /** Ref names (tags) of the top-level index entry it was reached from. */
  refNames: string[];
  /** Annotations of the top-level index entry it was reached from. */
  topAnnotations: Record<string, string>;
}

const MAX_INDEX_DEPTH = 4;

function isAttestation(d: Descriptor): boolean {
  return d.annotations['vnd.docker.reference.type'] === 'attestation-manifest' || d.platform?.os === 'unknown';
}

function refNameMatches(refName: string, tag: string): boolean {
  if (refName === tag) return true;
  // A full reference as ref name (`registry/repo:tag`): match its tag part.
  const slash = refName.lastIndexOf('/');
  const colon = refName.lastIndexOf(':');
  return colon > slash && refName.slice(colon + 1) === tag;
}

/** What a descriptor points at, from its media type or (when absent) the blob's content. */
async function kindOf(store: BlobStore, d: Descriptor): Promise<{ kind: 'index' | 'manifest'; json?: Record<string, unknown> }> {
  const declared = manifestKind(d.mediaType);
  if (declared === 'schema1') {
    throw new ImageError(`unsupported media type ${d.mediaType} (Docker schema 1 manifest) for ${d.digest}`, { subject: store.location });
  }
  if (declared === 'index' || declared === 'manifest') return { kind: declared };
  if (d.mediaType !== undefined && d.mediaType !== '') {
    throw new ImageError(`unsupported media type ${d.mediaType} for ${d.digest} (not an image manifest or index)`, { subject: store.location });
  }
  const json = await readVerifiedJson(store, d, 'manifest');
  if (json.schemaVersion === 1) throw new ImageError(`unsupported Docker schema 1 manifest ${d.digest}`, { subject: store.location });
  const inner = manifestKind(typeof json.mediaType === 'string' ? json.mediaType : undefined);
  if (inner === 'index' || Array.isArray(json.manifests)) return { kind: 'index', json };
  return { kind: 'manifest', json };
}

async function expand(store: BlobStore, d: Descriptor, top: Descriptor, depth: number, out: Candidate[]): Promise<void> {
  const { kind, json } = await kindOf(store, d);
  const refName = top.annotations[REF_NAME_ANNOTATION];
  if (kind === 'manifest') {
    out.push({ descriptor: d, refNames: refName ? [refName] : [], topAnnotations: top.annotations });
    return;
  }
  if (depth >= MAX_INDEX_DEPTH) throw new ImageError(`indexes nested more than ${MAX_INDEX_DEPTH} deep at ${d.digest}`, { subject: store.location });
  const index = json ?? (await readVerifiedJson(store, d, 'index'));
  for (const child of parseDescriptorList(index.manifests, `index ${d.digest} manifests`, store.location)) {
    if (!isAttestation(child)) await expand(store, child, top, depth + 1, out);
  }
}

async function findByDigest(store: BlobStore, list: Descriptor[], digest: string, depth: number): Promise<{ found: Descriptor; top?: Descriptor } | undefined> {
  for (const d of list) if (d.digest === digest) return { found: d };
  if (depth >= MAX_INDEX_DEPTH) return undefined;
  for (const d of list) {
    if (manifestKind(d.mediaType) !== 'index') continue;
    const index = await readVerifiedJson(store, d, 'index');
    const hit = await findByDigest(store, parseDescriptorList(index.manifests, `index ${d.digest} manifests`, store.location), digest, depth + 1);
    if (hit) return { found: hit.found, top: hit.top ?? d };
  }
  return undefined;
}

function describe(c: Candidate, platform: Platform | undefined): string {
  const parts = [platform ? formatPlatform(platform) : 'unknown platform'];
  if (c.refNames.length) parts.push(`tag ${c.refNames.join(',')}`);
  parts.push(c.descriptor.digest.slice(0, 19));
  return parts.join(' ');
}

/**
 * Picks the image manifest. `platformOf` learns a candidate's platform when its descriptor has
 * none (reads the manifest's config). `source` names the input in messages.
 */
export async function selectManifest(
  store: BlobStore,
  topLevel: Descriptor[],
  sel: Selector,
  platformOf: (d: Descriptor) => Promise<Platform>,
  source: string,
): Promise<Candidate> {
  let roots: { d: Descriptor; top: Descriptor }[];
  if (sel.digest) {
    const hit = await findByDigest(store, topLevel, sel.digest, 0);
    if (!hit) throw new PortcullisError(`no manifest or index with digest ${sel.digest}`, { subject: source });
    roots = [{ d: hit.found, top: hit.top ?? hit.found }];
  } else if (sel.tag !== undefined) {
    const tag = sel.tag;
    const tagged = topLevel.filter((d) => refNameMatches(d.annotations[REF_NAME_ANNOTATION] ?? '', tag));
    if (tagged.length === 0) {
      const names = topLevel.map((d) => d.annotations[REF_NAME_ANNOTATION]).filter((n): n is string => !!n);
      throw new PortcullisError(`no image tagged ${JSON.stringify(tag)} (available: ${names.length ? names.join(', ') : 'no tags'})`, { subject: source });
    }
    roots = tagged.map((d) => ({ d, top: d }));
  } else {
    roots = topLevel.filter((d) => !isAttestation(d)).map((d) => ({ d, top: d }));
  }

  const all: Candidate[] = [];
  for (const { d, top } of roots) await expand(store, d, top, 0, all);
  // The same manifest reached twice (two tags) is one image.
  const byDigest = new Map<string, Candidate>();
  for (const c of all) {
    const seen = byDigest.get(c.descriptor.digest);
    if (seen) seen.refNames = [...new Set([...seen.refNames, ...c.refNames])];
    else byDigest.set(c.descriptor.digest, c);
  }
  const candidates = [...byDigest.values()];
  if (candidates.length === 0) throw new ImageError('index lists no image manifests', { subject: source });

  const platforms = new Map<Candidate, Platform>();
  const known = async (c: Candidate): Promise<Platform> => {
    let p = platforms.get(c);
    if (!p) {
      p = c.descriptor.platform ?? (await platformOf(c.descriptor));
      platforms.set(c, p);
    }
    return p;
  };

  if (!sel.platform && candidates.length === 1) return candidates[0]!;
  const wanted = sel.platform ?? DEFAULT_PLATFORM;
  const matching: Candidate[] = [];
  for (const c of candidates) if (platformMatches(wanted, await known(c))) matching.push(c);
  // linux/arm matches arm/v6 and arm/v7: prefer the exact (normalised) platform.
  const norm = JSON.stringify(normalisePlatform(wanted));
  const exact = matching.filter((c) => JSON.stringify(normalisePlatform(platforms.get(c)!)) === norm);
  const chosen = exact.length > 0 ? exact : matching;
  if (chosen.length === 1) return chosen[0]!;

  const listing = (await Promise.all(candidates.map(async (c) => describe(c, await known(c))))).join('; ');
  if (chosen.length === 0) {
    throw new PortcullisError(`no image for platform ${formatPlatform(wanted)}${sel.platform ? '' : ' (the default; choose one with --platform)'} (available: ${listing})`, { subject: source });
  }
  throw new PortcullisError(`several images match ${formatPlatform(wanted)}; name one by tag or digest (available: ${listing})`, { subject: source });
}

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
/**
 * Bounds on one selection. Indexes are memoised by digest, so an index that lists the same child
 * again and again (at every level) costs one read per distinct index; these caps bound what a
 * hostile index of distinct entries can make portcullis read: the largest real multi-platform
 * indexes list a few dozen manifests.
 */
export const INDEX_LIMITS = {
  /** Distinct indexes read (each one a blob read, or a request to a registry). */
  indexes: 256,
  /** Descriptors in all the indexes read, counted once per distinct index. */
  entries: 65_536,
  /** Distinct image manifests an index may lead to. */
  candidates: 1024,
};

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

/** A media type as messages may show it: only when it looks like one (it comes from the input). */
export function shownMediaType(mt: string): string {
  return mt.length <= 128 && /^[\w.+-]+\/[\w.+-]+$/.test(mt) ? mt : '(not a media type)';
}

/**
 * One walk over an index tree, every index and every sniffed blob read at most once. `manifestsOf`
 * gives the image manifests under a descriptor (attestations left out), each digest once.
 */
class IndexWalk {
  private readonly kinds = new Map<string, { kind: 'index' | 'manifest'; json?: Record<string, unknown> }>();
  private readonly expanded = new Map<string, { manifests: Descriptor[]; height: number }>();
  private readonly children = new Map<string, Descriptor[]>();
  private entries = 0;

  constructor(private readonly store: BlobStore) {}

  private tooMany(what: string, limit: number): ImageError {
    return new ImageError(`the index tree holds more than ${limit} ${what}; refusing it as hostile`, { subject: this.store.location });
  }

  /** What a descriptor points at, from its media type or (when absent) the blob's content. */
  async kindOf(d: Descriptor): Promise<{ kind: 'index' | 'manifest'; json?: Record<string, unknown> }> {
    const declared = manifestKind(d.mediaType);
    if (declared === 'schema1') {
      throw new ImageError(`unsupported media type ${shownMediaType(d.mediaType!)} (Docker schema 1 manifest) for ${d.digest}`, { subject: this.store.location });
    }
    if (declared === 'index' || declared === 'manifest') return { kind: declared };
    if (d.mediaType !== undefined && d.mediaType !== '') {
      throw new ImageError(`unsupported media type ${shownMediaType(d.mediaType)} for ${d.digest} (not an image manifest or index)`, { subject: this.store.location });
    }
    const known = this.kinds.get(d.digest);
    if (known) return known;
    const json = await readVerifiedJson(this.store, d, 'manifest');
    if (json.schemaVersion === 1) throw new ImageError(`unsupported Docker schema 1 manifest ${d.digest}`, { subject: this.store.location });
    const inner = manifestKind(typeof json.mediaType === 'string' ? json.mediaType : undefined);
    const found = { kind: inner === 'index' || Array.isArray(json.manifests) ? ('index' as const) : ('manifest' as const), json };
    this.kinds.set(d.digest, found);
    return found;
  }

  /** The descriptors an index lists, read once per digest, counted against the limits. */
  async listOf(d: Descriptor, json?: Record<string, unknown>): Promise<Descriptor[]> {
    const seen = this.children.get(d.digest);
    if (seen) return seen;
    if (this.children.size >= INDEX_LIMITS.indexes) throw this.tooMany('indexes', INDEX_LIMITS.indexes);
    const index = json ?? (await readVerifiedJson(this.store, d, 'index'));
    const list = parseDescriptorList(index.manifests, `index ${d.digest} manifests`, this.store.location);
    this.entries += list.length;
    if (this.entries > INDEX_LIMITS.entries) throw this.tooMany('entries', INDEX_LIMITS.entries);
    this.children.set(d.digest, list);
    return list;
  }

  /** Image manifests under `d` (itself when it is one), at `depth` below a top-level entry. */
  async manifestsOf(d: Descriptor, depth: number): Promise<Descriptor[]> {
    const { kind, json } = await this.kindOf(d);
    if (kind === 'manifest') return [d];
    const done = this.expanded.get(d.digest);
    if (done) {
      if (depth + done.height > MAX_INDEX_DEPTH) throw this.tooDeep(d);
      return done.manifests;
    }
    if (depth >= MAX_INDEX_DEPTH) throw this.tooDeep(d);
    const out = new Map<string, Descriptor>();
    let height = 1;
    const visited = new Set<string>();
    for (const child of await this.listOf(d, json)) {
      if (isAttestation(child) || visited.has(child.digest)) continue;
      visited.add(child.digest);
      for (const m of await this.manifestsOf(child, depth + 1)) {
        if (!out.has(m.digest)) out.set(m.digest, m);
        if (out.size > INDEX_LIMITS.candidates) throw this.tooMany('image manifests', INDEX_LIMITS.candidates);
      }
      const below = this.expanded.get(child.digest);
      if (below) height = Math.max(height, below.height + 1);
    }
    const manifests = [...out.values()];
    this.expanded.set(d.digest, { manifests, height });
    return manifests;
  }

  private tooDeep(d: Descriptor): ImageError {
    return new ImageError(`indexes nested more than ${MAX_INDEX_DEPTH} deep at ${d.digest}`, { subject: this.store.location });
  }

  /** The descriptor with `digest` in `list` or in the indexes below it, breadth first, each index read once. */
  async findByDigest(list: Descriptor[], digest: string): Promise<{ found: Descriptor; top?: Descriptor } | undefined> {
    for (const d of list) if (d.digest === digest) return { found: d };
    // Each frontier entry: an index to look into, and the top-level entry it was reached from.
    let frontier = list.filter((d) => manifestKind(d.mediaType) === 'index').map((d) => ({ d, top: d }));
    const visited = new Set<string>();
    for (let depth = 0; depth < MAX_INDEX_DEPTH && frontier.length > 0; depth++) {
      const next: { d: Descriptor; top: Descriptor }[] = [];
      for (const { d, top } of frontier) {
        if (visited.has(d.digest)) continue;
        visited.add(d.digest);
        const children = await this.listOf(d);
        const hit = children.find((c) => c.digest === digest);
        if (hit) return { found: hit, top };
        for (const c of children) if (manifestKind(c.mediaType) === 'index' && !visited.has(c.digest)) next.push({ d: c, top });
      }
      frontier = next;
    }
    return undefined;
  }
}

/** At most MAX_LISTED names in a message (an index may hold thousands). */
const MAX_LISTED = 20;
function listed(names: string[]): string {
  const shown = names.slice(0, MAX_LISTED).join(', ');
  return names.length > MAX_LISTED ? `${shown}, … ${names.length - MAX_LISTED} more` : shown;
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
  const walk = new IndexWalk(store);
  let roots: { d: Descriptor; top: Descriptor }[];
  if (sel.digest) {
    const hit = await walk.findByDigest(topLevel, sel.digest);
    if (!hit) throw new PortcullisError(`no manifest or index with digest ${sel.digest}`, { subject: source });
    roots = [{ d: hit.found, top: hit.top ?? hit.found }];
  } else if (sel.tag !== undefined) {
    const tag = sel.tag;
    const tagged = topLevel.filter((d) => refNameMatches(d.annotations[REF_NAME_ANNOTATION] ?? '', tag));
    if (tagged.length === 0) {
      const names = topLevel.map((d) => d.annotations[REF_NAME_ANNOTATION]).filter((n): n is string => !!n);
      throw new PortcullisError(`no image tagged ${JSON.stringify(tag)} (available: ${listed(names) || 'no tags'})`, { subject: source });
    }
    roots = tagged.map((d) => ({ d, top: d }));
  } else {
    roots = topLevel.filter((d) => !isAttestation(d)).map((d) => ({ d, top: d }));
  }

  const all: Candidate[] = [];
  for (const { d, top } of roots) {
    const refName = top.annotations[REF_NAME_ANNOTATION];
    for (const m of await walk.manifestsOf(d, 0)) all.push({ descriptor: m, refNames: refName ? [refName] : [], topAnnotations: top.annotations });
    if (all.length > INDEX_LIMITS.candidates * 4) throw new ImageError(`the index lists more than ${INDEX_LIMITS.candidates * 4} image entries; refusing it as hostile`, { subject: store.location });
  }
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

  const shown = candidates.slice(0, MAX_LISTED);
  const listing = (await Promise.all(shown.map(async (c) => describe(c, await known(c))))).join('; ') + (candidates.length > shown.length ? `; … ${candidates.length - shown.length} more` : '');
  if (chosen.length === 0) {
    throw new PortcullisError(`no image for platform ${formatPlatform(wanted)}${sel.platform ? '' : ' (the default; choose one with --platform)'} (available: ${listing})`, { subject: source });
  }
  throw new PortcullisError(`several images match ${formatPlatform(wanted)}; name one by tag or digest (available: ${listing})`, { subject: source });
}

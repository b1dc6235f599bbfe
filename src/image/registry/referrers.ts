// OCI 1.1 referrers: artifacts whose manifest names an image manifest as `subject`. Discovery asks
// the referrers API (GET /v2/<name>/referrers/<digest>); a registry without it (404, as Docker's
// distribution 2.x answers) is read through the referrers tag schema: an image index tagged
// `<alg>-<hex>` listing the referrers, which the pusher maintains (OCI distribution-spec 1.1,
// "Unavailable Referrers API").
import { ImageError } from '../../errors.js';
import type { Descriptor } from '../descriptor.js';
import { digestAlgorithm, digestOf, isDigest } from '../digest.js';
import { OCI_INDEX, OCI_MANIFEST } from '../media-types.js';
import { MAX_MANIFEST_BYTES, type RegistryClient } from './client.js';
import { RegistryPusher, type PushedManifest } from './push.js';
import { drain, headerValue, readBody } from './transport.js';

/** The referrers tag of a subject: `sha256:abc…` → `sha256-abc…`. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

/** Referrer listings longer than this are cut (a hostile registry can list millions). */
export const MAX_REFERRERS = 1000;

export interface ReferrerDescriptor extends Descriptor {
  artifactType?: string;
}

export interface ReferrerListing {
  referrers: ReferrerDescriptor[];
  /** `api`: the referrers API answered; `tag`: read from the fallback tag; `none`: neither holds any. */
  via: 'api' | 'tag' | 'none';
  /** The fallback index as stored (tag schema), to update it. */
  index?: Record<string, unknown>;
}

function parseIndex(client: RegistryClient, body: Buffer, where: string): { index: Record<string, unknown>; referrers: ReferrerDescriptor[] } {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ImageError(`${where}: the referrers index is not JSON`, { subject: `registry ${client.ref.registry}` });
  }
  const index = (typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {}) as Record<string, unknown>;
  const manifests = Array.isArray(index.manifests) ? index.manifests : [];
  const referrers: ReferrerDescriptor[] = [];
  for (const m of manifests.slice(0, MAX_REFERRERS)) {
    const d = m as Record<string, unknown>;
    if (typeof d !== 'object' || d === null || !isDigest(d.digest) || typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) continue;
    referrers.push({
      digest: d.digest,
      size: d.size,
      ...(typeof d.mediaType === 'string' ? { mediaType: d.mediaType } : {}),
      ...(typeof d.artifactType === 'string' ? { artifactType: d.artifactType } : {}),
      annotations: Object.fromEntries(
        Object.entries(typeof d.annotations === 'object' && d.annotations !== null ? d.annotations : {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
      ),
    });
  }
  return { index, referrers };
}

/** GETs a manifest or index that may be absent: undefined on 404. Checked against Docker-Content-Digest. */
export async function optionalManifest(client: RegistryClient, path: string, accept: string = OCI_INDEX): Promise<{ body: Buffer } | undefined> {
  const res = await client.request('GET', path, { accept });
  if (res.status === 404) {
    drain(res);
    return undefined;
  }
  const req = { method: 'GET' as const, url: new URL(path, client.base) };
  await client.expectOk(res, req, path);
  const body = await readBody(res.body, MAX_MANIFEST_BYTES);
  if (!body) throw client.transport.fail(req, `the referrers index is larger than ${MAX_MANIFEST_BYTES} bytes`, client.base.origin);
  const announced = headerValue(res, 'docker-content-digest')?.trim();
  if (announced && isDigest(announced) && digestOf(body, digestAlgorithm(announced)) !== announced) {
    throw client.transport.fail(req, `digest mismatch: Docker-Content-Digest says ${announced}`, client.base.origin);
  }
  return { body };
}

/** The referrers of `subject`, through the API or the tag schema; `artifactType` filters. */
export async function listReferrers(client: RegistryClient, subject: string, artifactType?: string): Promise<ReferrerListing> {
  const filter = (r: ReferrerDescriptor[]) => (artifactType ? r.filter((d) => d.artifactType === artifactType) : r);
  const api = `/v2/${client.ref.repository}/referrers/${subject}${artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : ''}`;
  const fromApi = await optionalManifest(client, api);
  if (fromApi) return { via: 'api', referrers: filter(parseIndex(client, fromApi.body, 'referrers API').referrers) };
  const tag = `/v2/${client.ref.repository}/manifests/${referrersTag(subject)}`;
  const fromTag = await optionalManifest(client, tag);
  if (!fromTag) return { via: 'none', referrers: [] };
  const { index, referrers } = parseIndex(client, fromTag.body, `tag ${referrersTag(subject)}`);
  return { via: 'tag', referrers: filter(referrers), index };
}

export interface AttachedReferrer extends PushedManifest {
  /** `api`: the registry indexed it itself; `tag`: the fallback tag index was updated. */
  indexedBy: 'api' | 'tag';
}

/**
 * Pushes an artifact manifest whose `subject` is set, and when the registry does not index it
 * (no `OCI-Subject` answer), adds it to the subject's referrers tag index. The index is read,
 * extended and written back: two pushers racing on one subject can lose an entry (the spec's
 * known limit of the tag schema); the artifact itself stays in the registry either way.
 */
export async function pushReferrer(client: RegistryClient, manifest: Buffer, subject: string, artifactType: string, annotations: Record<string, string>): Promise<AttachedReferrer> {
  const pusher = new RegistryPusher(client);
  const pushed = await pusher.putManifest(digestOf(manifest), manifest, OCI_MANIFEST);
  if (pushed.subject === subject) return { ...pushed, indexedBy: 'api' };
  const tagPath = `/v2/${client.ref.repository}/manifests/${referrersTag(subject)}`;
  const existing = await optionalManifest(client, tagPath);
  const index = existing ? parseIndex(client, existing.body, `tag ${referrersTag(subject)}`).index : { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
  const manifests = Array.isArray(index.manifests) ? [...(index.manifests as unknown[])] : [];
  if (!manifests.some((m) => (m as { digest?: unknown })?.digest === pushed.digest)) {
    manifests.push({ mediaType: OCI_MANIFEST, digest: pushed.digest, size: pushed.size, artifactType, ...(Object.keys(annotations).length ? { annotations } : {}) });
  }
  const updated = Buffer.from(JSON.stringify({ ...index, schemaVersion: 2, mediaType: OCI_INDEX, manifests }), 'utf8');
  await pusher.putManifest(referrersTag(subject), updated, OCI_INDEX);
  return { ...pushed, indexedBy: 'tag' };
}

// Attestations in the registry: stored as OCI 1.1 referrers of the image manifest (an artifact
// manifest holding the Sigstore bundle as its one layer, in the layout cosign's bundle format
// uses), found again through the referrers API or its tag-schema fallback.
import { PortcullisError } from '../errors.js';
import { digestOf } from '../image/digest.js';
import { OCI_CONFIG, OCI_MANIFEST } from '../image/media-types.js';
import { RegistryClient, type RegistryOptions } from '../image/registry/client.js';
import { openRegistryImage } from '../image/registry/open.js';
import { RegistryPusher } from '../image/registry/push.js';
import { formatReference, parseReference, type RegistryReference } from '../image/registry/reference.js';
import { listReferrers, optionalManifest, pushReferrer, type AttachedReferrer } from '../image/registry/referrers.js';
import type { Platform } from '../image/platform.js';
import { BUNDLE_V03_MEDIA_TYPE, DSSE_MEDIA_TYPE, parseAttestation } from './bundle.js';
import type { Candidate } from './verify.js';

export const EMPTY_CONFIG = { mediaType: 'application/vnd.oci.empty.v1+json', data: Buffer.from('{}') };
/** How many referrers are read for one image at most (newest listed last is not guaranteed). */
export const MAX_ATTESTATIONS = 100;
/** One attestation blob (a VSA bundle is a few KiB; a vuln record with many findings, more). */
export const MAX_ATTESTATION_BYTES = 4 * 1024 * 1024;
/** All attestation blobs read for one image together: a hostile registry gets bounded memory. */
export const MAX_ATTESTATIONS_TOTAL_BYTES = 64 * 1024 * 1024;

export interface ResolvedImage {
  ref: RegistryReference;
  /** The image manifest digest (an index is narrowed to one platform, as scans do). */
  digest: string;
}

/** Resolves a reference to the digest of the image manifest a scan of it reads. */
export async function resolveImageDigest(text: string, platform: Platform | undefined, opts: RegistryOptions): Promise<ResolvedImage> {
  const ref = parseReference(text);
  const image = await openRegistryImage(text, ref, platform, opts);
  try {
    return { ref, digest: image.metadata.manifestDigest! };
  } finally {
    await image.close();
  }
}

/** cosign's attestation tag for a subject: `sha256-<hex>.att` (cosign specs/ATTESTATION_SPEC.md). */
export function cosignAttestationTag(digest: string): string {
  return `${digest.replace(':', '-')}.att`;
}

/** Layers of the `.att` manifest beyond which a hostile or runaway tag is not read. */
const MAX_COSIGN_LAYERS = 100;

interface LayerDescriptor {
  mediaType?: unknown;
  digest?: unknown;
  size?: unknown;
  annotations?: unknown;
}

function manifestLayers(body: Buffer): LayerDescriptor[] {
  try {
    const json = JSON.parse(body.toString('utf8')) as { layers?: unknown };
    return Array.isArray(json.layers) ? (json.layers as LayerDescriptor[]).slice(0, MAX_COSIGN_LAYERS) : [];
  } catch {
    return [];
  }
}

/**
 * Adds the DSSE envelope as a layer of the image's cosign attestation manifest (the
 * `sha256-<hex>.att` tag), the layout cosign 2.x, Kyverno `type: Cosign` and sigstore
 * policy-controller read attestations from. Layers of other predicate types are kept.
 */
async function pushCosignTag(client: RegistryClient, digest: string, envelopeJson: Buffer, predicateType: string, timeVerified: string): Promise<string> {
  const pusher = new RegistryPusher(client);
  const tag = cosignAttestationTag(digest);
  const path = `/v2/${client.ref.repository}/manifests/${tag}`;
  const existing = await optionalManifest(client, path, `${OCI_MANIFEST}, application/vnd.docker.distribution.manifest.v2+json`);
  // The tag holds the newest verdict (by timeVerified) of each predicate type: admission
  // controllers reading it (Kyverno) require every statement of a type to pass, so a superseded
  // FAILED or expired verdict would block for ever. The referrers keep the full history.
  const kept: LayerDescriptor[] = [];
  const at = Date.parse(timeVerified);
  for (const l of existing ? manifestLayers(existing.body) : []) {
    if ((l.annotations as Record<string, unknown> | undefined)?.predicateType !== predicateType) {
      kept.push(l);
      continue;
    }
    if (typeof l.digest !== 'string' || typeof l.size !== 'number') continue;
    const other = Date.parse(String(await envelopeTime(client, l.digest, l.size)));
    if (other > at) return existing ? digestOf(existing.body) : ''; // a newer verdict is already there
  }
  const layerDigest = await pusher.pushBlob(envelopeJson);
  const layers = [...kept, { mediaType: DSSE_MEDIA_TYPE, digest: layerDigest, size: envelopeJson.length, annotations: { 'dev.cosignproject.cosign/signature': '', predicateType } }];
  const config = Buffer.from(JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }), 'utf8');
  const configDigest = await pusher.pushBlob(config);
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, size: config.length, digest: configDigest }, layers };
  return (await pusher.putManifest(tag, Buffer.from(JSON.stringify(manifest), 'utf8'), OCI_MANIFEST)).digest;
}

/** The `timeVerified` an envelope layer claims (unverified: only an ordering hint), or undefined. */
async function envelopeTime(client: RegistryClient, digest: string, size: number): Promise<unknown> {
  try {
    const { envelope } = parseAttestation((await client.getBlob(digest, size, 'attestation')).toString('utf8'), digest);
    return (JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { predicate?: { timeVerified?: unknown } }).predicate?.timeVerified;
  } catch (err) {
    if (err instanceof PortcullisError || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/**
 * Stores a signed attestation (Sigstore bundle JSON) as a referrer of `digest` in `ref`'s
 * repository, and its DSSE envelope under cosign's `.att` tag (unless `cosignTag` is false).
 * Returns the artifact manifest's digest.
 */
export async function pushAttestation(
  ref: RegistryReference,
  digest: string,
  bundleJson: Buffer,
  predicateType: string,
  created: string,
  opts: RegistryOptions,
  cosignTag = true,
): Promise<AttachedReferrer & { cosignManifest?: string }> {
  const client = new RegistryClient({ ...ref, digest, tag: undefined } as RegistryReference, { ...opts, push: true });
  try {
    const subject = await client.getManifest(digest);
    const pusher = new RegistryPusher(client);
    const configDigest = await pusher.pushBlob(EMPTY_CONFIG.data);
    const layerDigest = await pusher.pushBlob(bundleJson);
    const annotations = {
      'org.opencontainers.image.created': created,
      'dev.sigstore.bundle.content': 'dsse-envelope',
      'dev.sigstore.bundle.predicateType': predicateType,
    };
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: BUNDLE_V03_MEDIA_TYPE,
      config: { mediaType: EMPTY_CONFIG.mediaType, digest: configDigest, size: EMPTY_CONFIG.data.length, data: EMPTY_CONFIG.data.toString('base64') },
      layers: [{ mediaType: BUNDLE_V03_MEDIA_TYPE, digest: layerDigest, size: bundleJson.length, annotations: { 'org.opencontainers.image.title': `${layerDigest.replace(':', '-')}.sigstore.json` } }],
      subject: { mediaType: subject.mediaType ?? OCI_MANIFEST, digest, size: subject.body.length },
      annotations,
    };
    const attached = await pushReferrer(client, Buffer.from(JSON.stringify(manifest), 'utf8'), digest, BUNDLE_V03_MEDIA_TYPE, annotations);
    if (!cosignTag) return attached;
    const envelope = parseAttestation(bundleJson.toString('utf8'), 'attestation').envelope;
    const cosignManifest = await pushCosignTag(client, digest, Buffer.from(JSON.stringify(envelope), 'utf8'), predicateType, created);
    return { ...attached, cosignManifest };
  } finally {
    await client.close();
  }
}

/** The attestations stored as referrers of `digest`: every bundle, its bytes digest-verified. */
export async function fetchAttestations(ref: RegistryReference, digest: string, opts: RegistryOptions): Promise<{ candidates: Candidate[]; via: string; skipped: number }> {
  const client = new RegistryClient({ ...ref, digest, tag: undefined } as RegistryReference, opts);
  try {
    const listing = await listReferrers(client, digest);
    const bundles = listing.referrers.filter((r) => r.artifactType === BUNDLE_V03_MEDIA_TYPE || r.artifactType === 'application/vnd.dsse.envelope.v1+json');
    const candidates: Candidate[] = [];
    let skipped = 0;
    let budget = MAX_ATTESTATIONS_TOTAL_BYTES;
    const affordable = (size: number): boolean => {
      if (size > MAX_ATTESTATION_BYTES || size > budget) return false;
      budget -= size;
      return true;
    };
    for (const r of bundles.slice(-MAX_ATTESTATIONS)) {
      const where = `${formatReference({ ...ref, tag: undefined, digest: r.digest } as RegistryReference)}`;
      const m = await client.getManifest(r.digest);
      let layers: { mediaType?: unknown; digest?: unknown; size?: unknown }[] = [];
      try {
        const json = JSON.parse(m.body.toString('utf8')) as { layers?: unknown };
        layers = Array.isArray(json.layers) ? (json.layers as typeof layers) : [];
      } catch {
        skipped++;
        continue;
      }
      const layer = layers[0];
      if (!layer || typeof layer.digest !== 'string' || typeof layer.size !== 'number' || !affordable(layer.size)) {
        skipped++;
        continue;
      }
      const blob = await client.getBlob(layer.digest, layer.size, 'attestation');
      try {
        candidates.push({ envelope: parseAttestation(blob.toString('utf8'), where).envelope, where });
      } catch (err) {
        if (!(err instanceof PortcullisError)) throw err;
        skipped++;
      }
    }
    // cosign's `.att` tag: DSSE envelopes as layers (written by us, cosign or other tools).
    const att = await optionalManifest(client, `/v2/${client.ref.repository}/manifests/${cosignAttestationTag(digest)}`, `${OCI_MANIFEST}, application/vnd.docker.distribution.manifest.v2+json`);
    for (const layer of att ? manifestLayers(att.body) : []) {
      if (layer.mediaType !== DSSE_MEDIA_TYPE || typeof layer.digest !== 'string' || typeof layer.size !== 'number') continue;
      if (!affordable(layer.size)) {
        skipped++;
        continue;
      }
      const where = `${formatReference({ ...ref, digest: undefined, tag: cosignAttestationTag(digest) } as RegistryReference)} layer ${layer.digest}`;
      const blob = await client.getBlob(layer.digest, layer.size, 'attestation');
      try {
        candidates.push({ envelope: parseAttestation(blob.toString('utf8'), where).envelope, where });
      } catch (err) {
        if (!(err instanceof PortcullisError)) throw err;
        skipped++;
      }
    }
    // The same envelope is usually stored both ways: judge it once.
    const seen = new Set<string>();
    const unique = candidates.filter((c) => {
      const key = `${c.envelope.payloadType}\n${c.envelope.payload}\n${c.envelope.signatures.map((s) => s.sig).join(',')}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return { candidates: unique, via: att ? `${listing.via}+cosign-tag` : listing.via, skipped };
  } finally {
    await client.close();
  }
}


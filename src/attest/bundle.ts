// The signed forms of a Statement: a bare DSSE envelope, and a Sigstore bundle v0.3 holding that
// envelope with a public-key hint (the bring-your-own-key form; keyless signing would add a
// Fulcio certificate and a Rekor entry to the same bundle's verificationMaterial).
import { PortcullisError } from '../errors.js';
import { lazyRequire } from '../util/lazy-require.js';
import { envelopeProblem, IN_TOTO_PAYLOAD_TYPE, signEnvelope, type DsseEnvelope } from './dsse.js';
import type { SigningKey } from './keys.js';
import type { Statement } from './statement.js';

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';

const sigstoreBundle = lazyRequire<typeof import('@sigstore/bundle')>('@sigstore/bundle');

export interface SignedAttestation {
  envelope: DsseEnvelope;
  /** The Sigstore bundle (JSON form). */
  bundle: Record<string, unknown>;
}

/** Serialises the statement once (the signed bytes), signs it, and wraps it both ways. */
export function signStatement(statement: Statement<unknown>, key: SigningKey): SignedAttestation {
  const payload = Buffer.from(JSON.stringify(statement), 'utf8');
  const envelope = signEnvelope(key, IN_TOTO_PAYLOAD_TYPE, payload);
  return { envelope, bundle: bundleOf(envelope) };
}

/** A Sigstore bundle v0.3 around a DSSE envelope signed by a key the verifier already holds. */
export function bundleOf(envelope: DsseEnvelope): Record<string, unknown> {
  const sig = envelope.signatures[0]!;
  const b = sigstoreBundle().toDSSEBundle({
    artifact: Buffer.from(envelope.payload, 'base64'),
    artifactType: envelope.payloadType,
    signature: Buffer.from(sig.sig, 'base64'),
    keyHint: sig.keyid ?? '',
  });
  return sigstoreBundle().bundleToJSON(b) as unknown as Record<string, unknown>;
}

export type AttestationForm = 'bundle' | 'dsse';

/**
 * Reads an attestation file's JSON: a Sigstore bundle (v0.1-v0.3, DSSE content) or a bare DSSE
 * envelope. Problems are one line naming `where`, never quoting content.
 */
export function parseAttestation(text: string, where: string): { form: AttestationForm; envelope: DsseEnvelope } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PortcullisError('not JSON: expected a Sigstore bundle or a DSSE envelope', { subject: where });
  }
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (typeof o.mediaType === 'string' && o.mediaType.startsWith('application/vnd.dev.sigstore.bundle')) {
    const lib = sigstoreBundle();
    let parsed;
    try {
      parsed = lib.bundleFromJSON(json);
    } catch (err) {
      const field = err instanceof lib.ValidationError && err.fields?.length ? ` (${err.fields.join(', ').slice(0, 120)})` : '';
      throw new PortcullisError(`not a valid Sigstore bundle${field}`, { subject: where });
    }
    if (parsed.content.$case !== 'dsseEnvelope') throw new PortcullisError('the Sigstore bundle holds a message signature, not a DSSE attestation', { subject: where });
    const e = parsed.content.dsseEnvelope;
    return {
      form: 'bundle',
      envelope: {
        payloadType: e.payloadType,
        payload: Buffer.from(e.payload).toString('base64'),
        signatures: e.signatures.map((s) => ({ keyid: s.keyid, sig: Buffer.from(s.sig).toString('base64') })),
      },
    };
  }
  const problem = envelopeProblem(json);
  if (problem) throw new PortcullisError(`neither a Sigstore bundle nor a DSSE envelope: ${problem}`, { subject: where });
  return { form: 'dsse', envelope: json as DsseEnvelope };
}

// DSSE (Dead Simple Signing Envelope) v1: the pre-authentication encoding, signing and checking.
// ECDSA P-256 signatures are ASN.1 DER over SHA-256 (as cosign and sigstore-js write them);
// Ed25519 signs the PAE itself.
import { sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import type { SigningKey, VerifyingKey } from './keys.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseSignature {
  keyid?: string;
  sig: string;
}

/** The JSON form: payload and signatures base64 (standard alphabet). */
export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: DsseSignature[];
}

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body (lengths in ASCII decimal bytes). */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

function digestFor(algorithm: SigningKey['algorithm']): string | null {
  return algorithm === 'ed25519' ? null : 'sha256';
}

export function signPae(key: SigningKey, payloadType: string, payload: Buffer): Buffer {
  return cryptoSign(digestFor(key.algorithm), preAuthEncoding(payloadType, payload), key.privateKey);
}

export function signEnvelope(key: SigningKey, payloadType: string, payload: Buffer): DsseEnvelope {
  const sig = signPae(key, payloadType, payload);
  return { payloadType, payload: payload.toString('base64'), signatures: [{ keyid: key.keyId, sig: sig.toString('base64') }] };
}

/** True when any of the envelope's signatures verifies with `key` over PAE(payloadType, payload). */
export function envelopeSignedBy(envelope: DsseEnvelope, key: VerifyingKey): boolean {
  const payload = Buffer.from(envelope.payload, 'base64');
  const pae = preAuthEncoding(envelope.payloadType, payload);
  return envelope.signatures.some((s) => {
    const sig = Buffer.from(s.sig, 'base64');
    if (sig.length === 0) return false;
    try {
      return cryptoVerify(digestFor(key.algorithm), pae, key.publicKey, sig);
    } catch {
      return false;
    }
  });
}

const B64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Shape-checks a parsed JSON value as a DSSE envelope; returns a one-line problem or undefined. */
export function envelopeProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const e = v as Record<string, unknown>;
  if (typeof e.payloadType !== 'string' || e.payloadType === '') return 'payloadType is missing';
  if (typeof e.payload !== 'string' || !B64.test(e.payload)) return 'payload is not base64';
  if (!Array.isArray(e.signatures) || e.signatures.length === 0) return 'no signatures';
  for (const s of e.signatures) {
    if (typeof s !== 'object' || s === null || typeof (s as DsseSignature).sig !== 'string' || !B64.test((s as DsseSignature).sig)) return 'a signature is not base64';
    const keyid = (s as DsseSignature).keyid;
    if (keyid !== undefined && typeof keyid !== 'string') return 'a keyid is not a string';
  }
  return undefined;
}

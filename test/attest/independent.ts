// Checks written here, independently of src/attest: the DSSE pre-authentication encoding and
// signature check straight from the DSSE protocol text, and @sigstore/verify (the Sigstore
// project's verifier) over the bundle with the public key as trust material.
import { createHash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, Verifier, type TrustMaterial } from '@sigstore/verify';

/** "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths as ASCII decimal byte counts. */
export function pae(type: string, body: Buffer): Buffer {
  const t = Buffer.from(type);
  return Buffer.concat([Buffer.from('DSSEv1 '), Buffer.from(String(t.length)), Buffer.from(' '), t, Buffer.from(' '), Buffer.from(String(body.length)), Buffer.from(' '), body]);
}

/** The envelope's first signature, checked with node:crypto over pae(); no src/ code involved. */
export function dsseVerifies(envelope: { payloadType: string; payload: string; signatures: { sig: string }[] }, key: KeyObject): boolean {
  const data = pae(envelope.payloadType, Buffer.from(envelope.payload, 'base64'));
  const algorithm = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return cryptoVerify(algorithm, data, key, Buffer.from(envelope.signatures[0]!.sig, 'base64'));
}

export function keyHint(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** @sigstore/verify over a bundle (JSON), trusting exactly `key` under its hint; throws when it fails. */
export function sigstoreVerify(bundleJson: unknown, key: KeyObject): void {
  const bundle = bundleFromJSON(bundleJson);
  const trust: TrustMaterial = {
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
    publicKey: (hint: string) => {
      if (hint !== keyHint(key)) throw new Error(`unknown key hint ${hint}`);
      return { publicKey: key, validFor: () => true };
    },
  };
  // No transparency log, no timestamps: a bring-your-own-key bundle has neither.
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle));
}

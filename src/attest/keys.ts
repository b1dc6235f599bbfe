// Signing and verification keys: PEM (ECDSA P-256 or Ed25519) from a file, an environment variable
// (`env:NAME`) or an open file descriptor (`fd:N`). Key bytes never reach a message, a log or a
// report; errors name only where the key was looked for.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PortcullisError } from '../errors.js';

export type KeyAlgorithm = 'ecdsa-p256' | 'ed25519';

export interface SigningKey {
  algorithm: KeyAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** sha256 of the public key's SPKI DER, hex: the DSSE `keyid` and the bundle's key hint. */
  keyId: string;
}

export interface VerifyingKey {
  algorithm: KeyAlgorithm;
  publicKey: KeyObject;
  keyId: string;
}

const MAX_KEY_BYTES = 64 * 1024;
/** Where an encrypted private key's passphrase is read from (never argv). */
export const KEY_PASSPHRASE_ENV = 'PORTCULLIS_KEY_PASSPHRASE';

export interface KeySourceOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The flag named in errors (`--key`). */
  flag?: string;
}

/** `env:NAME` | `fd:N` | `file:PATH` | PATH → the PEM text, and a printable name of where it came from. */
export function readKeySource(spec: string, opts: KeySourceOptions = {}): { pem: string; origin: string } {
  const flag = opts.flag ?? '--key';
  const env = opts.env ?? process.env;
  let data: Buffer;
  let origin: string;
  if (spec.startsWith('env:')) {
    const name = spec.slice(4);
    origin = `environment variable ${name}`;
    const value = env[name];
    if (value === undefined || value === '') throw new PortcullisError(`${flag}: ${origin} is not set or empty`);
    data = Buffer.from(value, 'utf8');
  } else if (spec.startsWith('fd:')) {
    const n = spec.slice(3);
    if (!/^\d+$/.test(n)) throw new PortcullisError(`${flag}: "fd:${n}" is not a file descriptor number`);
    origin = `file descriptor ${n}`;
    try {
      data = readFileSync(Number(n));
    } catch (err) {
      throw new PortcullisError(`${flag}: cannot read ${origin} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else {
    const path = resolve(opts.cwd ?? process.cwd(), spec.startsWith('file:') ? spec.slice(5) : spec);
    origin = path;
    try {
      data = readFileSync(path);
    } catch (err) {
      throw new PortcullisError(`${flag}: cannot read the key file (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { subject: path });
    }
  }
  if (data.length > MAX_KEY_BYTES) throw new PortcullisError(`${flag}: ${origin} is larger than ${MAX_KEY_BYTES} bytes: not a PEM key`);
  return { pem: data.toString('utf8'), origin };
}

function algorithmOf(key: KeyObject, flag: string, origin: string): KeyAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  const what = key.asymmetricKeyType === 'ec' ? `ec ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim() : (key.asymmetricKeyType ?? 'unknown');
  throw new PortcullisError(`${flag}: ${origin} holds a ${what} key; portcullis signs with ECDSA P-256 or Ed25519`);
}

/** The key id: sha256 (hex) of the public key's SubjectPublicKeyInfo DER. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

export function publicKeyPem(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

/** A private key (PKCS#8 or SEC1 PEM; encrypted PKCS#8 with $PORTCULLIS_KEY_PASSPHRASE). */
export function loadSigningKey(spec: string, opts: KeySourceOptions = {}): SigningKey {
  const { pem, origin } = readKeySource(spec, opts);
  return signingKeyFromPem(pem, origin, opts);
}

/** A private key from PEM text already in hand (a Dagger Secret); `origin` names it in errors. */
export function signingKeyFromPem(pem: string, origin: string, opts: KeySourceOptions = {}): SigningKey {
  const flag = opts.flag ?? '--key';
  if (/-----BEGIN [A-Z ]*SIGSTORE PRIVATE KEY-----/.test(pem)) {
    throw new PortcullisError(`${flag}: ${origin} is a cosign-encrypted key; export it as PKCS#8 PEM (see docs/attestations.md)`);
  }
  const passphrase = (opts.env ?? process.env)[KEY_PASSPHRASE_ENV];
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem', ...(passphrase ? { passphrase } : {}) });
  } catch (err) {
    // Never the parser's text: it could quote key material.
    const encrypted = /ENCRYPTED/.test(pem);
    throw new PortcullisError(
      encrypted
        ? `${flag}: ${origin} is an encrypted key that could not be decrypted (set ${KEY_PASSPHRASE_ENV})`
        : `${flag}: ${origin} is not a PEM private key${/PUBLIC KEY/.test(pem) ? ' (it is a public key)' : ''}`,
      { cause: (err as { code?: unknown }).code },
    );
  }
  const algorithm = algorithmOf(privateKey, flag, origin);
  const publicKey = createPublicKey(privateKey);
  return { algorithm, privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/** A public key (SPKI PEM); a private key is accepted too and its public half used. */
export function loadVerifyingKey(spec: string, opts: KeySourceOptions = {}): VerifyingKey {
  const flag = opts.flag ?? '--key';
  const { pem, origin } = readKeySource(spec, opts);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new PortcullisError(`${flag}: ${origin} is not a PEM public key`);
  }
  return { algorithm: algorithmOf(publicKey, flag, origin), publicKey, keyId: keyIdOf(publicKey) };
}

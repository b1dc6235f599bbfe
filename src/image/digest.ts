// Content digests (`algorithm:hex`) as OCI defines them; only sha256 and sha512 are accepted.
import { createHash, type Hash } from 'node:crypto';
import { ImageError } from '../errors.js';

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST_RE.test(value);
}

/** Validates a digest read from image metadata; `subject` names the file it came from. */
export function checkDigest(value: unknown, subject: string, what: string): string {
  if (!isDigest(value)) {
    // The value itself is not shown (it comes from the input); its algorithm is, when it has one.
    const alg = typeof value === 'string' ? /^([a-z0-9]{1,16})[+._-]?[a-z0-9]*:/.exec(value)?.[1] : undefined;
    throw new ImageError(`${what} has an invalid or unsupported digest${alg ? ` (algorithm ${alg})` : typeof value === 'string' ? '' : ` (a ${value === null ? 'null' : typeof value})`}`, { subject });
  }
  return value;
}

export function digestAlgorithm(digest: string): 'sha256' | 'sha512' {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function hasherFor(digest: string): Hash {
  return createHash(digestAlgorithm(digest));
}

export function digestOf(data: Buffer, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** `blobs/<alg>/<hex>`: where a layout stores a blob. */
export function blobPath(digest: string): string {
  const i = digest.indexOf(':');
  return `blobs/${digest.slice(0, i)}/${digest.slice(i + 1)}`;
}

/** The digest a path names when it is `blobs/<alg>/<hex>` or `<hex>.tar|.json` (docker save), else undefined. */
export function digestFromPath(path: string): string | undefined {
  let m = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(path);
  if (m && isDigest(`${m[1]}:${m[2]}`)) return `${m[1]}:${m[2]}`;
  m = /^([a-f0-9]{64})(\.tar|\.json)?$/.exec(path);
  if (m) return `sha256:${m[1]}`;
  return undefined;
}

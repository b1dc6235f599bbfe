// One cache entry as bytes, the same on disk and in Redis: magic `PCLC`, format version, the key,
// the data, and an HMAC-SHA256 over all of it keyed by the cache secret (secret.ts). Whoever can
// write entries but does not hold the secret cannot make one that verifies, and an entry copied to
// another key fails too (the key is inside the MAC).
import { createHmac, timingSafeEqual } from 'node:crypto';

/** `PCLC` + format version; bump the version when the layout below changes. */
const MAGIC = Buffer.from('PCLC');
/** 1: SHA-256 checksum (anyone could recompute it); 2: HMAC-SHA256 with the cache secret. */
export const CACHE_FORMAT_VERSION = 2;
// magic(4) version(1) reserved(3) keyLength(4) dataLength(8) hmac(32), then key, then data.
export const ENTRY_HEADER = 4 + 1 + 3 + 4 + 8 + 32;
const MAC_AT = 20;
export const MAX_KEY = 64 * 1024;

export const lengthOf = (data: Buffer | readonly Buffer[]): number =>
  Buffer.isBuffer(data) ? data.length : data.reduce((n, b) => n + b.length, 0);

function mac(secret: Buffer, head: Buffer, key: Buffer, data: Buffer | readonly Buffer[]): Buffer {
  const h = createHmac('sha256', secret).update(head.subarray(0, MAC_AT)).update(key);
  for (const part of Buffer.isBuffer(data) ? [data] : data) h.update(part);
  return h.digest();
}

/** An entry as the parts to write in order: header, key, then the data as given (never copied). */
export function encodeEntryParts(secret: Buffer, key: string, data: Buffer | readonly Buffer[]): Buffer[] {
  const k = Buffer.from(key, 'utf8');
  const head = Buffer.alloc(ENTRY_HEADER);
  MAGIC.copy(head, 0);
  head.writeUInt8(CACHE_FORMAT_VERSION, 4);
  head.writeUInt32BE(k.length, 8);
  head.writeBigUInt64BE(BigInt(lengthOf(data)), 12);
  mac(secret, head, k, data).copy(head, MAC_AT);
  return [head, k, ...(Buffer.isBuffer(data) ? [data] : data)];
}

/**
 * `malformed`: not an entry of this format for this key (damaged, truncated, another version);
 * `unauthenticated`: well formed for this key, but its MAC does not verify (another key, or forged).
 */
export type DecodedEntry = { data: Buffer } | 'malformed' | 'unauthenticated';

export function decodeEntry(secret: Buffer, key: string, entry: Buffer): DecodedEntry {
  if (entry.length < ENTRY_HEADER || !entry.subarray(0, 4).equals(MAGIC) || entry.readUInt8(4) !== CACHE_FORMAT_VERSION) return 'malformed';
  const keyLength = entry.readUInt32BE(8);
  const dataLength = entry.readBigUInt64BE(12);
  if (keyLength > MAX_KEY || BigInt(entry.length) !== BigInt(ENTRY_HEADER + keyLength) + dataLength) return 'malformed';
  const k = entry.subarray(ENTRY_HEADER, ENTRY_HEADER + keyLength);
  if (k.toString('utf8') !== key) return 'malformed';
  const data = entry.subarray(ENTRY_HEADER + keyLength);
  if (!timingSafeEqual(mac(secret, entry, k, data), entry.subarray(MAC_AT, ENTRY_HEADER))) return 'unauthenticated';
  return { data };
}

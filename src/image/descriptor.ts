// OCI content descriptors as read (and validated) from index / manifest JSON.
import { ImageError } from '../errors.js';
import { checkDigest } from './digest.js';
import type { Platform } from './platform.js';

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations: Record<string, string>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseDescriptor(v: unknown, what: string, subject: string): Descriptor {
  if (!isObject(v)) throw new ImageError(`${what} is not a descriptor object`, { subject });
  const digest = checkDigest(v.digest, subject, what);
  const size = v.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new ImageError(`${what} has an invalid size${typeof size === 'number' ? ` ${size}` : ` (a ${size === null ? 'null' : typeof size})`}`, { subject });
  }
  const d: Descriptor = { digest, size, annotations: {} };
  if (typeof v.mediaType === 'string') d.mediaType = v.mediaType;
  if (isObject(v.annotations)) {
    for (const [k, val] of Object.entries(v.annotations)) if (typeof val === 'string') d.annotations[k] = val;
  }
  const p = v.platform;
  if (isObject(p) && typeof p.os === 'string' && typeof p.architecture === 'string') {
    d.platform = { os: p.os, architecture: p.architecture, ...(typeof p.variant === 'string' && p.variant ? { variant: p.variant } : {}) };
  }
  return d;
}

export function parseDescriptorList(v: unknown, what: string, subject: string): Descriptor[] {
  if (!Array.isArray(v)) throw new ImageError(`${what} is missing or not an array`, { subject });
  return v.map((item, i) => parseDescriptor(item, `${what}[${i}]`, subject));
}

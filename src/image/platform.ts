// Platforms (`os/arch[/variant]`): parsing the --platform flag and matching image descriptors, with
// the usual normalisation (x86_64 = amd64, aarch64 = arm64, arm64 defaults to v8, arm to v7).
import { PortcullisError } from '../errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const ARCH_ALIASES: Record<string, Platform['architecture']> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  i686: '386',
  i386: '386',
  armhf: 'arm',
  armel: 'arm',
};

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** Lower-cases, maps aliases and fills default variants, so equal platforms compare equal. */
export function normalisePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  const rawArch = p.architecture.toLowerCase();
  const architecture = ARCH_ALIASES[rawArch] ?? rawArch;
  let variant = p.variant?.toLowerCase() || undefined;
  if (rawArch === 'armel' && !variant) variant = 'v6';
  if (architecture === 'arm64' && (!variant || variant === '8')) variant = 'v8';
  if (architecture === 'arm' && !variant) variant = 'v7';
  if (architecture === 'arm' && variant && /^\d$/.test(variant)) variant = `v${variant}`;
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** Parses `os/arch[/variant]`; a malformed value is a PortcullisError. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) {
    throw new PortcullisError(`invalid platform ${JSON.stringify(text)}: expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8`);
  }
  return { os: parts[0]!, architecture: parts[1]!, ...(parts[2] ? { variant: parts[2] } : {}) };
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/**
 * Does `candidate` (from an index / config) satisfy `wanted` (from the user)? OS and architecture
 * must match after normalisation; the variant must match when the user named one, or differ only
 * by an implied default.
 */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  const w = normalisePlatform(wanted);
  const c = normalisePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture) return false;
  if (wanted.variant === undefined) return true;
  return w.variant === c.variant;
}

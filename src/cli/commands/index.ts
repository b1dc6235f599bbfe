import type { Command } from '../command.js';

/** Each command loads lazily so `portcullis version compare` does not pay for SQLite or ajv. */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  scan: { summary: 'Scan an image for vulnerabilities and gate it by policy', load: async () => (await import('./scan.js')).default },
  sbom: { summary: 'Inventory the packages of an image (native JSON, CycloneDX, SPDX or a table)', load: async () => (await import('./sbom.js')).default },
  db: { summary: 'Manage the vulnerability database (import, update, status, serve)', load: async () => (await import('./db.js')).default },
  policy: { summary: 'Validate, test and explain policies', load: async () => (await import('./policy.js')).default },
  version: { summary: 'Compare versions as an ecosystem does (debugging matches)', load: async () => (await import('./version.js')).default },
  attest: { summary: 'Attach a signed gate verdict to an image in its registry', load: async () => (await import('./attest.js')).default },
  verify: { summary: 'Check at deploy time that an image carries a signed PASSED verdict', load: async () => (await import('./verify.js')).default },
  cache: { summary: 'Manage the layer cache', load: async () => (await import('./cache.js')).default },
};

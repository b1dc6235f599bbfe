// The policy a verdict was reached under, as digests: sha256 of each policy file's bytes (the
// shipped default for `builtin:default`), and one digest for the set, so a deploy stage can pin it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { PortcullisError } from '../errors.js';
import { shippedPolicy } from '../policy/package-root.js';
import { TOOL_VERSION } from '../version-info.js';

export interface PolicyFileDigest {
  /** `file:RELATIVE/PATH` (relative to the working directory when inside it), or the shipped policy's purl. */
  uri: string;
  /** sha256 hex of the file's bytes. */
  sha256: string;
}

export interface PolicyDigest {
  uri: string;
  /** One file: that file's sha256 (so `sha256sum policy.yaml` gives it); several: policySetDigest. */
  sha256: string;
  files: PolicyFileDigest[];
}

/** The policy uri when several files were applied (each file is listed with its own digest). */
export const POLICY_SET_URI = 'urn:portcullis:policy-set';
const BUILTIN = /^builtin:([a-z0-9-]+)$/;
const MAX_POLICY_BYTES = 4 * 1024 * 1024;

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Several files: sha256 over the lines `<sha256hex>  <n>` (n = position, from 0), in the order
 * the policies were applied: the order matters (a later file's exception can lift an earlier
 * rule), the file names do not.
 */
export function policySetDigest(files: readonly { sha256: string }[]): string {
  return sha256(files.map((f, i) => `${f.sha256}  ${i}\n`).join(''));
}

/** Digests of the policies a Decision names (`decision.policies`: paths or `builtin:NAME`). */
export function digestPolicies(policies: readonly string[], cwd: string): PolicyDigest {
  if (policies.length === 0) throw new PortcullisError('no policy was applied: an attestation needs the policy the verdict was reached under');
  const files = policies.map((p): PolicyFileDigest => {
    const builtin = BUILTIN.exec(p);
    const path = builtin ? shippedPolicy(builtin[1]!) : resolve(cwd, p);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new PortcullisError(`cannot read the policy file to digest it (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { subject: path });
    }
    if (bytes.length > MAX_POLICY_BYTES) throw new PortcullisError('policy file is too large', { subject: path });
    if (builtin) return { uri: `pkg:npm/portcullis@${TOOL_VERSION}#policies/${builtin[1]}.yaml`, sha256: sha256(bytes) };
    const rel = relative(cwd, path);
    const shown = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
    return { uri: `file:${shown.split('\\').join('/')}`, sha256: sha256(bytes) };
  });
  if (files.length === 1) return { uri: files[0]!.uri, sha256: files[0]!.sha256, files };
  return { uri: POLICY_SET_URI, sha256: policySetDigest(files), files };
}

/** `sha256:HEX` or `HEX` → HEX (lower case); undefined when it is neither. */
export function normalisePolicyDigest(text: string): string | undefined {
  const hex = text.trim().toLowerCase().replace(/^sha256:/, '');
  return /^[a-f0-9]{64}$/.test(hex) ? hex : undefined;
}

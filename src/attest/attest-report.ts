// One step from a decided Report to what the shells write and push: the VSA statement, signed
// (when a key is given) as a DSSE envelope inside a Sigstore bundle.
import type { Report } from '../model/report.js';
import { signStatement, type SignedAttestation } from './bundle.js';
import type { SigningKey } from './keys.js';
import { digestPolicies } from './policy-digest.js';
import { buildVsa, type VsaStatement } from './vsa.js';

export interface AttestOptions {
  /** Without a key the statement is produced unsigned (for an external signer such as cosign). */
  key?: SigningKey;
  /** Where relative policy paths of the decision are resolved. */
  cwd: string;
  now?: Date;
}

export interface AttestResult {
  statement: VsaStatement;
  signed?: SignedAttestation;
}

export function attestReport(report: Report, opts: AttestOptions): AttestResult {
  const policy = digestPolicies(report.decision?.policies ?? [], opts.cwd);
  const statement = buildVsa(report, policy, opts.now);
  return { statement, ...(opts.key ? { signed: signStatement(statement, opts.key) } : {}) };
}

// Judging an image's attestations at deploy time: which are signed by the key, about this image's
// digest, of the VSA type; the newest such verdict decides (a later FAILED revokes an earlier
// PASSED); then its result, policy and age. Exit 0 verified, 1 present but not acceptable, 2 none
// usable (or an error). Pure: the registry part is oci.ts.
import { envelopeSignedBy, IN_TOTO_PAYLOAD_TYPE, type DsseEnvelope } from './dsse.js';
import type { VerifyingKey } from './keys.js';
import { statementProblem, subjectMatches, type Statement } from './statement.js';
import { VSA_PREDICATE_TYPE, type VsaPredicate } from './vsa.js';

export const EXIT_VERIFIED = 0;
export const EXIT_REJECTED = 1;
export const EXIT_UNVERIFIED = 2;

/** A verdict's time may be this far ahead of the verifier's clock (clock skew between CI and deploy). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface VerifyCriteria {
  key: VerifyingKey;
  /** The image manifest digest the attestations must be about. */
  digest: string;
  /** sha256 hex the verdict's `policy.digest.sha256` must equal. */
  policyDigest?: string;
  maxAgeMs?: number;
  now?: Date;
}

export interface Candidate {
  envelope: DsseEnvelope;
  /** Where it was found (referrer manifest digest, file), for messages. */
  where: string;
}

export interface VerifyOutcome {
  code: 0 | 1 | 2;
  line: string;
  statement?: Statement<VsaPredicate>;
}

function formatAge(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 48 ? `${Math.round(h / 24)}d` : h >= 1 ? `${Math.round(h)}h` : `${Math.max(0, Math.round(ms / 60_000))}m`;
}

export function judgeAttestations(candidates: readonly Candidate[], c: VerifyCriteria): VerifyOutcome {
  const now = (c.now ?? new Date()).getTime();
  const tally = { notInToto: 0, badSignature: 0, malformed: 0, otherImage: 0, otherType: 0 };
  const verdicts: { statement: Statement<VsaPredicate>; at: number; where: string }[] = [];
  for (const cand of candidates) {
    if (cand.envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
      tally.notInToto++;
      continue;
    }
    if (!envelopeSignedBy(cand.envelope, c.key)) {
      tally.badSignature++;
      continue;
    }
    // Only signed bytes are parsed from here on.
    let statement: unknown;
    try {
      statement = JSON.parse(Buffer.from(cand.envelope.payload, 'base64').toString('utf8'));
    } catch {
      tally.malformed++;
      continue;
    }
    if (statementProblem(statement)) {
      tally.malformed++;
      continue;
    }
    const s = statement as Statement<VsaPredicate>;
    if (!s.subject.some((sub) => subjectMatches(sub, c.digest))) {
      tally.otherImage++;
      continue;
    }
    if (s.predicateType !== VSA_PREDICATE_TYPE) {
      tally.otherType++;
      continue;
    }
    const at = Date.parse(typeof s.predicate.timeVerified === 'string' ? s.predicate.timeVerified : '');
    if (Number.isNaN(at) || typeof s.predicate.verificationResult !== 'string') {
      tally.malformed++;
      continue;
    }
    verdicts.push({ statement: s, at, where: cand.where });
  }

  if (verdicts.length === 0) {
    const n = candidates.length;
    const why =
      n === 0
        ? 'no attestations found'
        : tally.otherImage > 0
          ? `${tally.otherImage} signed statement(s) are about another image, not ${c.digest}`
          : tally.badSignature > 0
            ? `${tally.badSignature} attestation(s) found, none signed by key ${c.key.keyId.slice(0, 12)} (signature check failed)`
            : tally.malformed > 0
              ? `${tally.malformed} signed attestation(s) are malformed`
              : tally.otherType > 0
                ? `no ${VSA_PREDICATE_TYPE} attestation (${tally.otherType} of other predicate types)`
                : `${n} attestation(s) found, none an in-toto statement`;
    return { code: EXIT_UNVERIFIED, line: `UNVERIFIED ${c.digest}: ${why}` };
  }

  verdicts.sort((a, b) => b.at - a.at);
  const { statement, at } = verdicts[0]!;
  const p = statement.predicate;
  const policy = `${p.policy?.uri ?? '?'} (sha256:${p.policy?.digest?.sha256 ?? '?'})`;
  const when = new Date(at).toISOString();
  const reject = (why: string): VerifyOutcome => ({ code: EXIT_REJECTED, line: `REJECTED ${c.digest}: ${why}`, statement });
  if (p.verificationResult !== 'PASSED') return reject(`verdict ${String(p.verificationResult).slice(0, 20)} under policy ${policy} at ${when}`);
  if (c.policyDigest !== undefined && p.policy?.digest?.sha256 !== c.policyDigest) {
    return reject(`verdict is under policy ${policy}, not sha256:${c.policyDigest}`);
  }
  if (at - now > MAX_CLOCK_SKEW_MS) return reject(`verdict time ${when} is in the future`);
  if (c.maxAgeMs !== undefined && now - at > c.maxAgeMs) return reject(`verdict is ${formatAge(now - at)} old (verified ${when}), older than --max-age ${formatAge(c.maxAgeMs)}`);
  return {
    code: EXIT_VERIFIED,
    line: `VERIFIED ${c.digest}: PASSED under policy ${policy} at ${when}, signed by key ${c.key.keyId.slice(0, 12)}`,
    statement,
  };
}

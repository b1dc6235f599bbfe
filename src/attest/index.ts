// Public surface of the attestations: build the verdict (VSA), sign it, store it next to the image,
// find and judge it at deploy time. docs/attestations.md describes the formats.
export { buildVsa, reportSubject, VSA_PREDICATE_TYPE, VERIFIER_ID, GATE_LEVEL, CHECKED_FIELD, type VsaPredicate, type VsaStatement } from './vsa.js';
export { buildVulnStatement, VULN_PREDICATE_TYPE, type VulnPredicate } from './vuln-predicate.js';
export { digestPolicies, normalisePolicyDigest, policySetDigest, POLICY_SET_URI, type PolicyDigest } from './policy-digest.js';
export { STATEMENT_TYPE, makeStatement, type Statement, type ResourceDescriptor } from './statement.js';
export { preAuthEncoding, signEnvelope, envelopeSignedBy, IN_TOTO_PAYLOAD_TYPE, type DsseEnvelope } from './dsse.js';
export { signStatement, bundleOf, parseAttestation, BUNDLE_V03_MEDIA_TYPE, type SignedAttestation } from './bundle.js';
export { loadSigningKey, loadVerifyingKey, publicKeyPem, keyIdOf, KEY_PASSPHRASE_ENV, type SigningKey, type VerifyingKey } from './keys.js';
export { judgeAttestations, EXIT_VERIFIED, EXIT_REJECTED, EXIT_UNVERIFIED, type VerifyCriteria, type VerifyOutcome, type Candidate } from './verify.js';
export { pushAttestation, fetchAttestations, resolveImageDigest } from './oci.js';
export { attestReport, type AttestOptions, type AttestResult } from './attest-report.js';

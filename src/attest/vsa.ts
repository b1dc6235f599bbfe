// The gate's verdict as a SLSA Verification Summary Attestation (predicate
// https://slsa.dev/verification_summary/v1) about the image's manifest digest.
import { PortcullisError } from '../errors.js';
import type { Coverage } from '../model/coverage.js';
import type { Report } from '../model/report.js';
import { TOOL_VERSION } from '../version-info.js';
import type { PolicyDigest, PolicyFileDigest } from './policy-digest.js';
import { imageSubject, makeStatement, type Statement } from './statement.js';

export const VSA_PREDICATE_TYPE = 'https://slsa.dev/verification_summary/v1';
export const VERIFIER_ID = 'pkg:npm/portcullis';
/** The extension field holding what the scan checked (VSA: extension field names are URIs). */
export const CHECKED_FIELD = 'urn:portcullis:checked';
/** Our verifiedLevels value for a pass (custom values must not start with `SLSA_`). */
export const GATE_LEVEL = 'PORTCULLIS_VULNERABILITY_GATE';

export type VerificationResult = 'PASSED' | 'FAILED';

/** What the scan checked, compactly: enough for a deploy-stage policy to read. */
export interface CheckedSummary {
  findings: number;
  counts: { block: number; warn: number; ignore: number };
  coverage?: {
    complete: boolean;
    ecosystems: { ecosystem: string; status: string; packages: number; records: number; dataDate?: string; accepted?: boolean }[];
    unreadFiles: number;
    uncheckedPackages: number;
  };
  db?: { builtAt?: string; updatedAt?: string; sources: { name: string; fetchedAt?: string; records?: number }[] };
  policies: PolicyFileDigest[];
}

export interface VsaPredicate {
  verifier: { id: string; version: Record<string, string> };
  timeVerified: string;
  resourceUri: string;
  policy: { uri: string; digest: { sha256: string } };
  verificationResult: VerificationResult;
  verifiedLevels: string[];
  /** portcullis' own record of what was checked: an extension field, named by a URI as the spec asks. */
  [CHECKED_FIELD]: CheckedSummary;
}

export type VsaStatement = Statement<VsaPredicate>;

function coverageSummary(c: Coverage): NonNullable<CheckedSummary['coverage']> {
  return {
    complete: c.complete,
    ecosystems: c.ecosystems.map((e) => ({
      ecosystem: e.ecosystem,
      status: e.status,
      packages: e.packages,
      records: e.records,
      ...(e.dataDate !== undefined ? { dataDate: e.dataDate } : {}),
      ...(e.accepted ? { accepted: true } : {}),
    })),
    unreadFiles: c.unread.length,
    uncheckedPackages: c.unchecked.length,
  };
}

/** The subject of an image's attestations: what the scan read, by manifest digest. */
export function reportSubject(report: Report): { name: string; digest: string } {
  const img = report.image;
  if (img.sourceType.startsWith('sbom')) throw new PortcullisError('an SBOM scan has no image digest to attest; scan the image itself');
  if (!img.manifestDigest || img.sourceType === 'docker-archive') {
    // A docker-archive knows only the config digest, which no registry or admission controller
    // looks attestations up by.
    throw new PortcullisError(`the image (${img.sourceType}) has no manifest digest to attest; scan it from a registry or an OCI layout`);
  }
  return { name: img.repository ?? img.source, digest: img.manifestDigest };
}

/** Builds the VSA Statement for a scanned and decided report. */
export function buildVsa(report: Report, policy: PolicyDigest, now: Date = new Date()): VsaStatement {
  const d = report.decision;
  if (!d) throw new PortcullisError('no policy decision to attest (--policy none): an attestation records a gate verdict');
  // An incomplete scan is an error (exit 2), not a verdict: never attest what was not checked.
  if (report.coverage && !report.coverage.complete) throw new PortcullisError('the scan is incomplete (coverage gaps nobody accepted): there is no verdict to attest');
  const { name, digest } = reportSubject(report);
  const result: VerificationResult = d.blocked ? 'FAILED' : 'PASSED';
  const checked: CheckedSummary = {
    findings: report.findings?.length ?? 0,
    counts: d.counts,
    ...(report.coverage ? { coverage: coverageSummary(report.coverage) } : {}),
    ...(report.db
      ? { db: { ...(report.db.builtAt ? { builtAt: report.db.builtAt } : {}), ...(report.db.updatedAt ? { updatedAt: report.db.updatedAt } : {}), sources: report.db.sources } }
      : {}),
    policies: policy.files,
  };
  return makeStatement([imageSubject(name, digest)], VSA_PREDICATE_TYPE, {
    verifier: { id: VERIFIER_ID, version: { portcullis: TOOL_VERSION } },
    timeVerified: now.toISOString(),
    resourceUri: `oci://${name}@${digest}`,
    policy: { uri: policy.uri, digest: { sha256: policy.sha256 } },
    verificationResult: result,
    // The spec: the highest level verified, or "FAILED" when the policy verification failed.
    verifiedLevels: result === 'PASSED' ? [GATE_LEVEL] : ['FAILED'],
    [CHECKED_FIELD]: checked,
  });
}

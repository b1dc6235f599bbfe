// The vulnerability scan record cosign and Trivy attach (predicate
// https://cosign.sigstore.dev/attestation/vuln/v1): scanner, DB state, scan times, and the result.
// Its `result` is free-form in the spec; portcullis puts one compact entry per finding there.
import type { Report } from '../model/report.js';
import { findingKey } from '../model/finding.js';
import { TOOL_VERSION } from '../version-info.js';
import { imageSubject, makeStatement, type Statement } from './statement.js';
import { reportSubject } from './vsa.js';

export const VULN_PREDICATE_TYPE = 'https://cosign.sigstore.dev/attestation/vuln/v1';

export interface VulnPredicate {
  invocation: { parameters: unknown[]; uri: string; event_id: string; 'builder.id': string };
  scanner: {
    uri: string;
    version: string;
    db: { uri: string; version: string };
    result: {
      verdict?: 'PASSED' | 'FAILED';
      findings: { id: string; aliases: string[]; purl: string; severity: string; status: string; fixedVersions: string[]; action?: string }[];
    };
  };
  metadata: { scanStartedOn: string; scanFinishedOn: string };
}

/**
 * `invocation` describes the CI run when the caller knows it (Tekton / GitHub set these); empty
 * strings otherwise, as the spec allows.
 */
export function buildVulnStatement(report: Report, now: Date = new Date(), invocation: Partial<VulnPredicate['invocation']> = {}): Statement<VulnPredicate> {
  const { name, digest } = reportSubject(report);
  const byFinding = report.decision?.byFinding ?? {};
  return makeStatement([imageSubject(name, digest)], VULN_PREDICATE_TYPE, {
    invocation: { parameters: [], uri: '', event_id: '', 'builder.id': '', ...invocation },
    scanner: {
      uri: `pkg:npm/portcullis@${TOOL_VERSION}`,
      version: TOOL_VERSION,
      // The DB's version is its data date: the oldest source fetch (what freshness checks use).
      db: { uri: report.db?.location.startsWith('file:') ? 'file:' : (report.db?.location ?? ''), version: report.db?.updatedAt ?? report.db?.builtAt ?? '' },
      result: {
        ...(report.decision ? { verdict: report.decision.blocked ? ('FAILED' as const) : ('PASSED' as const) } : {}),
        findings: (report.findings ?? []).map((f) => {
          const action = byFinding[findingKey(f)]?.action;
          return { id: f.id, aliases: f.aliases, purl: f.package.purl, severity: f.severity, status: f.status, fixedVersions: f.fixedVersions, ...(action ? { action } : {}) };
        }),
      },
    },
    metadata: { scanStartedOn: report.createdAt, scanFinishedOn: now.toISOString() },
  });
}

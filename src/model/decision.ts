export type Action = 'block' | 'warn' | 'ignore';

/** What decided a finding's action. */
export type DecidedBy = 'rule' | 'default' | 'exception' | 'vex' | 'ignorefile' | 'baseline' | 'limit';

/** OpenVEX statuses (a CycloneDX analysis.state is read as the status it means). */
export type VexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';

/** The VEX statement that spoke about a finding, as data (encoders map it, never parse `reason`). */
export interface VexDecision {
  status: VexStatus;
  /** As the document wrote it: an OpenVEX justification or a CycloneDX analysis.justification. */
  justification?: string;
  /** impact_statement / status_notes / action_statement (OpenVEX), analysis.detail (CycloneDX). */
  statement?: string;
  /** The statement: `FILE#N`. */
  ref: string;
  /** The VEX document it came from. */
  source?: string;
  format?: 'openvex' | 'cyclonedx';
}

export interface FindingDecision {
  action: Action;
  decidedBy: DecidedBy;
  /** Rule id, exception id, VEX statement / file, or `default`. */
  rule: string;
  /** Policy file (or VEX / ignore file) the deciding item came from. */
  source?: string;
  /** Human text: rule description, exception reason, VEX justification. */
  reason?: string;
  /** Present in the baseline report, so it cannot block. */
  preExisting?: boolean;
  /**
   * The latest VEX statement covering the finding: with `decidedBy: 'vex'` when it suppressed the
   * finding (not_affected, fixed); alongside another decision when it did not (affected,
   * under_investigation).
   */
  vex?: VexDecision;
}

export interface Violation {
  rule: string;
  action: Action;
  message: string;
  source?: string;
}

export interface ExpiredException {
  id: string;
  expires: string;
  reason?: string;
  owner?: string;
  source?: string;
}

export interface Decision {
  blocked: boolean;
  /** Keyed by findingKey(). */
  byFinding: Record<string, FindingDecision>;
  imageViolations: Violation[];
  limitViolations: Violation[];
  expiredExceptions: ExpiredException[];
  /** Policies applied, in order (file paths or `builtin:default`). */
  policies: string[];
  counts: { block: number; warn: number; ignore: number };
}

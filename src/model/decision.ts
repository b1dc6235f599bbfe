export type Action = 'block' | 'warn' | 'ignore';

/** What decided a finding's action. */
export type DecidedBy = 'rule' | 'default' | 'exception' | 'vex' | 'ignorefile' | 'baseline' | 'limit';

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

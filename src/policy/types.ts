import type { Action } from '../model/decision.js';
import type { CoverageStatus } from '../model/coverage.js';
import type { Evaluator } from './logic/compile.js';

/** Where a policy item was written: for error messages, decisions and `policy explain`. */
export interface SourceRef {
  /** `builtin:default` for the shipped default, else the path as given. */
  source: string;
  /** Absolute path of the file. */
  file: string;
  line: number;
  column: number;
}

export interface CompiledRule extends SourceRef {
  id: string;
  description?: string;
  action: Action;
  /** `when` as written (shorthand or json-logic). */
  when: unknown;
  /** `when` as json-logic (shorthand compiled). */
  logic: unknown;
  test: Evaluator;
}

export interface CompiledLimit extends SourceRef {
  id: string;
  description?: string;
  /** Blocks (or warns) when more than `max` findings match. */
  max: number;
  action: 'block' | 'warn';
  when: unknown;
  logic: unknown;
  test: Evaluator;
}

export interface CompiledImageRule extends SourceRef {
  id: string;
  description?: string;
  action: 'block' | 'warn';
  when: unknown;
  logic: unknown;
  test: Evaluator;
}

export interface PolicyException extends SourceRef {
  /** Vulnerability id or alias. */
  id: string;
  package?: string;
  purl?: string;
  version?: string;
  path?: string;
  reason: string;
  /** YYYY-MM-DD as written; the exception stops suppressing at 00:00 UTC that day. */
  expires: string;
  owner?: string;
}

export interface PolicyInfo {
  name: string;
  description?: string;
  source: string;
  file: string;
}

export interface PolicySet {
  policies: PolicyInfo[];
  /** All files' rules, in file order then rule order: first match wins. */
  rules: CompiledRule[];
  limits: CompiledLimit[];
  exceptions: PolicyException[];
  imageRules: CompiledImageRule[];
  /** spec.coverage of every file: accepted gaps, actions on unread manifests, missing intel. */
  coverage: CoverageRules;
}

/** One problem in a policy (or policy test) file. */
export interface PolicyIssue {
  file: string;
  line: number;
  column: number;
  message: string;
}

export function formatIssue(i: PolicyIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.message}`;
}

export interface VexStatement {
  vulnerability: string;
  aliases: string[];
  /** Product purls (or other ids) and the purls of their subcomponents. */
  products: { id: string; subcomponents: string[] }[];
  status: 'not_affected' | 'affected' | 'fixed' | 'under_investigation';
  justification?: string;
  detail?: string;
  /** Statement label for decisions: `FILE#N`. */
  ref: string;
}

export interface VexDocument {
  format: 'openvex' | 'cyclonedx';
  source: string;
  statements: VexStatement[];
}

export interface IgnoreEntry {
  id: string;
  /** YYYY-MM-DD; no longer suppresses from 00:00 UTC that day. */
  expires?: string;
  source: string;
  line: number;
}

/** One `spec.coverage.accept` entry: a gap the policy owner knowingly accepts. */
export interface CoverageAccept extends SourceRef {
  /** Glob (`*`) over an ecosystem entry's name (`Amazon Linux*`, `Debian:13`). */
  ecosystem?: string;
  /** Only gaps of this status. */
  status?: CoverageStatus;
  /** Glob (`*`) over an unread file's path. */
  path?: string;
  reason: string;
  /** YYYY-MM-DD: no longer accepted from 00:00 UTC that day. */
  expires?: string;
  owner?: string;
}

export type IntelKind = 'kev' | 'epss';

export interface CoverageRules {
  accept: CoverageAccept[];
  /** What an unread language manifest does (default warn). */
  unreadManifests?: Action;
  /** What packages found but not checked do (default warn). */
  uncheckedPackages?: Action;
  /** Intel a rule may read though the database holds none of it. */
  missingIntel: IntelKind[];
}


import type { Report } from '../model/report.js';

/** Terminal facts the table encoder fits to; other encoders ignore them. */
export interface EncodeOptions {
  color?: boolean;
  width?: number;
  /**
   * SARIF only: `github` (default) keeps the file within what GitHub code scanning accepts and
   * shows (src/report/sarif.ts, GITHUB_SARIF_LIMITS), saying in the run properties what it left
   * out; `none` writes every result.
   */
  sarifLimits?: 'github' | 'none';
}

/** An encoder is a pure function of the Report (plus presentation options). */
export interface Encoder {
  readonly name: string;
  /** File extension for `--format NAME=` defaults and docs. */
  readonly extension: string;
  readonly mediaType: string;
  encode(report: Report, options?: EncodeOptions): string;
}

import type { Report } from '../model/report.js';

/** Terminal facts the table encoder fits to; other encoders ignore them. */
export interface EncodeOptions {
  color?: boolean;
  width?: number;
}

/** An encoder is a pure function of the Report (plus presentation options). */
export interface Encoder {
  readonly name: string;
  /** File extension for `--format NAME=` defaults and docs. */
  readonly extension: string;
  readonly mediaType: string;
  encode(report: Report, options?: EncodeOptions): string;
}

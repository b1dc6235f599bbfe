import type { Encoder } from './encoder.js';

/** The native report: the Report itself, documented in docs/report-format.md. */
export const jsonEncoder: Encoder = {
  name: 'json',
  extension: 'json',
  mediaType: 'application/json',
  encode: (report) => `${JSON.stringify(report, null, 2)}\n`,
};

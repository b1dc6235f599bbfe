// The report formats a run can write: each one's name and file extension, and its encoder, loaded
// only when a report is written in that format (a run loads the encoders it uses, not all nine).
// Add a format here and in index.ts (the library's synchronous render()); a test checks both agree.
import { PortcullisError } from '../errors.js';
import type { Encoder } from './encoder.js';

export interface ReportFormat {
  readonly name: string;
  /** File extension for `--format NAME=` defaults and `--reports-dir`. */
  readonly extension: string;
  load(): Promise<Encoder>;
}

export const FORMATS: readonly ReportFormat[] = [
  { name: 'json', extension: 'json', load: async () => (await import('./json.js')).jsonEncoder },
  { name: 'table', extension: 'txt', load: async () => (await import('./table.js')).tableEncoder },
  { name: 'sarif', extension: 'sarif', load: async () => (await import('./sarif.js')).sarifEncoder },
  { name: 'cyclonedx', extension: 'cdx.json', load: async () => (await import('./cyclonedx.js')).cyclonedxEncoder },
  { name: 'spdx', extension: 'spdx.json', load: async () => (await import('./spdx.js')).spdxEncoder },
  { name: 'junit', extension: 'xml', load: async () => (await import('./junit.js')).junitEncoder },
  { name: 'markdown', extension: 'md', load: async () => (await import('./markdown.js')).markdownEncoder },
  { name: 'html', extension: 'html', load: async () => (await import('./html.js')).htmlEncoder },
  { name: 'gitlab', extension: 'gitlab.json', load: async () => (await import('./gitlab.js')).gitlabEncoder },
];

/** The format called `name`; an unknown name fails, listing the known ones. */
export function formatFor(name: string): ReportFormat {
  const format = FORMATS.find((f) => f.name === name);
  if (!format) throw new PortcullisError(`unknown format "${name}" (known: ${formatNames().join(', ')})`);
  return format;
}

export function formatNames(): string[] {
  return FORMATS.map((f) => f.name);
}

import type { Encoder } from './encoder.js';
import { cyclonedxEncoder } from './cyclonedx.js';
import { gitlabEncoder } from './gitlab.js';
import { htmlEncoder } from './html.js';
import { jsonEncoder } from './json.js';
import { junitEncoder } from './junit.js';
import { markdownEncoder } from './markdown.js';
import { sarifEncoder } from './sarif.js';
import { spdxEncoder } from './spdx.js';
import { tableEncoder } from './table.js';
import { formatFor } from './formats.js';

// Every encoder, loaded at once: the library's synchronous render(). The CLI loads only the one it
// writes with (formats.ts, the same formats in the same order: a test checks).
export const ENCODERS: readonly Encoder[] = [
  jsonEncoder,
  tableEncoder,
  sarifEncoder,
  cyclonedxEncoder,
  spdxEncoder,
  junitEncoder,
  markdownEncoder,
  htmlEncoder,
  gitlabEncoder,
];

/** The encoder of format `name`; an unknown name fails as formatFor says (the same formats). */
export function encoderFor(name: string): Encoder {
  const format = formatFor(name).name;
  return ENCODERS.find((e) => e.name === format)!;
}

export { formatNames } from './formats.js';

export type { Encoder, EncodeOptions } from './encoder.js';

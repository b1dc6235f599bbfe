import { PortcullisError } from '../errors.js';
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

export function encoderFor(name: string): Encoder {
  const enc = ENCODERS.find((e) => e.name === name);
  if (!enc) {
    throw new PortcullisError(`unknown format "${name}" (known: ${ENCODERS.map((e) => e.name).join(', ')})`);
  }
  return enc;
}

export { formatNames } from './formats.js';

export type { Encoder, EncodeOptions } from './encoder.js';

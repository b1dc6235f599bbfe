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

// The registry of report formats. Add an encoder here (one import, one entry).
const ENCODERS: Encoder[] = [
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

export function formatNames(): string[] {
  return ENCODERS.map((e) => e.name);
}

export type { Encoder, EncodeOptions } from './encoder.js';

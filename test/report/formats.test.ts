// The CLI's lazily loaded formats (formats.ts) and the library's encoders (index.ts) are the same
// formats, in the same order, with the same names and extensions.
import { describe, expect, it } from 'vitest';
import { FORMATS, formatFor } from '../../src/report/formats.js';
import { ENCODERS, encoderFor } from '../../src/report/index.js';

describe('report formats', () => {
  it('each format loads the encoder the library renders with', async () => {
    expect(FORMATS.map((f) => f.name)).toEqual(ENCODERS.map((e) => e.name));
    for (const f of FORMATS) {
      const encoder = await f.load();
      expect(encoder).toBe(encoderFor(f.name));
      expect(encoder.name).toBe(f.name);
      expect(encoder.extension).toBe(f.extension);
    }
  });

  it('an unknown format names the known ones', () => {
    expect(() => formatFor('pdf')).toThrow(/unknown format "pdf" \(known: json, table, sarif, cyclonedx, spdx, junit, markdown, html, gitlab\)/);
  });
});

// Encoders are pure: the same Report gives the same bytes, whatever order the scan produced.
import { describe, expect, it } from 'vitest';
import { encoderFor, formatNames } from '../../src/report/index.js';
import { sampleReport } from './sample-report.js';

function shuffled() {
  const r = sampleReport();
  r.packages.reverse();
  r.findings!.reverse();
  r.findings!.push(r.findings!.shift()!);
  return r;
}

describe('determinism', () => {
  for (const name of formatNames().filter((n) => n !== 'json')) {
    it(`${name}: same output for the same report in any order`, () => {
      const enc = encoderFor(name);
      const a = enc.encode(sampleReport(), { color: false });
      expect(enc.encode(sampleReport(), { color: false })).toBe(a);
      expect(enc.encode(shuffled(), { color: false })).toBe(a);
    });
  }
  it('the input report is not modified', () => {
    const r = sampleReport();
    const before = JSON.stringify(r);
    for (const n of formatNames()) encoderFor(n).encode(r, { color: true, width: 80 });
    expect(JSON.stringify(r)).toBe(before);
  });
});

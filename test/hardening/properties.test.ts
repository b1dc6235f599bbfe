// Property-based robustness (fast-check, fixed seeds, bounded runs): every comparator throws only
// InvalidVersionError, and compare is antisymmetric; the policy parser on mutated YAML only
// reports issues or throws PortcullisError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PortcullisError } from '../../src/errors.js';
import { parsePolicy } from '../../src/policy/load.js';
import { getComparator, InvalidVersionError, knownEcosystems } from '../../src/version/index.js';

const versionish = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^[0-9~^:+.a-z_-]{0,40}$/),
  fc.array(fc.oneof(fc.nat(), fc.constantFrom('9'.repeat(400), 'rc', 'beta', '~', '-', '+', ':', '_p')), { maxLength: 8 }).map((a) => a.join('.')),
);

describe('properties', () => {
  for (const eco of knownEcosystems()) {
    it(`${eco}: compare throws only InvalidVersionError and is antisymmetric`, () => {
      const c = getComparator(eco)!;
      fc.assert(
        fc.property(versionish, versionish, (a, b) => {
          let ab: number;
          let ba: number;
          try {
            ab = c.compare(a, b);
            ba = c.compare(b, a);
          } catch (err) {
            expect(err).toBeInstanceOf(InvalidVersionError);
            return;
          }
          expect(Math.sign(ab) + Math.sign(ba)).toBe(0);
        }),
        { seed: 42, numRuns: 300 },
      );
    });
  }

  it('policy parser on mutated YAML: issues or PortcullisError, nothing else', () => {
    const base = 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata: {name: x}\nspec:\n  rules:\n    - id: r\n      action: block\n      when: {">=": [{"var": "finding.cvss"}, 7]}\n';
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length), fc.string({ maxLength: 4 }), fc.nat(3)), { maxLength: 6 }), (edits) => {
        let text = base;
        for (const [at, ins, del] of edits) text = text.slice(0, at % (text.length + 1)) + ins + text.slice((at % (text.length + 1)) + del);
        try {
          parsePolicy(text, 'p.yaml', 'p.yaml', '/tmp/p.yaml');
        } catch (err) {
          expect(err).toBeInstanceOf(PortcullisError);
        }
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});

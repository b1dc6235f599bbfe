// Tekton's substitution rules as the runners apply them (docs/tasks.md, "Substituting Array
// parameters"): the examples the docs give, and the misuses they say are errors.
import { describe, expect, it } from 'vitest';
import { resolveStep, substituteList, substituteString, type SubstitutionContext } from './substitute.js';

const ctx: SubstitutionContext = {
  strings: new Map([['params.someURL', 'http://example.com'], ['params.foo.bar', 'dotted'], ['workspaces.src.path', '/workspace/src'], ['results.R.path', '/tekton/results/R']]),
  arrays: new Map([['params.array-param', ['some', 'array', 'elements']], ['params.empty', []]]),
};

describe('Tekton substitution', () => {
  it('expands an isolated array element in place, keeping the elements around it', () => {
    expect(substituteList(['first', '$(params.array-param[*])', 'last'], ctx, 't')).toEqual(['first', 'some', 'array', 'elements', 'last']);
    expect(substituteList(['a', '$(params.empty[*])', 'b'], ctx, 't')).toEqual(['a', 'b']);
    // An element is one argument whatever it holds: no word splitting.
    expect(substituteList(['url=$(params.someURL) x'], ctx, 't')).toEqual(['url=http://example.com x']);
  });

  it("dot and bracket notation name the same param; a dotted name needs brackets", () => {
    expect(substituteString('$(params.someURL) $(params["someURL"]) $(params[\'someURL\'])', ctx, 't')).toBe('http://example.com http://example.com http://example.com');
    expect(substituteString("$(params['foo.bar'])", ctx, 't')).toBe('dotted');
  });

  it('is plain text replacement: nothing is escaped, shell $(cmd) is left alone', () => {
    expect(substituteString('cd "$(workspaces.src.path)" && echo $(date) > $(results.R.path)', ctx, 't')).toBe('cd "/workspace/src" && echo $(date) > /tekton/results/R');
  });

  it('rejects what Tekton rejects: an array not isolated, an array in a string field, an unknown variable', () => {
    expect(() => substituteList(['build', 'additionalArg $(params.array-param[*])'], ctx, 't')).toThrow(/must be a whole element/);
    expect(() => substituteString('$(params.array-param[*])', ctx, 'image')).toThrow(/must be a whole element/);
    expect(() => substituteString('$(params.array-param)', ctx, 'env')).toThrow(/must be a whole element/);
    expect(() => substituteString('$(params.nope)', ctx, 't')).toThrow(/unresolved \$\(params\.nope\)/);
    expect(() => substituteList(['$(params.someURL[*])'], ctx, 't')).toThrow(/not an array param/);
  });

  it('merges the stepTemplate under the step: env by name, security context by field, the step wins', () => {
    const step = resolveStep(
      { name: 's', image: 'img', env: [{ name: 'A', value: 'step' }], securityContext: { runAsUser: 5 }, args: ['$(params.array-param[*])'] },
      { env: [{ name: 'A', value: 'tmpl' }, { name: 'B', value: '$(params.someURL)' }], securityContext: { runAsNonRoot: true, runAsUser: 1 }, volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] },
      ctx,
      0,
    );
    expect(step).toMatchObject({ env: { A: 'step', B: 'http://example.com' }, securityContext: { runAsNonRoot: true, runAsUser: 5 }, args: ['some', 'array', 'elements'], volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }], onError: 'stopAndFail' });
  });
});

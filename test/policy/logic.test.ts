// The compiled evaluator agrees with json-logic-js (the reference) on the whitelisted operators.
import fc from 'fast-check';
import jsonLogic from 'json-logic-js';
import { describe, expect, it } from 'vitest';
import { compileLogic } from '../../src/policy/logic/compile.js';
import { CUSTOM_OPERATORS } from '../../src/policy/logic/operators.js';
import { looksLikeSecretName, looksLikeSecretValue } from '../../src/policy/logic/secrets.js';
import { validateLogic } from '../../src/policy/logic/validate.js';
import { FINDING_SHAPE } from '../../src/policy/context-shape.js';

for (const [name, fn] of Object.entries(CUSTOM_OPERATORS)) jsonLogic.add_operation(name, fn);

const data = {
  severity: 'HIGH', kev: true, cvss: { score: 7.5 }, epss: { score: 0.94, percentile: 0.999 }, aliases: ['GHSA-qppj-fm5r-hxr3', 'DEBIAN-CVE-2023-44487'],
  package: { name: 'libnghttp2-14', purl: 'pkg:deb/debian/libnghttp2-14@1.52.0-1?arch=amd64' }, publishedAgeDays: 600, n: 0, s: '', list: [], nil: null,
};
const leaf = fc.oneof(
  fc.constantFrom('severity', 'kev', 'cvss.score', 'epss.score', 'aliases', 'package.name', 'package.purl', 'publishedAgeDays', 'n', 's', 'list', 'nil', 'absent', 'cvss.absent').map((v) => ({ var: v })),
  fc.constantFrom<unknown>(0, 1, 7.5, 0.5, 'HIGH', 'CRITICAL', '', 'pkg:deb/', true, false, null, ['HIGH', 'LOW'], []),
);
const expr = fc.letrec<{ e: unknown }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(fc.constantFrom('==', '===', '!=', '!==', '>', '>=', '<', '<=', 'in', '%', '-', '/', 'startsWith', 'endsWith', 'contains', 'cat'), tie('e'), tie('e')).map(([op, a, b]) => ({ [op]: [a, b] })),
    fc.tuple(fc.constantFrom('and', 'or', '+', '*', 'min', 'max', 'merge', 'if'), fc.array(tie('e'), { minLength: 1, maxLength: 4 })).map(([op, xs]) => ({ [op]: xs })),
    fc.tuple(fc.constantFrom('!', '!!', 'lower', 'secretName', 'secretValue'), tie('e')).map(([op, a]) => ({ [op]: [a] })),
    fc.tuple(fc.constantFrom('<', '<='), tie('e'), tie('e'), tie('e')).map(([op, a, b, c]) => ({ [op]: [a, b, c] })),
    fc.tuple(fc.constantFrom('some', 'all', 'none', 'filter', 'map'), fc.constantFrom({ var: 'aliases' }, { var: 'list' }, { var: 'severity' }), tie('e')).map(([op, a, b]) => ({ [op]: [a, b] })),
    fc.tuple(fc.constantFrom('missing'), fc.array(fc.constantFrom('severity', 'absent', 's', 'nil'), { maxLength: 3 })).map(([op, xs]) => ({ [op]: xs })),
  ),
}));

function outcome(f: () => unknown): unknown {
  try {
    return { v: f() };
  } catch (err) {
    return { threw: (err as Error).constructor.name };
  }
}

describe('json-logic compiler', () => {
  it('agrees with json-logic-js on random expressions', () => {
    fc.assert(
      fc.property(expr.e, (e) => {
        const want = outcome(() => jsonLogic.apply(e as jsonLogic.RulesLogic, data));
        const got = outcome(() => compileLogic(e)(data));
        expect(got).toEqual(want);
      }),
      { numRuns: 3000 },
    );
  });

  it('compiles var defaults, nested paths and if chains like json-logic-js', () => {
    const cases: unknown[] = [
      { var: ['absent', 'dflt'] },
      { var: 'aliases.1' },
      { var: '' },
      { if: [{ '>=': [{ var: 'cvss.score' }, 9] }, 'critical', { '>=': [{ var: 'cvss.score' }, 7] }, 'high', 'low'] },
      { reduce: [{ var: 'aliases' }, { cat: [{ var: 'accumulator' }, { var: 'current' }] }, ''] },
      { missing_some: [1, ['severity', 'absent']] },
      { substr: [{ var: 'package.name' }, 3, -3] },
    ];
    for (const c of cases) expect(compileLogic(c)(data)).toEqual(jsonLogic.apply(c as jsonLogic.RulesLogic, data));
  });

  it('rejects operators outside the whitelist and dotted method calls', () => {
    expect(validateLogic({ log: [1] }, FINDING_SHAPE)[0]?.message).toMatch(/operator "log" is not allowed/);
    expect(validateLogic({ and: [{ 'Math.max': [1, 2] }] }, FINDING_SHAPE)[0]).toMatchObject({ pointer: '/and/0/Math.max', atKey: true });
    expect(validateLogic({ in: [{ var: 'severity' }, ['HIGH']] }, FINDING_SHAPE)).toEqual([]);
    expect(validateLogic({ some: [{ var: 'aliases' }, { startsWith: [{ var: '' }, 'GHSA-'] }] }, FINDING_SHAPE)).toEqual([]);
    expect(validateLogic({ startsWith: [{ var: 'package.purl' }] }, FINDING_SHAPE)[0]?.message).toBe('operator "startsWith" takes 2 argument(s), got 1');
  });

  it('recognises secret-looking ENV names and values', () => {
    for (const n of ['AWS_SECRET_ACCESS_KEY', 'DB_PASSWORD', 'GITHUB_TOKEN', 'NPM_TOKEN', 'API_KEY', 'STRIPE_APIKEY', 'PRIVATE_KEY']) expect(looksLikeSecretName(n), n).toBe(true);
    for (const n of ['PATH', 'GPG_KEY', 'PASSWORD_FILE', 'TOKEN_URL', 'NODE_VERSION', 'LANG', 'PYTHON_SHA256']) expect(looksLikeSecretName(n), n).toBe(false);
    for (const v of ['AKIAIOSFODNN7EXAMPLE', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl', `ghp_${'a1B2'.repeat(9)}`, 'xoxb-123456789012-abcdefABCDEF']) expect(looksLikeSecretValue(v), v).toBe(true);
    for (const v of ['/usr/local/bin:/usr/bin', 'en_US.UTF-8', 'A035C8C19219BA821ECEA86B64E628F8D684696D', '3.12.4']) expect(looksLikeSecretValue(v), v).toBe(false);
  });
});

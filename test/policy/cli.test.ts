import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide, loadPolicies } from '../../src/policy/index.js';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { ansiRegex, expat, nghttp2, openssl, report } from './builders.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-policy-cli-'));

describe('portcullis policy test', () => {
  it('the shipped policies pass their test suites', async () => {
    const r = await runCli(['policy', 'test', 'policies/tests', '--verbose'], { cwd: PROJECT_ROOT });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of ['default', 'fixable', 'strict', 'exceptions']) expect(r.stdout).toContain(`policies/tests/${f}.test.yaml:`);
    expect(r.stdout).toMatch(/PASS: (\d+)\/\1\n$/);
    expect(r.stdout).not.toContain('FAIL');
  });

  it('a failing case exits 1 and says what differed', async () => {
    const file = join(dir, 'wrong.test.yaml');
    writeFileSync(file, `apiVersion: portcullis.dev/v1
kind: PolicyTest
metadata: {name: wrong on purpose}
spec:
  policies: [builtin:fixable]
  cases:
    - name: expects a block that fixable does not give
      findings:
        - id: CVE-2024-45490
          severity: CRITICAL
          package: {name: libexpat1, version: 2.5.0-1, type: deb}
      expect:
        blocked: true
        findings:
          CVE-2024-45490: block
    - name: this one is right
      expect: {blocked: false}
`);
    const r = await runCli(['policy', 'test', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL expects a block that fixable does not give (line 7)');
    expect(r.stdout).toContain('blocked: expected true, got false');
    expect(r.stdout).toContain('finding CVE-2024-45490: expected action block, got warn (decided by rule warn-rest)');
    expect(r.stdout).toContain('PASS: 1/2\nFAIL: 1/2\n');
  });

  it('an invalid test file exits 2 with its position', async () => {
    const file = join(dir, 'invalid.test.yaml');
    writeFileSync(file, 'apiVersion: portcullis.dev/v1\nkind: PolicyTest\nmetadata: {name: x}\nspec:\n  policies: [builtin:default]\n  cases:\n    - name: c\n      expect: {blocked: true, blokced: false}\n');
    const r = await runCli(['policy', 'test', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`portcullis: ${file}:8:31: spec.cases[0].expect.blokced: unknown key "blokced"\n`);
  });
});

describe('portcullis policy explain', () => {
  it('names the rule, its file and the values it matched on', async () => {
    const policies = await loadPolicies('default');
    const r = report([expat, nghttp2, openssl, ansiRegex]);
    r.decision = decide(r, policies, { now: new Date(r.createdAt) });
    const file = join(dir, 'report.json');
    writeFileSync(file, JSON.stringify(r));
    const out = await runCli(['policy', 'explain', file, '--finding', 'GHSA-qppj-fm5r-hxr3']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('CVE-2023-44487 in libnghttp2-14 1.52.0-1');
    expect(out.stdout).toContain('  action:     block');
    expect(out.stdout).toContain('  decided by: rule block-kev');
    expect(out.stdout).toContain('  source:     builtin:default');
    expect(out.stdout).toContain(`  rule file:  ${join(PROJECT_ROOT, 'policies/default.yaml')}:10:7`);
    expect(out.stdout).toContain('    kev = true');

    const warn = await runCli(['policy', 'explain', file, '--finding', 'CVE-2023-5678']);
    expect(warn.stdout).toContain('decided by: rule warn-rest');

    const strict = await runCli(['policy', 'explain', file, '--finding', 'CVE-2024-45490', '--policy', 'builtin:strict']);
    expect(strict.stdout).toContain('rule block-critical-high is not in the policies loaded now: builtin:strict');

    const missing = await runCli(['policy', 'explain', file, '--finding', 'CVE-1999-0001']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no finding "CVE-1999-0001" in the report');
  });
});

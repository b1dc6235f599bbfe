// Malformed policies: `policy validate` exits 2 and names the exact line:column of each problem.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PortcullisError } from '../../src/errors.js';
import { loadPolicies } from '../../src/policy/index.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-policy-validate-'));
let n = 0;
function policyFile(yaml: string): string {
  const file = join(dir, `p${n++}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

const HEAD = 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata:\n  name: t\nspec:\n';

async function errors(yaml: string): Promise<{ code: number; lines: string[]; file: string }> {
  const file = policyFile(yaml);
  const r = await runCli(['policy', 'validate', file]);
  return { code: r.code, lines: r.stderr.trim().split('\n').filter(Boolean), file };
}

describe('policy validate', () => {
  it('accepts the shipped policies', async () => {
    const r = await runCli(['policy', 'validate', 'policies/default.yaml', 'policies/fixable.yaml', 'policies/strict.yaml', 'policies/exceptions.example.yaml']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('policies/strict.yaml: ok');
  });

  it('rejects an unknown key at the key', async () => {
    const { code, lines, file } = await errors(`${HEAD}  rules:\n    - id: a\n      action: block\n      when: {kev: true}\n      severity: HIGH\n`);
    expect(code).toBe(2);
    expect(lines).toEqual([`${file}:10:7: spec.rules[0].severity: unknown key "severity"`]);
  });

  it('rejects a duplicate rule id at the second one', async () => {
    const { code, lines, file } = await errors(`${HEAD}  rules:\n    - id: block-kev\n      action: block\n      when: {kev: true}\n    - id: block-kev\n      action: warn\n      when: true\n`);
    expect(code).toBe(2);
    expect(lines).toEqual([`${file}:10:11: spec.rules[1].id: duplicate id "block-kev" (first used at line 7)`]);
  });

  it('rejects an exception without expires, at the exception', async () => {
    const { code, lines, file } = await errors(`${HEAD}  exceptions:\n    - id: CVE-2023-44487\n      reason: not reachable\n`);
    expect(code).toBe(2);
    expect(lines).toEqual([`${file}:7:7: spec.exceptions[0]: missing required key "expires"`]);
  });

  it('rejects an expiry that is not a calendar date', async () => {
    const { code, lines, file } = await errors(`${HEAD}  exceptions:\n    - id: CVE-2023-44487\n      reason: not reachable\n      expires: "2025-02-30"\n`);
    expect(code).toBe(2);
    expect(lines).toEqual([`${file}:9:16: spec.exceptions[0].expires: must be a date (YYYY-MM-DD)`]);
  });

  it('rejects a json-logic operator outside the whitelist, at the operator', async () => {
    const { code, lines, file } = await errors(`${HEAD}  rules:\n    - id: a\n      action: block\n      when:\n        and:\n          - {"==": [{var: kev}, true]}\n          - log: [{var: severity}]\n`);
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:12:13: spec\\.rules\\[0\\]\\.when\\.and\\[1\\]\\.log: operator "log" is not allowed \\(allowed: var, `));
  });

  it('rejects a var path that is not in the finding context', async () => {
    const { code, lines, file } = await errors(`${HEAD}  rules:\n    - id: a\n      action: block\n      when: {">=": [{var: cvss.scor}, 9]}\n`);
    expect(code).toBe(2);
    expect(lines[0]).toContain(`${file}:9:27: spec.rules[0].when.>=[0].var: unknown field "cvss.scor"; known: score, version, vector`);
  });

  it('rejects a shorthand key that is no field, and a misspelt severity', async () => {
    const { code, lines, file } = await errors(`${HEAD}  rules:\n    - id: a\n      action: block\n      when:\n        severty: HIGH\n    - id: b\n      action: block\n      when: {severity: [CRITICAL, HIHG]}\n`);
    expect(code).toBe(2);
    expect(lines[0]).toMatch(new RegExp(`:10:9: spec\\.rules\\[0\\]\\.when\\.severty: shorthand: unknown field "severty"`));
    expect(lines[0]!.startsWith(`${file}:10:9:`)).toBe(true);
    expect(lines[1]).toBe(`${file}:13:35: spec.rules[1].when.severity[1]: severity is one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN; got "HIHG"`);
  });

  it('rejects a bad action and a wrong apiVersion, each at its value', async () => {
    const { code, lines, file } = await errors(`apiVersion: portcullis.dev/v2\nkind: Policy\nmetadata:\n  name: t\nspec:\n  rules:\n    - id: a\n      action: deny\n      when: true\n`);
    expect(code).toBe(2);
    expect(lines).toEqual([
      `${file}:1:13: apiVersion: must be "portcullis.dev/v1"`,
      `${file}:8:15: spec.rules[0].action: must be one of block, warn, ignore`,
    ]);
  });

  it('reports YAML syntax errors with their position', async () => {
    const { code, lines, file } = await errors(`${HEAD}  rules:\n    - id: a\n     action: block\n`);
    expect(code).toBe(2);
    expect(lines[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:8:\\d+: invalid YAML: `));
  });

  it('rejects image rules that read finding fields', async () => {
    const { code, lines, file } = await errors(`${HEAD}  image:\n    - id: root\n      action: block\n      when: {severity: HIGH}\n`);
    expect(code).toBe(2);
    expect(lines[0]!.startsWith(`${file}:9:14: spec.image[0].when.severity: shorthand: unknown field "severity"`)).toBe(true);
  });

  it('loadPolicies fails closed with the first position', async () => {
    const file = policyFile(`${HEAD}  rules:\n    - id: a\n      action: block\n      when: {"log": 1}\n`);
    const err = await loadPolicies([file]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortcullisError);
    expect((err as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:9:14: spec\\.rules\\[0\\]\\.when\\.log: operator "log" is not allowed`));
  });

  it('a missing file is one clear error, exit 2', async () => {
    const r = await runCli(['policy', 'validate', join(dir, 'absent.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('absent.yaml: cannot read policy: ENOENT');
  });
});

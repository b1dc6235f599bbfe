// Reads policy files: YAML -> schema check -> json-logic check -> compiled rules. Any problem is
// fatal (fail closed): a gate must never run with a policy it half understood.
import { resolve } from 'node:path';
import { PortcullisError } from '../errors.js';
import type { CoverageAccept, CoverageRules } from './coverage.js';
import { FINDING_SHAPE, IMAGE_SHAPE, type Shape } from './context-shape.js';
import type { ValidateFunction } from 'ajv';
import { pointerLabel, schemaIssues } from './ajv-issues.js';
import { compileLogic } from './logic/compile.js';
import { validateLogic } from './logic/validate.js';
import { emptyPolicySet } from './policy-set.js';
import { parsePurl } from './purl-match.js';
import { validate as validatePolicySchema } from './policy-validator.generated.js';
import { compileShorthand, isJsonLogic } from './shorthand.js';
import { formatIssue, type PolicyIssue, type PolicySet } from './types.js';
import { loadLocatedYaml, YamlSyntaxError, type LocatedYaml } from './yaml-positions.js';

export { MAX_POLICY_FILE_BYTES } from './limits.js';
export { emptyPolicySet } from './policy-set.js';
export { DEFAULT_POLICY_SOURCE, loadPolicies } from './load-policies.js';
import { readPolicyText } from './load-policies.js';
// POLICY_SCHEMA (schema.ts), compiled ahead of time: no ajv load or compile in a scan.
const validator = validatePolicySchema as ValidateFunction;

interface RawItem {
  id: string;
  description?: string;
  action?: string;
  when: unknown;
}

/** Turns `when` into json-logic, reporting problems at their place in the file. */
export function compileWhen(when: unknown, shape: Shape, pointer: string, doc: LocatedYaml, file: string, issues: PolicyIssue[]): unknown {
  let logic: unknown = when;
  let found;
  if (isJsonLogic(when)) {
    found = validateLogic(when, shape);
  } else {
    const sh = compileShorthand(when as Record<string, unknown>, shape);
    logic = sh.logic;
    found = sh.issues;
  }
  for (const i of found) {
    const p = `${pointer}${i.pointer}`;
    const pos = i.atKey ? doc.keyAt(p) : doc.valueAt(p);
    issues.push({ file, line: pos.line, column: pos.column, message: `${pointerLabel(p)}: ${i.message}` });
  }
  return logic;
}

/** Parses and checks one policy document. `source` is how decisions name it. */
export function parsePolicy(text: string, file: string, source: string, absFile: string): { issues: PolicyIssue[]; set: PolicySet } {
  const set = emptyPolicySet();
  let doc: LocatedYaml;
  try {
    doc = loadLocatedYaml(text, file);
  } catch (err) {
    if (err instanceof YamlSyntaxError) return { issues: [{ file: err.file, ...err.position, message: err.problem }], set };
    throw err;
  }
  const issues = schemaIssues(validator, doc, file, pointerLabel);
  if (issues.length) return { issues, set };

  const data = doc.data as {
    metadata: { name: string; description?: string };
    spec: {
      rules?: RawItem[];
      limits?: (RawItem & { max: number })[];
      image?: RawItem[];
      exceptions?: Record<string, string>[];
      coverage?: Omit<CoverageRules, 'accept' | 'missingIntel'> & { accept?: Record<string, string>[]; missingIntel?: CoverageRules['missingIntel'] };
    };
  };
  set.policies.push({ name: data.metadata.name, description: data.metadata.description, source, file: absFile });
  const at = (pointer: string) => {
    const pos = doc.valueAt(pointer);
    return { source, file: absFile, line: pos.line, column: pos.column };
  };

  // Ids name what decided a finding, so they must be unique within a file.
  const seen = new Map<string, string>();
  const checkId = (id: string, pointer: string) => {
    const first = seen.get(id);
    const pos = doc.valueAt(`${pointer}/id`);
    if (first) issues.push({ file, line: pos.line, column: pos.column, message: `${pointerLabel(`${pointer}/id`)}: duplicate id "${id}" (first used at line ${first})` });
    else seen.set(id, String(pos.line));
  };

  const spec = data.spec;
  (spec.rules ?? []).forEach((r, i) => {
    const ptr = `/spec/rules/${i}`;
    checkId(r.id, ptr);
    const logic = compileWhen(r.when, FINDING_SHAPE, `${ptr}/when`, doc, file, issues);
    set.rules.push({ ...at(ptr), id: r.id, description: r.description, action: r.action as 'block', when: r.when, logic, test: () => false });
  });
  (spec.limits ?? []).forEach((l, i) => {
    const ptr = `/spec/limits/${i}`;
    checkId(l.id, ptr);
    const logic = compileWhen(l.when, FINDING_SHAPE, `${ptr}/when`, doc, file, issues);
    set.limits.push({ ...at(ptr), id: l.id, description: l.description, max: l.max, action: (l.action ?? 'block') as 'block', when: l.when, logic, test: () => false });
  });
  (spec.image ?? []).forEach((r, i) => {
    const ptr = `/spec/image/${i}`;
    checkId(r.id, ptr);
    const logic = compileWhen(r.when, IMAGE_SHAPE, `${ptr}/when`, doc, file, issues);
    set.imageRules.push({ ...at(ptr), id: r.id, description: r.description, action: r.action as 'block', when: r.when, logic, test: () => false });
  });
  (spec.exceptions ?? []).forEach((e, i) => {
    const ptr = `/spec/exceptions/${i}`;
    if (e.purl !== undefined && !parsePurl(e.purl)) {
      const pos = doc.valueAt(`${ptr}/purl`);
      issues.push({ file, line: pos.line, column: pos.column, message: `${pointerLabel(`${ptr}/purl`)}: not a valid package URL` });
    }
    set.exceptions.push({
      ...at(ptr), id: e.id!, package: e.package, purl: e.purl, version: e.version, path: e.path,
      reason: e.reason!, expires: e.expires!, owner: e.owner,
    });
  });
  const cov = spec.coverage;
  if (cov) {
    set.coverage = {
      accept: (cov.accept ?? []).map((a, i): CoverageAccept => {
        const out: CoverageAccept = { ...at(`/spec/coverage/accept/${i}`), reason: a.reason! };
        for (const k of ['ecosystem', 'path', 'expires', 'owner'] as const) if (a[k] !== undefined) out[k] = a[k];
        if (a.status !== undefined) out.status = a.status as CoverageAccept['status'];
        return out;
      }),
      missingIntel: [...(cov.missingIntel ?? [])],
      ...(cov.unreadManifests ? { unreadManifests: cov.unreadManifests } : {}),
      ...(cov.uncheckedPackages ? { uncheckedPackages: cov.uncheckedPackages } : {}),
    };
  }
  if (issues.length) return { issues: issues.sort((a, b) => a.line - b.line || a.column - b.column), set: emptyPolicySet() };

  // Compile once, after everything is known to be valid.
  for (const item of [...set.rules, ...set.limits, ...set.imageRules]) item.test = compileLogic(item.logic);
  return { issues, set };
}

/** All problems in one policy file (empty when valid). For `policy validate`. */
export async function validatePolicyFile(path: string): Promise<PolicyIssue[]> {
  return parsePolicy(await readPolicyText(path), path, path, resolve(path)).issues;
}

/** Loads one file; throws PortcullisError `file:line:column: message` (plus a count) when invalid. */
export async function loadPolicyFile(path: string, source = path): Promise<PolicySet> {
  return policyFromText(await readPolicyText(path), path, source);
}

/** loadPolicyFile for a text already read from `path`. */
export function policyFromText(text: string, path: string, source = path): PolicySet {
  const { issues, set } = parsePolicy(text, path, source, resolve(path));
  if (issues.length) {
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''}; run portcullis policy validate)` : '';
    throw new PortcullisError(`${formatIssue(issues[0]!)}${more}`);
  }
  return set;
}

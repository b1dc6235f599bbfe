// `portcullis policy test`: YAML cases (findings / image config -> expected decisions), like
// `opa test`. A case fails when any stated expectation differs; unstated things are not checked.
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { PortcullisError } from '../errors.js';
import type { Decision } from '../model/decision.js';
import { findingKey, type Finding } from '../model/finding.js';
import type { PackageType } from '../model/package.js';
import { REPORT_SCHEMA_VERSION, type Report } from '../model/report.js';
import { makeValidator } from './ajv-compile.js';
import { pointerLabel, schemaIssues } from './ajv-issues.js';
import { decide } from './decide.js';
import { parseIgnoreFile } from './ignore-file.js';
import { loadPolicies, MAX_POLICY_FILE_BYTES } from './load.js';
import { POLICY_TEST_SCHEMA } from './policy-test-schema.js';
import { formatIssue } from './types.js';
import { loadLocatedYaml } from './yaml-positions.js';
import { fileKind, readRegularText } from '../util/regular-file.js';

interface TestFinding {
  id: string;
  aliases?: string[];
  severity: Finding['severity'];
  status?: Finding['status'];
  fixedVersions?: string[];
  kev?: boolean | Record<string, string>;
  epss?: { score: number; percentile?: number };
  cvss?: number;
  published?: string;
  layer?: number;
  package: { name: string; version: string; type: string; ecosystem?: string; purl?: string; path?: string; sourceName?: string; dev?: boolean };
}

type Expected = string | { action: string; rule?: string; decidedBy?: string; preExisting?: boolean };

interface TestCase {
  name: string;
  now?: string;
  baseLayerCount?: number;
  findings?: TestFinding[];
  baseline?: TestFinding[];
  ignore?: string[];
  image?: { user?: string; env?: string[]; labels?: Record<string, string>; history?: string[]; repository?: string; tags?: string[] };
  db?: { updatedAt?: string };
  expect: {
    blocked?: boolean;
    findings?: Record<string, Expected>;
    imageViolations?: string[];
    limitViolations?: string[];
    expiredExceptions?: string[];
  };
}

export interface CaseResult {
  file: string;
  name: string;
  line: number;
  failures: string[];
}

export function testFinding(t: TestFinding): Finding {
  const p = t.package;
  const layer = { index: t.layer ?? 0, digest: `sha256:${'0'.repeat(64)}`, diffId: `sha256:${'0'.repeat(64)}` };
  const fixed = t.fixedVersions ?? [];
  return {
    id: t.id,
    aliases: t.aliases ?? [],
    package: {
      name: p.name,
      version: p.version,
      type: p.type as PackageType,
      ecosystem: p.ecosystem ?? '',
      purl: p.purl ?? `pkg:${p.type}/${p.name}@${p.version}`,
      sourceName: p.sourceName ?? p.name,
      path: p.path ?? '/',
      layer,
      foundBy: 'policy-test',
      dev: p.dev,
    },
    status: t.status ?? (fixed.length ? 'fixed' : 'affected'),
    fixedVersions: fixed,
    severity: t.severity,
    severitySource: 'vendor',
    cvss: t.cvss === undefined ? [] : [{ version: '3.1', vector: '', score: t.cvss, source: 'policy-test' }],
    kev: t.kev === undefined || t.kev === false ? undefined : { dateAdded: '', ...(typeof t.kev === 'object' ? t.kev : {}) },
    epss: t.epss ? { score: t.epss.score, percentile: t.epss.percentile ?? 0 } : undefined,
    published: t.published,
    references: [],
    layer,
    records: [t.id],
  };
}

function testReport(c: TestCase, findings: TestFinding[] | undefined): Report {
  const img = c.image ?? {};
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'portcullis', version: 'policy-test' },
    createdAt: new Date(0).toISOString(),
    image: {
      source: 'policy-test',
      sourceType: 'policy-test',
      configDigest: `sha256:${'0'.repeat(64)}`,
      tags: img.tags ?? [],
      repository: img.repository,
      config: {
        os: 'linux',
        architecture: 'amd64',
        user: img.user,
        env: img.env ?? [],
        labels: img.labels ?? {},
        history: (img.history ?? []).map((createdBy) => ({ createdBy, emptyLayer: false })),
      },
    },
    layers: [],
    packages: [],
    findings: (findings ?? []).map(testFinding),
    db: c.db?.updatedAt ? { location: 'policy-test', updatedAt: c.db.updatedAt, sources: [] } : undefined,
    warnings: [],
  };
}

function checkCase(c: TestCase, decision: Decision, report: Report): string[] {
  const failures: string[] = [];
  const e = c.expect;
  if (e.blocked !== undefined && e.blocked !== decision.blocked) failures.push(`blocked: expected ${e.blocked}, got ${decision.blocked}`);
  for (const [name, want] of Object.entries(e.findings ?? {})) {
    // `ID`, or `ID@NAME` / `ID@NAME@VERSION` when one id is in several packages.
    const at = name.indexOf('@');
    const id = at < 0 ? name : name.slice(0, at);
    const rest = at < 0 ? undefined : name.slice(at + 1);
    const vAt = rest ? rest.lastIndexOf('@') : -1;
    const pkg = rest && vAt > 0 ? rest.slice(0, vAt) : rest;
    const version = rest && vAt > 0 ? rest.slice(vAt + 1) : undefined;
    const matches = (report.findings ?? []).filter(
      (f) => (f.id === id || f.aliases.includes(id)) && (!pkg || f.package.name === pkg) && (!version || f.package.version === version),
    );
    if (matches.length !== 1) {
      failures.push(`finding ${name}: ${matches.length ? 'several findings match; write ID@NAME or ID@NAME@VERSION' : 'no such finding in the case'}`);
      continue;
    }
    const got = decision.byFinding[findingKey(matches[0]!)]!;
    const w = typeof want === 'string' ? { action: want } : want;
    const diffs: string[] = [];
    if (w.action !== got.action) diffs.push(`action ${w.action}, got ${got.action}`);
    if (w.rule !== undefined && w.rule !== got.rule) diffs.push(`rule ${w.rule}, got ${got.rule}`);
    if (w.decidedBy !== undefined && w.decidedBy !== got.decidedBy) diffs.push(`decidedBy ${w.decidedBy}, got ${got.decidedBy}`);
    if (w.preExisting !== undefined && w.preExisting !== (got.preExisting === true)) diffs.push(`preExisting ${w.preExisting}, got ${got.preExisting === true}`);
    if (diffs.length) failures.push(`finding ${name}: expected ${diffs.join('; ')} (decided by ${got.decidedBy} ${got.rule})`);
  }
  const sameSet = (label: string, want: string[] | undefined, got: string[]) => {
    if (want === undefined) return;
    const a = [...want].sort().join(', ');
    const b = [...got].sort().join(', ');
    if (a !== b) failures.push(`${label}: expected [${a}], got [${b}]`);
  };
  sameSet('imageViolations', e.imageViolations, decision.imageViolations.map((v) => v.rule));
  sameSet('limitViolations', e.limitViolations, decision.limitViolations.map((v) => v.rule));
  sameSet('expiredExceptions', e.expiredExceptions, decision.expiredExceptions.map((v) => v.id));
  return failures;
}

let validator: ReturnType<typeof makeValidator> | undefined;

export async function runPolicyTestFile(file: string): Promise<CaseResult[]> {
  const doc = loadLocatedYaml(await readRegularText(file, 'policy test', MAX_POLICY_FILE_BYTES), file);
  validator ??= makeValidator(POLICY_TEST_SCHEMA);
  const issues = schemaIssues(validator, doc, file, pointerLabel);
  if (issues.length) throw new PortcullisError(formatIssue(issues[0]!) + (issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''));
  const spec = (doc.data as { spec: { policies: string[]; now?: string; cases: TestCase[] } }).spec;
  const base = dirname(resolve(file));
  const policies = await loadPolicies(spec.policies.map((p) => (p.startsWith('builtin:') ? p : join(base, p))));
  return spec.cases.map((c, i) => {
    const line = doc.valueAt(`/spec/cases/${i}`).line;
    const nowText = c.now ?? spec.now;
    const now = nowText ? new Date(nowText) : new Date();
    if (Number.isNaN(now.getTime())) return { file, name: c.name, line, failures: [`now: "${nowText}" is not a date`] };
    const report = testReport(c, c.findings);
    const decision = decide(report, policies, {
      now,
      baseLayerCount: c.baseLayerCount,
      ignore: c.ignore ? parseIgnoreFile(c.ignore.join('\n'), `${file}#ignore`) : undefined,
      baseline: c.baseline ? testReport(c, c.baseline) : undefined,
    });
    return { file, name: c.name, line, failures: checkCase(c, decision, report) };
  });
}

/** Test files under the given paths: `*.yaml` / `*.yml`, directories searched recursively. */
export async function findPolicyTests(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  const visit = async (p: string, depth: number): Promise<void> => {
    let s;
    try {
      s = await stat(p);
    } catch {
      throw new PortcullisError('no such file or directory', { subject: p });
    }
    if (!s.isFile() && !s.isDirectory()) throw new PortcullisError(`policy test is not a regular file or a directory (${fileKind(s)})`, { subject: p });
    if (s.isFile()) out.push(p);
    else if (s.isDirectory() && depth < 16) {
      for (const name of (await readdir(p)).sort()) {
        const child = join(p, name);
        if (/\.ya?ml$/.test(name) || (await stat(child)).isDirectory()) await visit(child, depth + 1);
      }
    }
  };
  for (const p of paths) await visit(p, 0);
  return out;
}

// `portcullis policy validate | test | explain`: the policy author's tools.
import { PortcullisError, errorMessage } from '../../errors.js';
import type { Decision } from '../../model/decision.js';
import type { Report } from '../../model/report.js';
import { parseCommandArgs, unknownSubcommand } from '../args.js';
import { EXIT_BLOCKED, EXIT_ERROR, EXIT_PASS, type Command } from '../command.js';
import type { CliIO } from '../io.js';
import { formatIssue, loadPolicies, validatePolicyFile, type PolicySet } from '../../policy/index.js';
import { explainFinding, findFindings } from '../../policy/explain.js';
import { isRecord, readJsonFile } from '../../policy/json-file.js';
import { findPolicyTests, runPolicyTestFile } from '../../policy/policy-test.js';
import { resolve } from 'node:path';

/** Each subcommand's own help (`portcullis policy test --help`). */
const SUBCOMMANDS: Record<string, string> = {
  validate: `Usage: portcullis policy validate FILE...

Checks policy files. Prints each problem as FILE:LINE:COLUMN: MESSAGE.
Exit 0 when all are valid, 2 otherwise. Policy format: docs/policy.md
`,
  test: `Usage: portcullis policy test PATH... [--verbose]

Runs policy tests (kind: PolicyTest YAML files; directories are searched for *.yaml).
Exit 0 when every case passes, 1 when a case fails, 2 on an invalid test or policy.

Options:
  -v, --verbose       list passing cases too
`,
  explain: `Usage: portcullis policy explain REPORT.json --finding ID [--policy FILE]...

Explains why a finding (id, alias or finding key) in a scan report got its action: the deciding
rule, its file, and the context values it tested. The policies named in the report's decision
are reloaded unless --policy is given.

Options:
  --finding ID        the finding to explain (required)
  --policy FILE       policy file(s) to judge with instead of the report's, repeatable
`,
};

const USAGE = `Usage:
  portcullis policy validate FILE...
      Check policy files. Prints each problem as FILE:LINE:COLUMN: MESSAGE.
      Exit 0 when all are valid, 2 otherwise.
  portcullis policy test PATH... [--verbose]
      Run policy tests (kind: PolicyTest YAML files; directories are searched for *.yaml).
      Exit 0 when every case passes, 1 when a case fails, 2 on an invalid test or policy.
  portcullis policy explain REPORT.json --finding ID [--policy FILE]...
      Explain why a finding (id, alias or finding key) in a scan report got its action:
      the deciding rule, its file, and the context values it tested. The policies named in the
      report's decision are reloaded unless --policy is given.

Each subcommand has its own --help (portcullis policy test --help). Policy format: docs/policy.md
`;

async function validate(files: string[], io: CliIO): Promise<number> {
  if (files.length === 0) throw new PortcullisError('policy validate: name at least one policy file');
  let bad = false;
  for (const f of files) {
    const issues = await validatePolicyFile(resolve(io.cwd, f)).then(
      (list) => list.map((i) => ({ ...i, file: f })),
      (err: unknown) => {
        if (err instanceof PortcullisError) return [{ file: f, line: 0, column: 0, message: errorMessage(err) }];
        throw err;
      },
    );
    if (issues.length === 0) io.stdout.write(`${f}: ok\n`);
    for (const i of issues) io.stderr.write(`${i.line ? formatIssue(i) : i.message}\n`);
    if (issues.length) bad = true;
  }
  return bad ? EXIT_ERROR : EXIT_PASS;
}

async function test(paths: string[], verbose: boolean, io: CliIO): Promise<number> {
  if (paths.length === 0) throw new PortcullisError('policy test: name a test file or directory');
  const files = await findPolicyTests(paths.map((p) => resolve(io.cwd, p)));
  if (files.length === 0) throw new PortcullisError(`policy test: no *.yaml test files under ${paths.join(', ')}`);
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    const results = await runPolicyTestFile(file);
    const shown = results.filter((r) => verbose || r.failures.length);
    if (shown.length) io.stdout.write(`${file}:\n`);
    for (const r of results) {
      if (r.failures.length === 0) {
        passed++;
        if (verbose) io.stdout.write(`  PASS ${r.name}\n`);
        continue;
      }
      failed++;
      io.stdout.write(`  FAIL ${r.name} (line ${r.line})\n`);
      for (const f of r.failures) io.stdout.write(`       ${f}\n`);
    }
  }
  const total = passed + failed;
  io.stdout.write(`${'-'.repeat(40)}\nPASS: ${passed}/${total}\n${failed ? `FAIL: ${failed}/${total}\n` : ''}`);
  return failed ? EXIT_BLOCKED : EXIT_PASS;
}

async function explain(args: string[], findingId: string | undefined, policyArgs: string[] | undefined, io: CliIO): Promise<number> {
  if (args.length !== 1) throw new PortcullisError('policy explain: name one report (JSON written by scan --format json)');
  if (!findingId) throw new PortcullisError('policy explain: --finding ID is required');
  const path = resolve(io.cwd, args[0]!);
  const doc = await readJsonFile(path, 'report');
  if (!isRecord(doc) || !Array.isArray(doc.findings) || !isRecord(doc.decision) || !isRecord(doc.decision.byFinding)) {
    throw new PortcullisError('not a scan report with a decision (needs "findings" and "decision")', { subject: args[0] });
  }
  const report = doc as unknown as Report & { decision: Decision };
  const matches = findFindings(report, findingId);
  if (matches.length === 0) throw new PortcullisError(`no finding "${findingId}" in the report`, { subject: args[0] });
  let policies: PolicySet | undefined;
  let note: string | undefined;
  try {
    const list = policyArgs?.length ? policyArgs.map((p) => (p.startsWith('builtin:') ? p : resolve(io.cwd, p))) : report.decision.policies;
    policies = list.length ? await loadPolicies(list) : undefined;
    if (!policies) note = 'the report names no policies';
  } catch (err) {
    note = `policies could not be reloaded: ${errorMessage(err)}`;
  }
  io.stdout.write(`${matches.map((f) => explainFinding(f, report, policies, note)).join('\n\n')}\n`);
  return EXIT_PASS;
}

const command: Command = {
  name: 'policy',
  summary: 'Validate, test and explain policies',
  usage: USAGE,
  subcommands: SUBCOMMANDS,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'validate':
        return validate(parseCommandArgs('policy validate', rest, {}).positionals, io);
      case 'test': {
        const { values, positionals } = parseCommandArgs('policy test', rest, { verbose: { type: 'boolean', short: 'v' } });
        return test(positionals, values.verbose === true, io);
      }
      case 'explain': {
        const { values, positionals } = parseCommandArgs('policy explain', rest, {
          finding: { type: 'string' },
          policy: { type: 'string', multiple: true },
        });
        return explain(positionals, values.finding, values.policy, io);
      }
      default:
        throw unknownSubcommand('policy', sub, Object.keys(SUBCOMMANDS));
    }
  },
};
export default command;

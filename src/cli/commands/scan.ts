import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errorMessage, PortcullisError } from '../../errors.js';
import { parsePkgTypes, parseSeverityList } from '../../match/filter.js';
import { SEVERITY_PREFERENCES, type SeverityPreference } from '../../match/severity.js';
import { formatFor } from '../../report/formats.js';
import { writeReports, type FormatTarget } from '../../report/output.js';
import { tektonResults, writeTektonResults } from '../../report/tekton-results.js';
import type { Report } from '../../model/report.js';
import { scan } from '../../scan/scan.js';
import { DEFAULT_MAX_DB_AGE_MS, parseDuration } from '../../vulndb/freshness.js';
import { parseCommandArgs } from '../args.js';
import { EXIT_BLOCKED, EXIT_ERROR, EXIT_PASS, type Command } from '../command.js';
import { coverageGaps } from '../../match/coverage.js';
import { wantsProgress, type CliIO } from '../io.js';
import { FORMAT_FLAGS, formatTargets, formatUsage, SCAN_OUTPUT } from '../format-flags.js';
import { verdictLine } from '../verdict.js';
import { ATTEST_FLAGS, ATTEST_USAGE, attestPlan, runAttestPlan } from './attest-flags.js';
import { CACHE_FLAGS, CACHE_USAGE, cacheOptions } from './cache-flags.js';
import { IMAGE_SRC_FLAGS, IMAGE_SRC_USAGE, imageSourceOptions } from './image-src-flags.js';
import { registryOptions, REGISTRY_FLAGS, REGISTRY_USAGE } from './registry-flags.js';

const usage = `Usage: portcullis scan <image> [options]
       portcullis scan --sbom FILE [options]

Inventories the image, matches its packages against the vulnerability DB, applies the policy
gate and writes reports. Exit: 0 pass, 1 blocked by policy, 2 error.

<image>: docker-archive:PATH | oci-archive:PATH | oci:DIR[:TAG|@DIGEST] | PATH
         docker:NAME | podman:NAME | containerd:NAME | containers-storage:NAME | docker://REF
         NAME[:TAG]: tried in each --image-src in order

Input:
  --sbom FILE             scan a CycloneDX or SPDX JSON SBOM instead of an image
  --platform P            os/arch[/variant] to pick from a multi-platform image
${IMAGE_SRC_USAGE}${CACHE_USAGE}${REGISTRY_USAGE}
Vulnerability data:
  --db FILE               local DB (default: $PORTCULLIS_DB or the per-user cache)
  --db-url URL            query a \`portcullis db serve\` (or https://api.osv.dev) instead
  --insecure-db-url       allow the DB token (PORTCULLIS_DB_TOKEN) over plain http:// to a
                          host that is not loopback (env PORTCULLIS_INSECURE_DB_URL=1)
  --offline               never download; a missing DB is an error
  --max-db-age D          refuse an older DB (default 72h; e.g. 24h, 7d)
  --skip-db-age-check     accept a DB of any age
  --severity-source S     vendor (default) | cvss | nvd: whose severity wins
  --allow-uncovered       accept packages the data does not cover and OS package databases that
                          could not be read (listed as accepted); default: such gaps end in exit 2
Filters:
  --severity LIST         e.g. CRITICAL,HIGH
  --ignore-unfixed        drop findings that have no fixed version
  --pkg-types LIST        os,library
Gate:
  --policy FILE|none      policy file(s), repeatable (default: the shipped policies/default.yaml)
  --vex FILE              OpenVEX or CycloneDX VEX, repeatable
  --ignorefile FILE       .trivyignore-style ids (exp:YYYY-MM-DD supported)
  --baseline REPORT.json  only findings absent from this earlier report can block
  --base-layers N         the first N layers are the base image (policy context layer.base)
Output:
${formatUsage(SCAN_OUTPUT)}  --quiet                 no progress output, and no verdict line on stderr
  --reports-dir DIR       each --format NAME given without =FILE goes to DIR/report.EXT
                          (json when no --format is given)
  --results-dir DIR       also write Tekton result files into DIR (DECISION, BLOCKED, a count
                          per severity, COVERAGE, REPORT, REPORT_DIGEST, ERROR), also when the
                          scan fails after its flags were read
${ATTEST_USAGE}`;

/** What a run got to, for the result files written after it (or after its error). */
interface ScanOutcome {
  resultsDir?: string;
  report?: Report;
  mainReport?: { path: string; digest: string };
}

/** The report a result points to: the first JSON file, else the first file written. */
async function mainReport(targets: readonly FormatTarget[]): Promise<ScanOutcome['mainReport']> {
  const t = targets.find((x) => x.path && x.format === 'json') ?? targets.find((x) => x.path);
  if (!t?.path) return undefined;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(t.path)) hash.update(chunk as Buffer);
  return { path: t.path, digest: `sha256:${hash.digest('hex')}` };
}

/** `--reports-dir`: a bare format name gets DIR/report.EXT; each name once. */
function inReportsDir(formats: readonly string[], dir: string): string[] {
  const named = formats.length ? formats : ['json'];
  return [...new Set(named)].map((f) => (f.includes('=') ? f : `${f}=${join(dir, `report.${formatFor(f.trim()).extension}`)}`));
}

const command: Command = {
  name: 'scan',
  summary: 'Scan an image for vulnerabilities and gate it by policy',
  usage,
  async run(args, io) {
    const outcome: ScanOutcome = {};
    let code: number;
    try {
      code = await scanRun.run(args, io, outcome);
      if (outcome.resultsDir) await writeTektonResults(outcome.resultsDir, tektonResults(outcome));
    } catch (err) {
      if (outcome.resultsDir) {
        const line = err instanceof PortcullisError ? errorMessage(err) : `internal error: ${errorMessage(err)}`;
        await writeTektonResults(outcome.resultsDir, tektonResults({ ...outcome, error: line })).catch(() => undefined);
      }
      throw err;
    }
    return code;
  },
};
export default command;

// The scan itself; `outcome` records how far it got for the result files.
const scanRun = {
  async run(args: string[], io: CliIO, outcome: ScanOutcome): Promise<number> {
    const { values, positionals } = parseCommandArgs('scan', args, {
      sbom: { type: 'string' },
      platform: { type: 'string' },
      ...REGISTRY_FLAGS,
      ...IMAGE_SRC_FLAGS,
      ...CACHE_FLAGS,
      db: { type: 'string' },
      'db-url': { type: 'string' },
      'insecure-db-url': { type: 'boolean', default: false },
      offline: { type: 'boolean', default: false },
      'max-db-age': { type: 'string' },
      'skip-db-age-check': { type: 'boolean', default: false },
      'severity-source': { type: 'string', default: 'vendor' },
      'allow-uncovered': { type: 'boolean', default: false },
      severity: { type: 'string' },
      'ignore-unfixed': { type: 'boolean', default: false },
      'pkg-types': { type: 'string' },
      policy: { type: 'string', multiple: true },
      vex: { type: 'string', multiple: true },
      ignorefile: { type: 'string' },
      baseline: { type: 'string' },
      'base-layers': { type: 'string' },
      ...FORMAT_FLAGS,
      quiet: { type: 'boolean', default: false },
      'reports-dir': { type: 'string' },
      'results-dir': { type: 'string' },
      ...ATTEST_FLAGS,
    });
    if (values['results-dir'] !== undefined) {
      // Checked first, so a typo fails before the scan, not after it.
      const dir = resolve(io.cwd, values['results-dir']);
      if (!(await stat(dir).catch(() => undefined))?.isDirectory()) throw new PortcullisError('--results-dir: not a directory', { subject: dir });
      outcome.resultsDir = dir;
    }
    if (values.sbom ? positionals.length !== 0 : positionals.length !== 1) {
      throw new PortcullisError(`scan: expected one image argument or --sbom FILE (got ${positionals.length} arguments)`);
    }
    const severitySource = values['severity-source'] as string;
    if (!SEVERITY_PREFERENCES.includes(severitySource as SeverityPreference)) {
      throw new PortcullisError(`--severity-source: "${severitySource}" is not one of ${SEVERITY_PREFERENCES.join(', ')}`);
    }
    const policyArgs = values.policy ?? [];
    if (policyArgs.includes('none') && policyArgs.length > 1) throw new PortcullisError('--policy none cannot be combined with policy files');
    const baseLayers = values['base-layers'];
    if (baseLayers !== undefined && !/^\d+$/.test(baseLayers)) throw new PortcullisError(`--base-layers: "${baseLayers}" is not a whole number`);

    let formatValues: { format?: string[]; output?: string } = values;
    if (values['reports-dir'] !== undefined) {
      if (values.output !== undefined) throw new PortcullisError('--output: use either --output or --reports-dir');
      formatValues = { format: inReportsDir(values.format ?? [], resolve(io.cwd, values['reports-dir'])) };
    }
    const targets = formatTargets(formatValues, SCAN_OUTPUT, io.cwd);
    const progress = wantsProgress(io, values.quiet === true);
    const attestation = await attestPlan(values, io);
    const imageRegistry = await registryOptions(values, io);

    const report = await scan({
      input: {
        image: positionals[0],
        sbom: values.sbom,
        source: {
          ...(values.platform ? { platform: values.platform } : {}),
          ...imageRegistry,
          ...imageSourceOptions(values, io),
        },
      },
      cache: cacheOptions(values),
      db: {
        path: values.db,
        url: values['db-url'],
        ...(values['insecure-db-url'] === true ? { insecureUrl: true } : {}),
        offline: values.offline === true,
        maxAgeMs: values['max-db-age'] ? parseDuration(values['max-db-age']) : DEFAULT_MAX_DB_AGE_MS,
        skipAgeCheck: values['skip-db-age-check'] === true,
      },
      match: {
        severitySource: severitySource as SeverityPreference,
        filter: {
          ...(values.severity ? { severities: parseSeverityList(values.severity) } : {}),
          ignoreUnfixed: values['ignore-unfixed'] === true,
          ...(values['pkg-types'] ? { pkgTypes: parsePkgTypes(values['pkg-types']) } : {}),
        },
      },
      gate: {
        policies: policyArgs.length === 0 ? 'default' : policyArgs[0] === 'none' ? 'none' : policyArgs,
        vex: values.vex,
        ignoreFile: values.ignorefile,
        baseline: values.baseline,
        ...(baseLayers !== undefined ? { baseLayerCount: Number(baseLayers) } : {}),
        allowUncovered: values['allow-uncovered'] === true,
      },
      env: io.env,
      cwd: io.cwd,
      onProgress: progress ? (m) => io.stderr.write(`\r\x1b[K${m}`) : undefined,
      onNotice: (m) => io.stderr.write(`portcullis: ${m}\n`),
    });
    if (progress) io.stderr.write('\r\x1b[K');
    outcome.report = report;
    await writeReports(report, targets, io);
    if (outcome.resultsDir) outcome.mainReport = await mainReport(targets);
    for (const e of report.decision?.expiredExceptions ?? []) {
      io.stderr.write(`portcullis: EXPIRED exception ${e.id} (expired ${e.expires}${e.source ? `, ${e.source}` : ''}) no longer suppresses\n`);
    }
    // Something was not checked and nobody accepted that: never a pass, whatever the findings.
    if (report.coverage && !report.coverage.complete) {
      // One line (a pipeline's log shows it whole): every gap, then how to accept one.
      const gaps = coverageGaps(report.coverage);
      io.stderr.write(`portcullis: incomplete scan, not a pass: ${gaps.join('; ')}; accept a known gap in a policy's spec.coverage.accept, or pass --allow-uncovered\n`);
      return EXIT_ERROR;
    }
    // Only a complete scan is attested (an incomplete one ended above with exit 2).
    if (attestation) await runAttestPlan(attestation, report, io, imageRegistry.registry);
    // Last, so an error before it stays the run's one line; never silent when reports went to files.
    if (values.quiet !== true) io.stderr.write(`portcullis: ${verdictLine(report)}\n`);
    return report.decision?.blocked ? EXIT_BLOCKED : EXIT_PASS;
  },
};

// The Dagger module: a thin shell over the same core the CLI and the Tekton Task call
// (src/scan/scan.ts, src/report/). It only turns Dagger objects into local files and back.
// This is the only file under src/ that imports @dagger.io/dagger (the Dagger TypeScript runtime
// loads every .ts file under src/); the CLI build (tsconfig.build.json) excludes it.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argument, dag, func, object, type CacheVolume, type Container, type Directory, type File, type Secret } from '@dagger.io/dagger';
import { signStatement } from './attest/bundle.js';
import { signingKeyFromPem } from './attest/keys.js';
import { digestPolicies, type PolicyDigest } from './attest/policy-digest.js';
import { buildVsa } from './attest/vsa.js';
import { PortcullisError } from './errors.js';
import { coverageGaps } from './match/coverage.js';
import { parseSeverityList } from './match/filter.js';
import { SEVERITIES } from './model/finding.js';
import type { Report } from './model/report.js';
import { severityCounts } from './report/common.js';
import { encoderFor } from './report/index.js';
import { scan as runScan } from './scan/scan.js';

/** Base of the portcullis image; the same Node line the project is tested on. */
export const NODE_IMAGE = 'node:20.20.2-bookworm-slim';
/** Where the image keeps the DB; a CacheVolume is mounted here. */
export const DB_DIR = '/var/cache/portcullis';
export const DB_PATH = `${DB_DIR}/db.sqlite`;
/** Default CacheVolume key for the vulnerability DB. */
export const DB_CACHE_KEY = 'portcullis-db';
const APP_DIR = '/opt/portcullis';
const DB_COPY_DIR = '/tmp/portcullis-db-copy';
/** Files of the checkout that never belong in the image build context. */
const SOURCE_IGNORE = ['.git', 'node_modules', 'dist', 'sdk', 'test-artifacts', '.dagger'];

/** What these functions use of the Dagger API: `dag` in the engine, a stand-in in tests. */
export type DaggerClient = Pick<typeof dag, 'container' | 'directory' | 'cacheVolume'>;
let client: DaggerClient = dag;

/** Replaces the Dagger client (tests run without an engine); returns the previous one. */
export function setDaggerClient(next: DaggerClient): DaggerClient {
  const previous = client;
  client = next;
  return previous;
}

/** A value that changes every call, so the engine re-runs an exec whose cache volume may have changed. */
function freshRun(): string {
  return `${new Date().toISOString()}-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

function fileOf(name: string, contents: string): File {
  return client.directory().withNewFile(name, contents).file(name);
}

/** The verdict of a report in one line (what `decision` and `gate` return). */
function decisionLine(report: Report): string {
  const bySeverity = severityCounts(report.findings ?? []);
  const severities = SEVERITIES.map((s) => `${s} ${bySeverity[s]}`).join(', ');
  // Something not checked and not accepted: never a pass, whatever the policy says.
  if (report.coverage && !report.coverage.complete) return `incomplete: ${coverageGaps(report.coverage).join('; ')}`;
  const d = report.decision;
  if (!d) return `no policy: ${report.findings?.length ?? 0} findings (${severities})`;
  const verdict = d.blocked ? 'blocked' : 'pass';
  return `${verdict}: ${d.counts.block} block, ${d.counts.warn} warn, ${d.counts.ignore} ignore; findings ${severities}`;
}

/**
 * The result of one scan: the native JSON report, with getters for every report format and the
 * policy decision.
 */
@object()
export class Scan {
  /** The native portcullis report (JSON, docs/report-format.md). */
  @func()
  json: string;

  /**
   * The digests of the policies the decision was reached under (JSON; empty without a policy):
   * taken at scan time, while the policy files are still at hand, for `attestation`.
   */
  @func()
  policyDigest: string;

  constructor(json: string, policyDigest = '') {
    this.json = json;
    this.policyDigest = policyDigest;
  }

  private parsed(): Report {
    return JSON.parse(this.json) as Report;
  }

  /**
   * The report in one format as a file named report.EXT.
   * @param format json, table, sarif, cyclonedx, spdx, junit, markdown or html
   */
  @func()
  report(format = 'json'): File {
    const encoder = encoderFor(format);
    return fileOf(`report.${encoder.extension}`, encoder.encode(this.parsed(), { color: false }));
  }

  /** SARIF 2.1.0, for code-scanning dashboards. */
  @func()
  sarif(): File {
    return this.report('sarif');
  }

  /**
   * The image's packages as an SBOM with its vulnerabilities.
   * @param format cyclonedx or spdx
   */
  @func()
  sbom(format = 'cyclonedx'): File {
    if (format !== 'cyclonedx' && format !== 'spdx') throw new PortcullisError(`sbom: format "${format}" is not cyclonedx or spdx`);
    return this.report(format);
  }

  /** A Markdown summary, for a pull-request comment or a job summary. */
  @func()
  summary(): string {
    return encoderFor('markdown').encode(this.parsed());
  }

  /** One line: "pass" or "blocked", then the decision counts and findings by severity. */
  @func()
  decision(): string {
    return decisionLine(this.parsed());
  }

  /**
   * The verdict as a signed attestation: an in-toto Statement (SLSA VSA, PASSED or FAILED) about
   * the image's manifest digest, in a DSSE envelope inside a Sigstore bundle (docs/attestations.md).
   * Attach it with `portcullis attest push REF attestation.json`.
   * @param key the PEM private key (ECDSA P-256 or Ed25519, PKCS#8)
   */
  @func()
  async attestation(key: Secret): Promise<File> {
    if (!this.policyDigest) throw new PortcullisError('attestation: the scan had no policy decision to attest');
    const statement = buildVsa(this.parsed(), JSON.parse(this.policyDigest) as PolicyDigest);
    const signed = signStatement(statement, signingKeyFromPem(await key.plaintext(), 'the key secret', { flag: 'attestation' }));
    return fileOf('attestation.json', `${JSON.stringify(signed.bundle)}\n`);
  }

  /**
   * Fails (non-zero `dagger call` exit) when the policy blocks or the scan is incomplete; otherwise
   * returns the decision line.
   */
  @func()
  gate(): string {
    const report = this.parsed();
    const line = decisionLine(report);
    if (report.decision?.blocked || (report.coverage && !report.coverage.complete)) throw new PortcullisError(`portcullis gate: ${line}`);
    return line;
  }
}

/**
 * portcullis: a container-image vulnerability gate. Scans a container, a registry address or an
 * image tarball, matches its packages against OSV data, and decides go / no-go by policy.
 */
@object()
export class Portcullis {
  /**
   * The portcullis image (Node 20, non-root user "node", entrypoint `portcullis`), built from this
   * module's source. Publish it to use the Tekton Task.
   * @param source the portcullis checkout (default: this module's context directory)
   */
  @func()
  container(@argument({ defaultPath: '/', ignore: SOURCE_IGNORE }) source?: Directory): Container {
    const base = client.container().from(NODE_IMAGE);
    const ctx = source ?? client.directory();
    return base
      .withDirectory(APP_DIR, ctx, { exclude: SOURCE_IGNORE })
      .withWorkdir(APP_DIR)
      // better-sqlite3 compiles from source when no prebuilt binary can be fetched.
      .withExec(['sh', '-c', 'apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*'])
      .withExec(['npm', 'ci', '--no-audit', '--no-fund'])
      .withExec(['npm', 'prune', '--omit=dev', '--no-audit', '--no-fund'])
      .withExec(['sh', '-c', 'apt-get purge -y -qq python3 make g++ && apt-get autoremove -y -qq'])
      .withExec(['sh', '-c', `ln -s ${APP_DIR}/bin/portcullis.js /usr/local/bin/portcullis && mkdir -p ${DB_DIR} && chown node:node ${DB_DIR}`])
      .withEnvVariable('PORTCULLIS_DB', DB_PATH)
      .withUser('node')
      .withWorkdir('/home/node')
      .withEntrypoint(['portcullis']);
  }

  /**
   * Downloads or refreshes the vulnerability DB inside a CacheVolume, so pipelines do not fetch
   * it on every run; `scan` reads it from the same volume. Returns `portcullis db status`.
   * @param db the volume holding the DB (default: the "portcullis-db" cache volume)
   * @param ecosystem OSV ecosystems to fetch, e.g. Debian:12, npm (default: those already in the DB)
   * @param sourceUrl URL templates to fetch from, in order ({ecosystem} is replaced; default: the OSV bucket)
   * @param mirror fallback URL templates ({ecosystem} is replaced)
   * @param enrichment also fetch CISA KEV and FIRST EPSS
   * @param source the portcullis checkout the image is built from
   */
  @func()
  async dbUpdate(
    db?: CacheVolume,
    ecosystem: string[] = [],
    sourceUrl: string[] = [],
    mirror: string[] = [],
    enrichment = true,
    @argument({ defaultPath: '/', ignore: SOURCE_IGNORE }) source?: Directory,
  ): Promise<string> {
    const args = ['portcullis', 'db', 'update', ...ecosystem.flatMap((e) => ['--ecosystem', e]), ...sourceUrl.flatMap((u) => ['--source', u]), ...mirror.flatMap((m) => ['--mirror', m])];
    if (enrichment) args.push('--enrichment');
    return this.container(source)
      .withMountedCache(DB_DIR, db ?? client.cacheVolume(DB_CACHE_KEY), { owner: 'node' })
      .withEnvVariable('PORTCULLIS_RUN', freshRun())
      .withExec(args)
      .withExec(['portcullis', 'db', 'status'])
      .stdout();
  }

  /**
   * Scans one image and returns the Scan (reports, decision, gate). Give exactly one of
   * container, address or tarball.
   * @param container a container (on the command line an address is accepted, pulled by Dagger)
   * @param address a registry reference pulled by portcullis itself, e.g. registry.example.com/app:1.2
   * @param tarball an image archive: OCI (docker-archive and `docker save` formats are detected)
   * @param policy policy YAML files (default: the shipped default gate)
   * @param policyDir a directory whose *.yaml / *.yml files are policies, in name order
   * @param vex OpenVEX or CycloneDX VEX documents
   * @param severity report only these severities, e.g. CRITICAL,HIGH
   * @param ignoreUnfixed drop findings that have no fixed version
   * @param dbUrl query a `portcullis db serve` (or the OSV API) instead of a local DB
   * @param db the CacheVolume `dbUpdate` fills (default: "portcullis-db")
   * @param dbFile a DB file to use instead of the cache volume
   * @param offline never download; a missing DB is an error
   * @param skipDbAgeCheck accept a DB of any age
   * @param platform os/arch[/variant] to pick from a multi-platform image
   * @param cacheBackend a layer cache shared by the fleet: `redis://[USER:PASS@]HOST[:PORT][/DB]` or `rediss://…` (a secret: it may hold credentials)
   * @param cacheKey the fleet's shared HMAC key for that cache (PORTCULLIS_CACHE_KEY)
   */
  @func()
  async scan(
    container?: Container,
    address?: string,
    tarball?: File,
    policy: File[] = [],
    policyDir?: Directory,
    vex: File[] = [],
    severity?: string,
    ignoreUnfixed = false,
    dbUrl?: string,
    db?: CacheVolume,
    dbFile?: File,
    offline = false,
    skipDbAgeCheck = false,
    platform?: string,
    cacheBackend?: Secret,
    cacheKey?: Secret,
  ): Promise<Scan> {
    const given = [container, address, tarball].filter((x) => x !== undefined && x !== null && x !== '').length;
    if (given !== 1) throw new PortcullisError(`scan: give exactly one of --container, --address or --tarball (got ${given})`);
    const filter = { ...(severity ? { severities: parseSeverityList(severity) } : {}), ignoreUnfixed };

    const work = await mkdtemp(join(tmpdir(), 'portcullis-dagger-'));
    try {
      let image: string;
      if (container) {
        // asTarball() writes an OCI image layout as a tar (OCI media types by default).
        image = `oci-archive:${await container.asTarball().export(join(work, 'image.tar'))}`;
      } else if (tarball) {
        image = await tarball.export(join(work, 'image.tar')); // detected: OCI or docker archive
      } else {
        image = address as string;
      }

      const policies: string[] = [];
      for (const [i, f] of policy.entries()) policies.push(await f.export(join(work, `policy-${i}.yaml`)));
      if (policyDir) {
        const dir = await policyDir.export(join(work, 'policies'));
        const names = (await readdir(dir)).filter((n) => /\.ya?ml$/i.test(n)).sort();
        if (names.length === 0) throw new PortcullisError('scan: --policy-dir holds no *.yaml / *.yml policy', { subject: 'policyDir' });
        policies.push(...names.map((n) => join(dir, n)));
      }
      const vexPaths: string[] = [];
      for (const [i, f] of vex.entries()) vexPaths.push(await f.export(join(work, `vex-${i}.json`)));

      const dbPath = dbUrl ? undefined : dbFile ? await dbFile.export(join(work, 'db.sqlite')) : await copyDbFromCache(db, work);

      const report = await runScan({
        image,
        imageOptions: platform ? { platform } : {},
        db: dbPath,
        dbUrl,
        offline,
        skipDbAgeCheck,
        filter,
        policies: policies.length ? policies : 'default',
        vex: vexPaths,
        cwd: work,
        ...(cacheBackend ? { cacheBackend: await cacheBackend.plaintext() } : {}),
        env: { ...process.env, ...(cacheKey ? { PORTCULLIS_CACHE_KEY: await cacheKey.plaintext() } : {}) },
        onNotice: (m) => process.stderr.write(`portcullis: ${m}\n`),
      });
      // Digested now: the policy files live in `work`, which is removed below.
      const policyDigest = report.decision ? JSON.stringify(digestPolicies(report.decision.policies, work)) : '';
      return new Scan(encoderFor('json').encode(report), policyDigest);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}

/**
 * Copies the DB out of the cache volume into `work` and returns its path. An empty volume gives a
 * path that does not exist yet: the core then downloads what the image needs (or, offline, fails
 * saying to run db-update); that download is not written back, so run `db-update` to keep one.
 */
async function copyDbFromCache(db: CacheVolume | undefined, work: string): Promise<string> {
  const out = await client
    .container()
    .from(NODE_IMAGE)
    .withMountedCache(DB_DIR, db ?? client.cacheVolume(DB_CACHE_KEY), { owner: 'node' })
    .withEnvVariable('PORTCULLIS_DB', DB_PATH)
    .withEnvVariable('DB_COPY_DIR', DB_COPY_DIR)
    .withEnvVariable('PORTCULLIS_RUN', freshRun())
    .withExec(['sh', '-c', 'mkdir -p "$DB_COPY_DIR" && if [ -f "$PORTCULLIS_DB" ]; then cp "$PORTCULLIS_DB" "$DB_COPY_DIR/db.sqlite"; fi'])
    .directory(DB_COPY_DIR)
    .export(join(work, 'db'));
  const path = join(out, 'db.sqlite');
  const found = await stat(path).catch(() => undefined);
  return found?.isFile() ? path : join(work, 'db', 'db.sqlite');
}

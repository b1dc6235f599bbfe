// The Dagger module: a shell that runs the portcullis CLI in the portcullis image with withExec,
// so the engine caches each step by its inputs (image, files, arguments, DB stamp). It holds no
// scan logic: the CLI's exit code is the verdict and its JSON report the data (./verdict.ts).
// Gate inputs are set with with* builders, so no function takes a long list of positional args.
import { argument, dag, func, object, ReturnType, type CacheVolume, type Container, type Directory, type File, type Secret } from '@dagger.io/dagger';
import { decisionLine, REPORT_FILES, verdictStatus } from './verdict.js';

/** The image's user (Containerfile `USER 65532:65532`): owner of what the module mounts for it. */
export const PORTCULLIS_USER = '65532:65532';
/** The image's HOME and volume: the DB, the layer cache and its key (Containerfile). */
export const STATE_DIR = '/var/cache/portcullis';
export const DB_PATH = `${STATE_DIR}/db.sqlite`;
/** Default CacheVolume key for that state. */
export const DB_CACHE_KEY = 'portcullis-db';
/** Where inputs are mounted and reports written inside the container. */
export const IN_DIR = '/run/portcullis/in';
export const OUT_DIR = '/run/portcullis/out';
/** Files of the checkout that never belong in the image build context. */
const SOURCE_IGNORE = ['.git', 'node_modules', 'dist', 'test-artifacts', '.dagger'];

/** What the module uses of the Dagger API: `dag` in the engine, a stand-in in tests. */
export type DaggerClient = Pick<typeof dag, 'container' | 'directory' | 'cacheVolume'>;
let client: DaggerClient = dag;

/** Replaces the Dagger client (tests run without an engine); returns the previous one. */
export function setDaggerClient(next: DaggerClient): DaggerClient {
  const previous = client;
  client = next;
  return previous;
}

/** A value that changes every call: for execs whose result depends on a cache volume's contents. */
function freshRun(): string {
  return `${new Date().toISOString()}-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

/** The DB file's identity (inode, size, mtime; `db update` renames a new file in) or `none`. */
const DB_STAMP_SCRIPT = `const fs=require('fs');try{const s=fs.statSync(process.env.PORTCULLIS_DB);process.stdout.write([s.ino,s.size,s.mtimeMs].join('-'))}catch{process.stdout.write('none')}`;

/** Exactly one image source, as the CLI's image argument plus what must be mounted for it. */
function imageInput(container: Container | undefined, address: string | undefined, tarball: File | undefined, fn: string): { arg: string; mount?: File } {
  const given = [container, address, tarball].filter((x) => x !== undefined && x !== null && x !== '').length;
  if (given !== 1) throw new Error(`${fn}: give exactly one of --container, --address or --tarball (got ${given})`);
  // asTarball() writes an OCI image layout as a tar (OCI media types by default).
  if (container) return { arg: `oci-archive:${IN_DIR}/image.tar`, mount: container.asTarball() };
  if (tarball) return { arg: `${IN_DIR}/image.tar`, mount: tarball }; // detected: OCI or docker archive
  return { arg: address as string };
}

/**
 * The result of one scan: the reports in every format, the CLI's exit code, the verdict.
 */
@object()
export class Scan {
  /** Every report of the scan: report.json, report.sarif, report.cdx.json, report.spdx.json, report.xml (JUnit), report.md, report.html, report.txt. */
  @func()
  reports: Directory;

  /** The exit code of `portcullis scan`: 0 pass, 1 blocked by policy, 2 incomplete. */
  @func()
  exitCode: number;

  /** The container just before the scan ran, and its arguments (to sign the verdict). */
  base: Container;
  args: string[];

  constructor(reports: Directory, exitCode: number, base: Container, args: string[]) {
    this.reports = reports;
    this.exitCode = exitCode;
    this.base = base;
    this.args = args;
  }

  /**
   * The report in one format.
   * @param format json, table, sarif, cyclonedx, spdx, junit, markdown or html
   */
  @func()
  report(format = 'json'): File {
    const name = REPORT_FILES[format];
    if (!name) throw new Error(`report: unknown format "${format}" (known: ${Object.keys(REPORT_FILES).join(', ')})`);
    return this.reports.file(name);
  }

  /** SARIF 2.1.0, for code-scanning dashboards. */
  @func()
  sarif(): File {
    return this.report('sarif');
  }

  /** A Markdown summary, for a pull-request comment or a job summary. */
  @func()
  async summary(): Promise<string> {
    return this.report('markdown').contents();
  }

  /** pass, blocked or incomplete (an incomplete scan is never a pass). */
  @func()
  async verdict(): Promise<string> {
    return verdictStatus(this.exitCode, JSON.parse(await this.report('json').contents()));
  }

  /** One line: pass, blocked or incomplete, then the decision counts and findings by severity (or the gaps). */
  @func()
  async decision(): Promise<string> {
    return decisionLine(this.exitCode, JSON.parse(await this.report('json').contents()));
  }

  /** Fails (non-zero `dagger call` exit) unless the scan passed; otherwise returns the decision line. */
  @func()
  async gate(): Promise<string> {
    const line = await this.decision();
    if (this.exitCode !== 0) throw new Error(`portcullis gate: ${line}`);
    return line;
  }

  /**
   * The verdict as a signed attestation: an in-toto SLSA VSA about the image's manifest digest, in
   * a DSSE envelope inside a Sigstore bundle (docs/attestations.md). Runs the same scan with
   * `--attest`; only a complete scan under a policy is attested.
   * @param key the PEM private key (ECDSA P-256 or Ed25519, PKCS#8)
   */
  @func()
  async attestation(key: Secret): Promise<File> {
    const signed = this.base
      .withSecretVariable('PORTCULLIS_SIGNING_KEY', key)
      .withExec([...this.args, '--attest', `${OUT_DIR}/attestation.json`, '--key', 'env:PORTCULLIS_SIGNING_KEY'], { expect: ReturnType.Any });
    const code = await signed.exitCode();
    if (code === 2) throw new Error(`attestation: ${(await signed.stderr()).trim().split('\n').at(-1) ?? 'portcullis scan failed'}`);
    return signed.directory(OUT_DIR).file('attestation.json');
  }
}

/**
 * portcullis: a container-image vulnerability gate. Scans a container, a registry address or an
 * image tarball, matches its packages against OSV data, and decides go / no-go by policy.
 */
@object()
export class Portcullis {
  /** The portcullis image the functions run in (empty: built from `source`). */
  image?: Container;
  /** The portcullis checkout the image is built from. */
  source?: Directory;
  policies: File[] = [];
  policyDirs: Directory[] = [];
  vexDocs: File[] = [];
  severity: string = '';
  ignoreUnfixed: boolean = false;
  db?: CacheVolume;
  dbFile?: File;
  dbUrl: string = '';
  offline: boolean = false;
  skipDbAgeCheck: boolean = false;
  registryUser: string = '';
  registryPassword?: Secret;
  cacheBackend?: Secret;
  cacheKey?: Secret;

  /**
   * @param image a published portcullis image (e.g. registry.example.com/portcullis@sha256:…); default: built from source's Containerfile
   * @param source the portcullis checkout (default: this module's context directory)
   */
  constructor(image?: Container, @argument({ defaultPath: '/', ignore: SOURCE_IGNORE }) source?: Directory) {
    this.image = image;
    this.source = source;
  }

  private with(patch: Partial<Portcullis>): Portcullis {
    return Object.assign(Object.create(Portcullis.prototype) as Portcullis, this, patch);
  }

  /** Adds a policy file (repeat for several; default: the shipped default gate). */
  @func()
  withPolicy(policy: File): Portcullis {
    return this.with({ policies: [...this.policies, policy] });
  }

  /** Adds every *.yaml / *.yml file of a directory as a policy, in name order. */
  @func()
  withPolicyDir(dir: Directory): Portcullis {
    return this.with({ policyDirs: [...this.policyDirs, dir] });
  }

  /** Adds an OpenVEX or CycloneDX VEX document. */
  @func()
  withVex(vex: File): Portcullis {
    return this.with({ vexDocs: [...this.vexDocs, vex] });
  }

  /**
   * Reports only some findings.
   * @param severity these severities, e.g. CRITICAL,HIGH
   * @param ignoreUnfixed drop findings that have no fixed version
   */
  @func()
  withFilter(severity = '', ignoreUnfixed = false): Portcullis {
    return this.with({ severity, ignoreUnfixed });
  }

  /**
   * Where the vulnerability data comes from (default: the "portcullis-db" cache volume, filled by `db-update`).
   * @param volume a cache volume that `db-update` fills
   * @param file a DB file instead of a volume
   * @param url a `portcullis db serve` (or the OSV API) instead of a local DB
   * @param offline never download; a missing DB is an error
   * @param skipAgeCheck accept a DB of any age
   */
  @func()
  withDb(volume?: CacheVolume, file?: File, url = '', offline = false, skipAgeCheck = false): Portcullis {
    return this.with({ db: volume ?? this.db, dbFile: file ?? this.dbFile, dbUrl: url || this.dbUrl, offline, skipDbAgeCheck: skipAgeCheck });
  }

  /** Registry credentials for images portcullis pulls itself (--address). */
  @func()
  withRegistryAuth(username: string, password: Secret): Portcullis {
    return this.with({ registryUser: username, registryPassword: password });
  }

  /**
   * A layer cache shared by the fleet.
   * @param backend `redis://[USER:PASS@]HOST[:PORT][/DB]` or `rediss://…` (a secret: it may hold credentials)
   * @param key the fleet's shared HMAC key for that cache
   */
  @func()
  withCacheBackend(backend: Secret, key: Secret): Portcullis {
    return this.with({ cacheBackend: backend, cacheKey: key });
  }

  /**
   * The portcullis image: the one given to the module, else built from the checkout's Containerfile
   * (Node 20, non-root user 65532, entrypoint `portcullis`).
   */
  @func()
  container(): Container {
    if (this.image) return this.image;
    const source = this.source ?? client.directory();
    return source.dockerBuild({ dockerfile: 'Containerfile' });
  }

  /** The image with the state volume mounted where the image keeps its DB. */
  private withState(ctr: Container): Container {
    return ctr.withMountedCache(STATE_DIR, this.db ?? client.cacheVolume(DB_CACHE_KEY), { owner: PORTCULLIS_USER }).withEnvVariable('PORTCULLIS_DB', DB_PATH);
  }

  /**
   * Downloads or refreshes the vulnerability DB inside the cache volume, so pipelines do not fetch
   * it on every run; `scan` reads it from the same volume. Returns `portcullis db status`.
   * @param ecosystem OSV ecosystems to fetch, e.g. Debian:12, npm (default: those already in the DB)
   * @param sourceUrl URL templates to fetch from, in order ({ecosystem} is replaced; default: the OSV bucket)
   * @param enrichment also fetch CISA KEV and FIRST EPSS
   */
  @func()
  async dbUpdate(ecosystem: string[] = [], sourceUrl: string[] = [], enrichment = true): Promise<string> {
    const args = ['portcullis', 'db', 'update', ...ecosystem.flatMap((e) => ['--ecosystem', e]), ...sourceUrl.flatMap((u) => ['--source', u])];
    if (enrichment) args.push('--enrichment');
    return this.withState(this.container())
      .withEnvVariable('PORTCULLIS_RUN', freshRun())
      .withExec(args)
      .withExec(['portcullis', 'db', 'status'])
      .stdout();
  }

  /** The container every scan runs in: image, DB, inputs and secrets; returns it with the DB/gate arguments. */
  private async scanContainer(): Promise<{ ctr: Container; args: string[] }> {
    let ctr = this.container().withDirectory(OUT_DIR, client.directory(), { owner: PORTCULLIS_USER });
    const args: string[] = [];
    if (this.dbUrl) args.push('--db-url', this.dbUrl);
    else if (this.dbFile) {
      ctr = ctr.withMountedFile(`${IN_DIR}/db.sqlite`, this.dbFile, { owner: PORTCULLIS_USER });
      args.push('--db', `${IN_DIR}/db.sqlite`);
    } else {
      // The scan exec is cached by its inputs; the volume's contents are not one, so its DB's
      // identity is made one (an empty volume: a fresh value, as the scan then downloads).
      ctr = this.withState(ctr);
      const stamp = await ctr.withEnvVariable('PORTCULLIS_RUN', freshRun()).withExec(['node', '-e', DB_STAMP_SCRIPT]).stdout();
      ctr = ctr.withEnvVariable('PORTCULLIS_DB_STAMP', stamp === 'none' ? `none-${freshRun()}` : stamp);
    }
    if (this.offline) args.push('--offline');
    if (this.skipDbAgeCheck) args.push('--skip-db-age-check');
    if (this.severity) args.push('--severity', this.severity);
    if (this.ignoreUnfixed) args.push('--ignore-unfixed');
    for (const [i, f] of this.policies.entries()) {
      ctr = ctr.withMountedFile(`${IN_DIR}/policy-${i}.yaml`, f);
      args.push('--policy', `${IN_DIR}/policy-${i}.yaml`);
    }
    for (const [i, d] of this.policyDirs.entries()) {
      const names = (await d.entries()).filter((n) => /\.ya?ml$/i.test(n)).sort();
      if (names.length === 0) throw new Error('scan: a policy directory holds no *.yaml / *.yml policy');
      ctr = ctr.withMountedDirectory(`${IN_DIR}/policies-${i}`, d);
      args.push(...names.flatMap((n) => ['--policy', `${IN_DIR}/policies-${i}/${n}`]));
    }
    for (const [i, f] of this.vexDocs.entries()) {
      ctr = ctr.withMountedFile(`${IN_DIR}/vex-${i}.json`, f);
      args.push('--vex', `${IN_DIR}/vex-${i}.json`);
    }
    return { ctr: this.withSecrets(ctr), args };
  }

  private withSecrets(ctr: Container): Container {
    let out = ctr;
    if (this.registryPassword) out = out.withSecretVariable('PORTCULLIS_REGISTRY_PASSWORD', this.registryPassword);
    if (this.cacheBackend) out = out.withSecretVariable('PORTCULLIS_CACHE_BACKEND', this.cacheBackend);
    if (this.cacheKey) out = out.withSecretVariable('PORTCULLIS_CACHE_KEY', this.cacheKey);
    return out;
  }

  private imageArgs(platform: string): string[] {
    return [...(this.registryUser ? ['--username', this.registryUser] : []), ...(platform ? ['--platform', platform] : [])];
  }

  /**
   * Scans one image and returns the Scan (reports, verdict, gate). Give exactly one of container,
   * address or tarball.
   * @param container a container (on the command line an address is accepted, pulled by Dagger)
   * @param address a registry reference pulled by portcullis itself, e.g. registry.example.com/app:1.2
   * @param tarball an image archive: OCI (docker-archive and `docker save` formats are detected)
   * @param platform os/arch[/variant] to pick from a multi-platform image
   */
  @func()
  async scan(container?: Container, address?: string, tarball?: File, platform = ''): Promise<Scan> {
    const input = imageInput(container, address, tarball, 'scan');
    const { ctr, args } = await this.scanContainer();
    const base = input.mount ? ctr.withMountedFile(`${IN_DIR}/image.tar`, input.mount) : ctr;
    const formats = Object.entries(REPORT_FILES).flatMap(([format, name]) => ['--format', `${format}=${OUT_DIR}/${name}`]);
    const command = ['portcullis', 'scan', input.arg, ...this.imageArgs(platform), ...args, ...formats, '--quiet'];
    const ran = base.withExec(command, { expect: ReturnType.Any });
    const exitCode = await ran.exitCode();
    const reports = ran.directory(OUT_DIR);
    // Exit 2 with a report is an incomplete scan (a verdict); without one it is an error.
    if (exitCode === 2 && !(await reports.entries()).includes(REPORT_FILES.json)) {
      throw new Error(`scan: ${(await ran.stderr()).trim().split('\n').at(-1) ?? 'portcullis scan failed'}`);
    }
    return new Scan(reports, exitCode, base, command);
  }

  /**
   * The image's packages as an SBOM (no vulnerability matching). Give exactly one of container,
   * address or tarball.
   * @param format cyclonedx, spdx or json (the native inventory)
   */
  @func()
  sbom(container?: Container, address?: string, tarball?: File, format = 'cyclonedx', platform = ''): File {
    const name = { cyclonedx: 'sbom.cdx.json', spdx: 'sbom.spdx.json', json: 'sbom.json' }[format];
    if (!name) throw new Error(`sbom: format "${format}" is not cyclonedx, spdx or json`);
    const input = imageInput(container, address, tarball, 'sbom');
    let ctr = this.withSecrets(this.container().withDirectory(OUT_DIR, client.directory(), { owner: PORTCULLIS_USER }));
    if (input.mount) ctr = ctr.withMountedFile(`${IN_DIR}/image.tar`, input.mount);
    return ctr
      .withExec(['portcullis', 'sbom', input.arg, ...this.imageArgs(platform), '--format', format, '--output', `${OUT_DIR}/${name}`, '--quiet'])
      .file(`${OUT_DIR}/${name}`);
  }
}

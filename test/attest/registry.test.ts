// Attestations end to end against real docker-registry instances (distribution 2.8: no referrers
// API, so everything goes through the referrers tag schema), with Basic and token auth, through
// the CLI as a separate process: scan --push-attestation, attest push, verify — and the cases a
// deploy gate must refuse, each one line with its exit code.
import { createHash, sign as cryptoSign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushAttestation } from '../../src/attest/oci.js';
import { parseReference } from '../../src/image/registry/reference.js';
import { RegistryClient } from '../../src/image/registry/client.js';
import { RegistryPusher } from '../../src/image/registry/push.js';
import { pushReferrer } from '../../src/image/registry/referrers.js';
import { spawnCli, type CliResult } from '../helpers/cli.js';
import { HAVE_SHARED, PROJECT_ROOT } from '../helpers/shared.js';
import { buildOciLayout } from '../image/build-layout.js';
import { skopeoPush, startRegistry, startTokenServer, type RunningRegistry, type TokenServer } from '../registry/harness.js';
import { buildAppLayout } from '../registry/images.js';
import { importDb, writeBlockAllPolicy, writeKeyPair, type KeyFiles } from './fixture.js';
import { dsseVerifies, pae, sigstoreVerify } from './independent.js';
import { ociErrors } from './oci-schemas.js';
import { specErrors } from './spec-schemas.js';

const USER = 'ci-bot';
const PASSWORD = 'Attest-pa55-Qx7w';
const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

let dir: string;
let db: string;
let blockAll: string;
let ec: KeyFiles;
let ed: KeyFiles;
let basic: RunningRegistry;
let tokens: TokenServer;
let tokenRegistry: RunningRegistry;
let appDigest: string;
let otherDigest: string;

const env = (): NodeJS.ProcessEnv => ({
  PORTCULLIS_DB: db,
  HOME: dir,
  XDG_CACHE_HOME: join(dir, 'cache'),
  PORTCULLIS_REGISTRY_USERNAME: USER,
  PORTCULLIS_REGISTRY_PASSWORD: PASSWORD,
});
const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const ref = (repo: string, host = basic.host) => `${host}/team/${repo}:v1`;

async function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}, stdin?: string): Promise<CliResult> {
  const r = await spawnCli(args, { env: { ...env(), ...extraEnv }, ...(stdin !== undefined ? { stdin } : {}), timeoutMs: 120_000 });
  expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  expect(r.stdout + r.stderr).not.toContain(ec.privatePem.split('\n')[1]!);
  return r;
}

/** The one line a verify run prints, and nothing else. */
function oneLine(r: CliResult): string {
  const lines = (r.stdout + r.stderr).trim().split('\n');
  expect(lines, r.stdout + r.stderr).toHaveLength(1);
  return lines[0]!;
}

async function registryGet(host: string, path: string, accept: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`http://${host}${path}`, { headers: { authorization: auth, accept } });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

async function manifestDigest(host: string, repo: string): Promise<string> {
  const res = await fetch(`http://${host}/v2/team/${repo}/manifests/v1`, {
    method: 'HEAD',
    headers: { authorization: auth, accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  return res.headers.get('docker-content-digest')!;
}

/** Re-encodes an envelope's statement after `edit`, keeping the original signature (a tampered payload). */
function tamper(bundle: { dsseEnvelope: { payload: string } }, edit: (s: Record<string, any>) => void): typeof bundle {
  const copy = JSON.parse(JSON.stringify(bundle)) as typeof bundle;
  const statement = JSON.parse(Buffer.from(copy.dsseEnvelope.payload, 'base64').toString('utf8')) as Record<string, any>;
  edit(statement);
  copy.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  return copy;
}

/** Signs a statement here, with node:crypto over the test's own PAE: an independent signer. */
function signHere(statement: unknown, keys: KeyFiles): { payloadType: string; payload: string; signatures: { keyid: string; sig: string }[] } {
  const payload = Buffer.from(JSON.stringify(statement));
  const type = 'application/vnd.in-toto+json';
  const sig = cryptoSign('sha256', pae(type, payload), readFileSync(keys.privatePath, 'utf8'));
  return { payloadType: type, payload: payload.toString('base64'), signatures: [{ keyid: '', sig: sig.toString('base64') }] };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-attest-registry-'));
  const app = join(dir, 'app');
  await buildAppLayout(app);
  const other = join(dir, 'other');
  await buildOciLayout(other, { tag: 'v1', layers: [{ files: [{ path: 'etc/os-release', content: 'ID=debian\nVERSION_ID=12\n' }, { path: 'var/lib/dpkg/status', content: '' }] }] });
  db = await importDb(dir);
  blockAll = writeBlockAllPolicy(dir);
  ec = writeKeyPair(dir, 'ec', 'ec');
  ed = writeKeyPair(dir, 'ed', 'ed25519');
  basic = await startRegistry({ kind: 'basic', username: USER, password: PASSWORD });
  for (const repo of ['app', 'failed', 'tampered', 'expired', 'other', 'none', 'junk']) {
    await skopeoPush(`oci:${app}:v1`, ref(repo), ['--dest-creds', `${USER}:${PASSWORD}`]);
  }
  await skopeoPush(`oci:${other}:v1`, ref('second'), ['--dest-creds', `${USER}:${PASSWORD}`]);
  // skopeo may rewrite the manifest on the way: the digests are the registry's.
  appDigest = await manifestDigest(basic.host, 'app');
  for (const repo of ['failed', 'tampered', 'expired', 'other', 'none']) expect(await manifestDigest(basic.host, repo)).toBe(appDigest);
  otherDigest = await manifestDigest(basic.host, 'second');
  expect(otherDigest).not.toBe(appDigest);
  tokens = await startTokenServer({ [USER]: PASSWORD });
  tokenRegistry = await startRegistry({ kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certPath: tokens.certPath });
  await skopeoPush(`oci:${app}:v1`, ref('app', tokenRegistry.host), ['--dest-creds', `${USER}:${PASSWORD}`]);
}, 300_000);

afterAll(async () => {
  await tokenRegistry?.stop();
  await tokens?.stop();
  await basic?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('scan --push-attestation, then verify (Basic auth, referrers tag schema)', () => {
  let passBundle: { dsseEnvelope: { payload: string; signatures: { sig: string }[] } } & Record<string, unknown>;

  beforeAll(async () => {
    const r = await cli(['scan', ref('app'), '--key', ec.privatePath, '--attest', join(dir, 'pass.json'), '--push-attestation', '--format', `json=${join(dir, 'report.json')}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`attestation sha256:[a-f0-9]{64} \\(PASSED\\) attached to ${appDigest}`));
    passBundle = JSON.parse(readFileSync(join(dir, 'pass.json'), 'utf8')) as typeof passBundle;
  }, 180_000);

  it('stores an OCI artifact manifest with the image as subject, listed under the sha256-<hex> tag', async () => {
    // docker-registry has no referrers API: 404, so the tag schema is what holds the listing.
    expect((await registryGet(basic.host, `/v2/team/app/referrers/${appDigest}`, 'application/vnd.oci.image.index.v1+json')).status).toBe(404);
    const tag = await registryGet(basic.host, `/v2/team/app/manifests/${appDigest.replace(':', '-')}`, 'application/vnd.oci.image.index.v1+json');
    expect(tag.status).toBe(200);
    const index = tag.json as { manifests: { digest: string; artifactType: string; annotations: Record<string, string> }[] };
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]!.artifactType).toBe(BUNDLE);
    expect(index.manifests[0]!.annotations['dev.sigstore.bundle.predicateType']).toBe('https://slsa.dev/verification_summary/v1');
    const m = await registryGet(basic.host, `/v2/team/app/manifests/${index.manifests[0]!.digest}`, 'application/vnd.oci.image.manifest.v1+json');
    const manifest = m.json as { subject: { digest: string }; artifactType: string; layers: { digest: string; mediaType: string }[] };
    expect(manifest.subject.digest).toBe(appDigest);
    expect(manifest.artifactType).toBe(BUNDLE);
    expect(manifest.layers[0]!.mediaType).toBe(BUNDLE);
    // The stored layer is the bundle written by --attest, byte for byte.
    const blob = await fetch(`http://${basic.host}/v2/team/app/blobs/${manifest.layers[0]!.digest}`, { headers: { authorization: auth } });
    expect(Buffer.from(await blob.arrayBuffer()).equals(readFileSync(join(dir, 'pass.json')))).toBe(true);
    // And cosign's layout: the DSSE envelope as a layer under the sha256-<hex>.att tag.
    const att = await registryGet(basic.host, `/v2/team/app/manifests/${appDigest.replace(':', '-')}.att`, 'application/vnd.oci.image.manifest.v1+json');
    expect(att.status).toBe(200);
    const attManifest = att.json as { layers: { mediaType: string; digest: string; annotations: Record<string, string> }[] };
    expect(attManifest.layers).toHaveLength(1);
    expect(attManifest.layers[0]).toMatchObject({ mediaType: 'application/vnd.dsse.envelope.v1+json', annotations: { predicateType: 'https://slsa.dev/verification_summary/v1' } });
    const envBlob = await fetch(`http://${basic.host}/v2/team/app/blobs/${attManifest.layers[0]!.digest}`, { headers: { authorization: auth } });
    const envelope = JSON.parse(await envBlob.text()) as { payload: string; payloadType: string; signatures: { sig: string }[] };
    expect(dsseVerifies(envelope, ec.publicKey)).toBe(true);
    expect(envelope.payload).toBe(passBundle.dsseEnvelope.payload);
    if (HAVE_SHARED) {
      expect(ociErrors('manifest', attManifest)).toEqual([]);
      expect(ociErrors('manifest', manifest)).toEqual([]);
      expect(ociErrors('index', index)).toEqual([]);
    } else {
      console.warn('[attest] ../shared absent: OCI schema checks of the artifact manifest skipped');
    }
  });

  it('the pushed bundle verifies independently (node:crypto over the PAE, @sigstore/verify), and is a VSA', () => {
    expect(dsseVerifies(passBundle.dsseEnvelope as never, ec.publicKey)).toBe(true);
    expect(() => sigstoreVerify(passBundle, ec.publicKey)).not.toThrow();
    const statement = JSON.parse(Buffer.from(passBundle.dsseEnvelope.payload, 'base64').toString('utf8')) as { subject: { name: string; digest: { sha256: string } }[]; predicate: unknown };
    expect(specErrors('statement', statement)).toEqual([]);
    expect(specErrors('vsa', statement.predicate)).toEqual([]);
    expect(statement.subject).toEqual([{ name: `${basic.host}/team/app`, digest: { sha256: appDigest.slice(7) } }]);
  });

  it('verify: 0, one line; the default policy digest pinned: 0; another digest: 1', async () => {
    const ok = await cli(['verify', ref('app'), '--key', ec.publicPath]);
    expect(ok.code).toBe(0);
    expect(oneLine(ok)).toMatch(new RegExp(`^portcullis: VERIFIED ${appDigest}: PASSED under policy .*default\\.yaml`));
    const defaultDigest = createHash('sha256').update(readFileSync(join(PROJECT_ROOT, 'policies/default.yaml'))).digest('hex');
    expect((await cli(['verify', ref('app'), '--key', ec.publicPath, '--policy-digest', `sha256:${defaultDigest}`, '--max-age', '1h'])).code).toBe(0);
    const wrong = await cli(['verify', ref('app'), '--key', ec.publicPath, '--policy-digest', `sha256:${'0'.repeat(64)}`]);
    expect(wrong.code).toBe(1);
    expect(oneLine(wrong)).toMatch(/^portcullis: REJECTED sha256:[a-f0-9]{64}: verdict is under policy .* not sha256:0{64}$/);
  });

  it('a wrong key: 2, one line', async () => {
    const r = await cli(['verify', ref('app'), '--key', ed.publicPath]);
    expect(r.code).toBe(2);
    expect(oneLine(r)).toMatch(/^portcullis: UNVERIFIED sha256:[a-f0-9]{64}: 1 attestation\(s\) found, none signed by key [a-f0-9]{12} \(signature check failed\)$/);
  });

  it('a tampered payload (the policy digest changed, signature kept): 2, one line', async () => {
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify(tamper(passBundle, (s) => (s.predicate.policy.digest.sha256 = '1'.repeat(64)))));
    const push = await cli(['attest', 'push', ref('tampered'), join(dir, 'tampered.json')]);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout.trim()).toMatch(/^sha256:[a-f0-9]{64}$/);
    const r = await cli(['verify', ref('tampered'), '--key', ec.publicPath, '--policy-digest', '1'.repeat(64)]);
    expect(r.code).toBe(2);
    expect(oneLine(r)).toMatch(/none signed by key .* \(signature check failed\)$/);
  });

  it("another image's statement attached to this image: attest push refuses it; forced in, verify says 2", async () => {
    const foreign = signHere(
      { ...JSON.parse(Buffer.from(passBundle.dsseEnvelope.payload, 'base64').toString('utf8')), subject: [{ name: `${basic.host}/team/second`, digest: { sha256: otherDigest.slice(7) } }] },
      ec,
    );
    writeFileSync(join(dir, 'foreign.json'), JSON.stringify(foreign));
    const refused = await cli(['attest', 'push', ref('other'), join(dir, 'foreign.json')]);
    expect(refused.code).toBe(2);
    expect(oneLine(refused)).toMatch(new RegExp(`foreign\\.json: the attestation is not about ${appDigest}`));
    // An attacker with push access is not bound by our CLI: store it directly.
    const { bundleOf } = await import('../../src/attest/bundle.js');
    await pushAttestation(parseReference(ref('other')), appDigest, Buffer.from(JSON.stringify(bundleOf(foreign))), 'https://slsa.dev/verification_summary/v1', new Date().toISOString(), { username: USER, password: PASSWORD, env: { HOME: dir } });
    const r = await cli(['verify', ref('other'), '--key', ec.publicPath]);
    expect(r.code).toBe(2);
    expect(oneLine(r)).toMatch(new RegExp(`^portcullis: UNVERIFIED ${appDigest}: 1 signed statement\\(s\\) are about another image`));
  });

  it('an expired statement (signed here, independently, 48h old): accepted without --max-age, 1 with --max-age 24h', async () => {
    const old = JSON.parse(Buffer.from(passBundle.dsseEnvelope.payload, 'base64').toString('utf8')) as { predicate: { timeVerified: string } };
    old.predicate.timeVerified = new Date(Date.now() - 48 * 3_600_000).toISOString();
    writeFileSync(join(dir, 'old.dsse.json'), JSON.stringify(signHere(old, ec)));
    expect((await cli(['attest', 'push', ref('expired'), join(dir, 'old.dsse.json')])).code).toBe(0);
    expect((await cli(['verify', ref('expired'), '--key', ec.publicPath])).code).toBe(0);
    const r = await cli(['verify', ref('expired'), '--key', ec.publicPath, '--max-age', '24h']);
    expect(r.code).toBe(1);
    expect(oneLine(r)).toMatch(/^portcullis: REJECTED sha256:[a-f0-9]{64}: verdict is 2d old \(verified .*\), older than --max-age 24h$/);
  });

  it('a FAILED verdict: scan exits 1 and still pushes it; verify says 1', async () => {
    const scan = await cli(['scan', ref('failed'), '--policy', blockAll, '--key', `env:SIGNING_KEY`, '--push-attestation', '--format', `json=${join(dir, 'failed.json')}`], { SIGNING_KEY: ec.privatePem });
    expect(scan.code, scan.stderr).toBe(1);
    expect(scan.stderr).toMatch(/attestation sha256:[a-f0-9]{64} \(FAILED\) attached/);
    const r = await cli(['verify', ref('failed'), '--key', ec.publicPath]);
    expect(r.code).toBe(1);
    expect(oneLine(r)).toMatch(/^portcullis: REJECTED sha256:[a-f0-9]{64}: verdict FAILED under policy file:\/\S*block-all\.yaml /);
    // An older PASSED verdict pushed afterwards changes nothing: the newest verdict decides, for
    // portcullis verify and in the .att tag admission controllers read (still the FAILED one alone).
    expect((await cli(['attest', 'push', ref('failed'), join(dir, 'pass.json')])).code).toBe(0);
    expect((await cli(['verify', ref('failed'), '--key', ec.publicPath])).code).toBe(1);
    const att = await registryGet(basic.host, `/v2/team/failed/manifests/${appDigest.replace(':', '-')}.att`, 'application/vnd.oci.image.manifest.v1+json');
    const layers = (att.json as { layers: { digest: string }[] }).layers;
    expect(layers).toHaveLength(1);
    const blob = await fetch(`http://${basic.host}/v2/team/failed/blobs/${layers[0]!.digest}`, { headers: { authorization: auth } });
    const statement = JSON.parse(Buffer.from((JSON.parse(await blob.text()) as { payload: string }).payload, 'base64').toString('utf8')) as { predicate: { verificationResult: string } };
    expect(statement.predicate.verificationResult).toBe('FAILED');
  });

  it('an unreadable or oversized attestation is skipped and said so: 2, one line', async () => {
    const client = new RegistryClient(parseReference(ref('junk')), { username: USER, password: PASSWORD, env: { HOME: dir }, push: true });
    try {
      const pusher = new RegistryPusher(client);
      const subject = await client.getManifest(appDigest);
      const config = await pusher.pushBlob(Buffer.from('{}'));
      for (const junk of [Buffer.from('{"not":"a bundle"}'), Buffer.alloc(4 * 1024 * 1024 + 1, 0x20)]) {
        const layer = await pusher.pushBlob(junk);
        const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: BUNDLE, config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: config, size: 2 }, layers: [{ mediaType: BUNDLE, digest: layer, size: junk.length }], subject: { mediaType: subject.mediaType, digest: appDigest, size: subject.body.length } };
        await pushReferrer(client, Buffer.from(JSON.stringify(manifest)), appDigest, BUNDLE, {});
      }
    } finally {
      await client.close();
    }
    const r = await cli(['verify', ref('junk'), '--key', ec.publicPath]);
    expect(r.code).toBe(2);
    expect(oneLine(r)).toBe(`portcullis: UNVERIFIED ${appDigest}: no attestations found (2 unreadable or oversized attestation(s) skipped)`);
  });

  it('no attestation at all: 2, one line', async () => {
    const r = await cli(['verify', ref('none'), '--key', ec.publicPath]);
    expect(r.code).toBe(2);
    expect(oneLine(r)).toBe(`portcullis: UNVERIFIED ${appDigest}: no attestations found`);
  });
});

describe('token auth', () => {
  it('scan asks for pull,push and pushes; verify reads it back', async () => {
    const host = tokenRegistry.host;
    const r = await cli(['scan', ref('app', host), '--key', ed.privatePath, '--push-attestation', '--format', `json=${join(dir, 'token.json')}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(tokens.requests.some((q) => q.authorised && q.scope.includes('repository:team/app:pull,push'))).toBe(true);
    const ok = await cli(['verify', ref('app', host), '--key', ed.publicPath]);
    expect(ok.code).toBe(0);
    expect(oneLine(ok)).toMatch(/^portcullis: VERIFIED /);
    const anon = await spawnCli(['verify', ref('app', host), '--key', ed.publicPath], { env: { HOME: dir } });
    expect(anon.code).toBe(2);
  });
});

describe('local images', () => {
  it('--key fd:0 signs from stdin; --attest without --key writes the unsigned statement', async () => {
    const layout = join(dir, 'app');
    const r = await cli(['scan', `oci:${layout}:v1`, '--key', 'fd:0', '--attest', join(dir, 'local.json'), '--format', `json=${join(dir, 'local-report.json')}`], {}, ec.privatePem);
    expect(r.code, r.stderr).toBe(0);
    const bundle = JSON.parse(readFileSync(join(dir, 'local.json'), 'utf8')) as Parameters<typeof sigstoreVerify>[0];
    expect(() => sigstoreVerify(bundle, ec.publicKey)).not.toThrow();
    const u = await cli(['scan', `oci:${layout}:v1`, '--attest', join(dir, 'unsigned.json'), '--attest-vuln', join(dir, 'vuln.json'), '--format', `json=${join(dir, 'u.json')}`]);
    expect(u.code, u.stderr).toBe(0);
    const statement = JSON.parse(readFileSync(join(dir, 'unsigned.json'), 'utf8')) as { predicate: unknown };
    expect(specErrors('statement', statement)).toEqual([]);
    expect(specErrors('vsa', statement.predicate)).toEqual([]);
    const vuln = JSON.parse(readFileSync(join(dir, 'vuln.json'), 'utf8')) as { predicate: unknown };
    expect(specErrors('vuln', vuln.predicate)).toEqual([]);
  });

  it('bad flag combinations are one line, exit 2', async () => {
    const layout = join(dir, 'app');
    const cases: [string[], RegExp][] = [
      [['scan', `oci:${layout}:v1`, '--push-attestation'], /--push-attestation needs --key/],
      [['scan', `oci:${layout}:v1`, '--attest', join(dir, 'x.json'), '--policy', 'none'], /--policy none: an attestation records a gate verdict/],
      [['scan', `oci:${layout}:v1`, '--key', ec.privatePath], /--key is for --attest/],
      [['scan', `oci:${layout}:v1`, '--attest', join(dir, 'x.json'), '--key', ec.publicPath], /is not a PEM private key \(it is a public key\)/],
      [['scan', `oci:${layout}:v1`, '--key', ec.privatePath, '--push-attestation', '--format', `json=${join(dir, 'y.json')}`], /--push-attestation: the image was read from oci, not a registry/],
      [['verify', ref('app'), '--key', ec.publicPath, '--policy-digest', 'nope'], /--policy-digest: expected sha256:<64 hex digits>/],
    ];
    for (const [args, want] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(oneLine(r)).toMatch(want);
    }
  });
});

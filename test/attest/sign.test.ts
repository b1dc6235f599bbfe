// Statements built from real scans, signed with real keys, checked against the specs (schemas
// written from the spec text, spec-schemas.ts) and against verifiers that share no code with
// src/attest (independent.ts): a DSSE check written from the protocol text, and @sigstore/verify.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFromJSON } from '@sigstore/bundle';
import { envelopeSignedBy, preAuthEncoding } from '../../src/attest/dsse.js';
import { loadSigningKey, loadVerifyingKey } from '../../src/attest/keys.js';
import { parseAttestation, signStatement } from '../../src/attest/bundle.js';
import { attestReport } from '../../src/attest/attest-report.js';
import { buildVulnStatement } from '../../src/attest/vuln-predicate.js';
import { judgeAttestations } from '../../src/attest/verify.js';
import { CHECKED_FIELD, type VsaStatement } from '../../src/attest/vsa.js';
import { policySetDigest } from '../../src/attest/policy-digest.js';
import { scan } from '../../src/scan/scan.js';
import type { Report } from '../../src/model/report.js';
import { PortcullisError } from '../../src/errors.js';
import { buildAppLayout } from '../registry/images.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { dsseVerifies, pae, sigstoreVerify } from './independent.js';
import { importDb, writeBlockAllPolicy, writeKeyPair, type KeyFiles } from './fixture.js';
import { specErrors } from './spec-schemas.js';

let dir: string;
let db: string;
let layout: string;
let blockAll: string;
let ec: KeyFiles;
let ed: KeyFiles;
let passed: Report;
let failed: Report;

const sha256File = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function scanLayout(policies: string[] | 'default'): Promise<Report> {
  return scan({ input: { image: `oci:${layout}:v1` }, db: { path: db }, gate: { policies }, cache: { disabled: true }, env: { HOME: dir }, cwd: dir });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-attest-'));
  layout = join(dir, 'app');
  await buildAppLayout(layout);
  db = await importDb(dir);
  blockAll = writeBlockAllPolicy(dir);
  ec = writeKeyPair(dir, 'ec', 'ec');
  ed = writeKeyPair(dir, 'ed', 'ed25519');
  passed = await scanLayout('default');
  failed = await scanLayout([blockAll]);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('DSSE', () => {
  it('PAE is the byte string the DSSE protocol defines', () => {
    // The protocol's own example: PAE("http://example.com/HelloWorld", "hello world").
    const want = 'DSSEv1 29 http://example.com/HelloWorld 11 hello world';
    expect(preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(want);
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(want);
    // Lengths are bytes, not characters.
    expect(preAuthEncoding('t', Buffer.from('é')).toString()).toBe('DSSEv1 1 t 2 é');
  });

  for (const kind of ['ec', 'ed'] as const) {
    it(`${kind === 'ec' ? 'ECDSA P-256' : 'Ed25519'}: verified by node:crypto over our own PAE and by @sigstore/verify; a changed byte fails all three`, () => {
      const keys = kind === 'ec' ? ec : ed;
      const key = loadSigningKey(keys.privatePath);
      const { statement } = attestReport(passed, { cwd: dir });
      const signed = signStatement(statement, key);
      expect(dsseVerifies(signed.envelope, keys.publicKey)).toBe(true);
      expect(() => sigstoreVerify(signed.bundle, keys.publicKey)).not.toThrow();
      expect(envelopeSignedBy(signed.envelope, loadVerifyingKey(keys.publicPath))).toBe(true);

      const payload = Buffer.from(signed.envelope.payload, 'base64');
      payload[payload.indexOf('PASSED')] = 'F'.charCodeAt(0);
      const tampered = { ...signed.envelope, payload: payload.toString('base64') };
      expect(dsseVerifies(tampered, keys.publicKey)).toBe(false);
      expect(envelopeSignedBy(tampered, loadVerifyingKey(keys.publicPath))).toBe(false);
      const tamperedBundle = JSON.parse(JSON.stringify(signed.bundle)) as { dsseEnvelope: { payload: string } };
      tamperedBundle.dsseEnvelope.payload = tampered.payload;
      expect(() => sigstoreVerify(tamperedBundle, keys.publicKey)).toThrow(/signature/i);
    });
  }

  it('a signature by another key does not verify', () => {
    const signed = signStatement(attestReport(passed, { cwd: dir }).statement, loadSigningKey(ec.privatePath));
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    expect(dsseVerifies(signed.envelope, other)).toBe(false);
    expect(() => sigstoreVerify(signed.bundle, other)).toThrow();
  });
});

describe('keys', () => {
  it('come from a file, env:NAME or fd:N', () => {
    const fromFile = loadSigningKey(ec.privatePath);
    const fromEnv = loadSigningKey('env:SIGNING_KEY', { env: { SIGNING_KEY: ec.privatePem } });
    const fd = openSync(ec.privatePath, 'r');
    try {
      const fromFd = loadSigningKey(`fd:${fd}`);
      expect(fromFd.keyId).toBe(fromFile.keyId);
    } finally {
      closeSync(fd);
    }
    expect(fromEnv.keyId).toBe(fromFile.keyId);
    expect(fromFile.keyId).toBe(createHash('sha256').update(ec.publicKey.export({ type: 'spki', format: 'der' })).digest('hex'));
  });

  it('bad keys are one line naming where they came from, never their content', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const garbage = '-----BEGIN PRIVATE KEY-----\nTUlJQ1hBSUJBQUtCZ1FD-SECRET-MATERIAL\n-----END PRIVATE KEY-----\n';
    const cases: [string, RegExp][] = [
      [rsa, /holds a rsa key; portcullis signs with ECDSA P-256 or Ed25519/],
      [p384, /holds a ec secp384r1 key/],
      [garbage, /is not a PEM private key$/],
      [readFileSync(ec.publicPath, 'utf8'), /is not a PEM private key \(it is a public key\)/],
    ];
    for (const [pem, want] of cases) {
      const err = (() => {
        try {
          loadSigningKey('env:K', { env: { K: pem } });
        } catch (e) {
          return e as Error;
        }
        throw new Error('accepted');
      })();
      expect(err).toBeInstanceOf(PortcullisError);
      expect(err.message).toMatch(/^--key: environment variable K /);
      expect(err.message).toMatch(want);
      expect(err.message.split('\n')).toHaveLength(1);
      expect(err.message).not.toContain('SECRET');
      expect(err.message).not.toContain(pem.split('\n')[1]!.slice(0, 20));
    }
    expect(() => loadSigningKey('env:UNSET', { env: {} })).toThrow(/environment variable UNSET is not set/);
    expect(() => loadSigningKey(join(dir, 'missing.key'))).toThrow(/cannot read the key file \(ENOENT\)/);
  });

  it('an encrypted PKCS#8 key opens with $PORTCULLIS_KEY_PASSPHRASE only', () => {
    const pair = generateKeyPairSync('ed25519');
    const pem = pair.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass-phrase-42' }).toString();
    expect(() => loadSigningKey('env:K', { env: { K: pem } })).toThrow(/encrypted key that could not be decrypted \(set PORTCULLIS_KEY_PASSPHRASE\)/);
    expect(loadSigningKey('env:K', { env: { K: pem, PORTCULLIS_KEY_PASSPHRASE: 'pass-phrase-42' } }).algorithm).toBe('ed25519');
  });
});

describe('the verdict statement', () => {
  it('is an in-toto Statement v1 with a SLSA VSA v1 predicate, about the manifest digest', () => {
    const { statement } = attestReport(passed, { cwd: dir });
    expect(specErrors('statement', statement)).toEqual([]);
    expect(specErrors('vsa', statement.predicate)).toEqual([]);
    expect(statement.subject).toEqual([{ name: passed.image.repository ?? passed.image.source, digest: { sha256: passed.image.manifestDigest!.slice(7) } }]);
    expect(statement.predicate.verificationResult).toBe('PASSED');
    expect(statement.predicate.resourceUri).toBe(`oci://${statement.subject[0]!.name}@${passed.image.manifestDigest}`);
    // The shipped default policy, digested from the file the package ships.
    expect(statement.predicate.policy.digest.sha256).toBe(sha256File(join(PROJECT_ROOT, 'policies/default.yaml')));
    expect(statement.predicate.policy.uri).toMatch(/^pkg:npm\/portcullis@.+#policies\/default\.yaml$/);
    const checked = statement.predicate[CHECKED_FIELD];
    expect(checked.counts).toEqual(passed.decision!.counts);
    expect(checked.db?.sources).toEqual(passed.db!.sources);
  });

  it('a blocked scan is FAILED, under the policy file that was used', () => {
    const { statement } = attestReport(failed, { cwd: dir });
    expect(specErrors('vsa', statement.predicate)).toEqual([]);
    expect(statement.predicate.verificationResult).toBe('FAILED');
    expect(statement.predicate.verifiedLevels).toEqual(['FAILED']);
    expect(statement.predicate.policy).toEqual({ uri: 'file:block-all.yaml', digest: { sha256: sha256File(blockAll) } });
  });

  it('several policies: one set digest over the files in order, each file listed', async () => {
    const second = join(dir, 'second.yaml');
    writeFileSync(second, readFileSync(join(PROJECT_ROOT, 'policies/fixable.yaml')));
    const report = await scanLayout([join(PROJECT_ROOT, 'policies/default.yaml'), second]);
    const { statement } = attestReport(report, { cwd: dir });
    const files = statement.predicate[CHECKED_FIELD].policies;
    expect(files.map((f) => f.sha256)).toEqual([sha256File(join(PROJECT_ROOT, 'policies/default.yaml')), sha256File(second)]);
    expect(statement.predicate.policy.digest.sha256).toBe(createHash('sha256').update(`${files[0]!.sha256}  0\n${files[1]!.sha256}  1\n`).digest('hex'));
    expect(policySetDigest([...files].reverse())).not.toBe(statement.predicate.policy.digest.sha256);
    expect(specErrors('vsa', statement.predicate)).toEqual([]);
  });

  it('no decision (--policy none), an SBOM or a docker-archive cannot be attested', async () => {
    const none = await scan({ input: { image: `oci:${layout}:v1` }, db: { path: db }, gate: { policies: 'none' }, cache: { disabled: true }, env: { HOME: dir }, cwd: dir });
    expect(() => attestReport(none, { cwd: dir })).toThrow(/no policy/);
    const archive = { ...passed, image: { ...passed.image, sourceType: 'docker-archive' } };
    expect(() => attestReport(archive, { cwd: dir })).toThrow(/has no manifest digest to attest/);
    // A scan with a coverage gap nobody accepted (here: an unread dpkg database) is an error, never a verdict.
    const unread = { path: '/var/lib/dpkg/status', cataloger: 'dpkg', kind: 'os-pkgdb' as const, code: 'too-large', reason: 'larger than 64 MiB' };
    const gap = { ...passed, coverage: { ecosystems: [], unread: [unread], unchecked: [], complete: false } };
    expect(() => attestReport(gap, { cwd: dir })).toThrow(/the scan is incomplete/);
  });

  it('the cosign vuln/v1 record validates too', () => {
    const vuln = buildVulnStatement(failed);
    expect(specErrors('statement', vuln)).toEqual([]);
    expect(specErrors('vuln', vuln.predicate)).toEqual([]);
    expect(vuln.predicate.scanner.result.verdict).toBe('FAILED');
  });

  it('the bundle is a Sigstore bundle v0.3 that @sigstore/bundle accepts, and both file forms read back', () => {
    const signed = signStatement(attestReport(passed, { cwd: dir }).statement, loadSigningKey(ed.privatePath));
    expect(signed.bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(() => bundleFromJSON(signed.bundle)).not.toThrow();
    const fromBundle = parseAttestation(JSON.stringify(signed.bundle), 'b.json');
    const fromEnvelope = parseAttestation(JSON.stringify(signed.envelope), 'e.json');
    expect(fromBundle).toEqual({ form: 'bundle', envelope: signed.envelope });
    expect(fromEnvelope).toEqual({ form: 'dsse', envelope: signed.envelope });
    expect(() => parseAttestation('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}', 'x.json')).toThrow(/^x\.json: not a valid Sigstore bundle/);
    expect(() => parseAttestation('not json', 'x.json')).toThrow(/^x\.json: not JSON/);
  });
});

describe('judging verdicts', () => {
  const sign = (statement: VsaStatement, keys: KeyFiles = ec) => ({ envelope: signStatement(statement, loadSigningKey(keys.privatePath)).envelope, where: 'test' });
  const at = (s: VsaStatement, iso: string): VsaStatement => ({ ...s, predicate: { ...s.predicate, timeVerified: iso } });
  const key = () => loadVerifyingKey(ec.publicPath);
  const digest = () => passed.image.manifestDigest!;
  const now = new Date('2026-06-01T12:00:00Z');

  it('0 for a signed PASSED verdict; the newest verdict decides', () => {
    const pass = attestReport(passed, { cwd: dir, now: new Date('2026-06-01T10:00:00Z') }).statement;
    const fail = attestReport(failed, { cwd: dir, now: new Date('2026-06-01T11:00:00Z') }).statement;
    const ok = judgeAttestations([sign(pass)], { key: key(), digest: digest(), now });
    expect(ok.code).toBe(0);
    expect(ok.line).toMatch(/^VERIFIED sha256:[a-f0-9]{64}: PASSED under policy pkg:npm\/portcullis@.*#policies\/default\.yaml \(sha256:[a-f0-9]{64}\) at 2026-06-01T10:00:00\.000Z, signed by key [a-f0-9]{12}$/);
    const revoked = judgeAttestations([sign(pass), sign(fail)], { key: key(), digest: digest(), now });
    expect(revoked.code).toBe(1);
    expect(revoked.line).toMatch(/^REJECTED sha256:[a-f0-9]{64}: verdict FAILED under policy file:block-all\.yaml/);
  });

  it('1 for a wrong policy digest, an old verdict, a verdict from the future', () => {
    const pass = attestReport(passed, { cwd: dir, now: new Date('2026-05-30T12:00:00Z') }).statement;
    const c = { key: key(), digest: digest(), now };
    expect(judgeAttestations([sign(pass)], { ...c, policyDigest: 'a'.repeat(64) }).line).toMatch(/verdict is under policy .* not sha256:a{64}$/);
    expect(judgeAttestations([sign(pass)], { ...c, policyDigest: pass.predicate.policy.digest.sha256 }).code).toBe(0);
    const old = judgeAttestations([sign(pass)], { ...c, maxAgeMs: 24 * 3_600_000 });
    expect(old.code).toBe(1);
    expect(old.line).toMatch(/verdict is 2d old \(verified 2026-05-30T12:00:00\.000Z\), older than --max-age 24h$/);
    expect(judgeAttestations([sign(at(pass, '2026-06-01T13:00:00Z'))], c).line).toMatch(/is in the future$/);
  });

  it('2 when nothing usable: none, wrong key, another image, not a VSA', () => {
    const pass = attestReport(passed, { cwd: dir }).statement;
    const c = { key: key(), digest: digest(), now: new Date() };
    expect(judgeAttestations([], c)).toMatchObject({ code: 2, line: `UNVERIFIED ${digest()}: no attestations found` });
    expect(judgeAttestations([sign(pass, ed)], c).line).toMatch(/1 attestation\(s\) found, none signed by key [a-f0-9]{12} \(signature check failed\)$/);
    const elsewhere = { ...pass, subject: [{ name: 'x', digest: { sha256: 'b'.repeat(64) } }] };
    expect(judgeAttestations([sign(elsewhere)], c).line).toMatch(/1 signed statement\(s\) are about another image, not sha256:/);
    const vuln = buildVulnStatement(passed);
    const vulnSigned = { envelope: signStatement(vuln, loadSigningKey(ec.privatePath)).envelope, where: 'v' };
    expect(judgeAttestations([vulnSigned], c).line).toMatch(/no https:\/\/slsa\.dev\/verification_summary\/v1 attestation \(1 of other predicate types\)$/);
  });
});

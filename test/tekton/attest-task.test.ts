// The scan Task's signing path, run locally (test/tekton/tekton.ts) against a real docker-registry:
// with the signing-key workspace bound, a passing registry image gets its signed verdict attached
// after the gate step (ATTESTATION_DIGEST), a blocked one is signed into the reports but never
// attached.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skopeoPush, startRegistry, type RunningRegistry } from '../registry/harness.js';
import { buildPipelineFixture, type PipelineFixture } from './fixture.js';
import { loadTektonDocs, runTask, type TaskSpec } from './tekton.js';

const scanTask = loadTektonDocs().find((d) => d.metadata.name === 'portcullis-scan')!.spec as TaskSpec;

describe('portcullis-scan Task with a signing key, run locally', () => {
  let f: PipelineFixture;
  let registry: RunningRegistry;
  let keyWs: string;
  let dbWs: string;
  let pub: string;

  beforeAll(async () => {
    f = await buildPipelineFixture(mkdtempSync(join(tmpdir(), 'tekton-attest-')));
    registry = await startRegistry();
    await skopeoPush(`oci-archive:${f.passOci}`, `${registry.host}/team/app:pass`);
    await skopeoPush(`oci-archive:${f.blockOci}`, `${registry.host}/team/app:blocked`);
    keyWs = join(f.dir, 'key-ws');
    mkdirSync(keyWs);
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(join(keyWs, 'key.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    pub = join(f.dir, 'pub.pem');
    writeFileSync(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }));
    dbWs = join(f.dir, 'db-ws');
    mkdirSync(dbWs);
    copyFileSync(f.db, join(dbWs, 'db.sqlite'));
  }, 300_000);
  afterAll(async () => {
    await registry?.stop();
  });

  async function run(image: string) {
    const reports = mkdtempSync(join(f.dir, 'reports-'));
    const r = await runTask(scanTask, { params: { IMAGE: image }, workspaces: { reports, db: dbWs, 'signing-key': keyWs }, pathDirs: [f.binDir] });
    return { ...r, reports, codes: Object.fromEntries(r.steps.map((s) => [s.name, s.code])) };
  }
  const verify = (ref: string) => {
    try {
      return { code: 0, out: execFileSync(join(f.binDir, 'portcullis'), ['verify', ref, '--key', pub], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
    } catch (e) {
      const err = e as { status: number; stderr: string };
      return { code: err.status, out: err.stderr };
    }
  };

  it('a pass: signed, attached after the gate, ATTESTATION_DIGEST set, portcullis verify accepts it', async () => {
    const r = await run(`${registry.host}/team/app:pass`);
    expect(r.codes, JSON.stringify(r.steps)).toEqual({ scan: 0, gate: 0, attest: 0 });
    expect(r.results.ATTESTATION_DIGEST).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(existsSync(join(r.reports, 'attestation.json'))).toBe(true);
    const v = verify(`${registry.host}/team/app:pass`);
    expect(v.code, v.out).toBe(0);
    expect(v.out).toMatch(/^portcullis: VERIFIED sha256:[0-9a-f]{64}: PASSED/);
    // The key never reaches a log.
    const key = readFileSync(join(keyWs, 'key.pem'), 'utf8').split('\n')[1]!;
    for (const s of r.steps) expect(s.stdout + s.stderr).not.toContain(key);
  });

  it('blocked: the FAILED verdict is signed into the reports but nothing is attached', async () => {
    const r = await run(`${registry.host}/team/app:blocked`);
    expect(r.codes).toEqual({ scan: 1, gate: 1 });
    expect(r.results.ATTESTATION_DIGEST).toBeUndefined(); // the attest step never ran
    const bundle = JSON.parse(readFileSync(join(r.reports, 'attestation.json'), 'utf8')) as { dsseEnvelope: { payload: string } };
    expect(JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')).predicate.verificationResult).toBe('FAILED');
    const v = verify(`${registry.host}/team/app:blocked`);
    expect(v.code).toBe(2);
    expect(v.out.trim()).toMatch(/^portcullis: UNVERIFIED sha256:[0-9a-f]{64}: no attestations found$/);
  });
});

// Authentication against real docker-registry instances: htpasswd Basic auth and token auth with
// an RS256 token server; credentials from options, environment, Docker config (auths, credHelpers);
// secrets never in error text.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveImageSource } from '../../src/image/index.js';
import type { RegistryOptions } from '../../src/image/registry/index.js';
import { PortcullisError } from '../../src/errors.js';
import { skopeoPush, startFaultProxy, startRegistry, startTokenServer, type FaultProxy, type RunningRegistry, type TokenServer } from './harness.js';
import { buildAppLayout, readLayers, tmp } from './images.js';

const USER = 'ci-bot';
const PASSWORD = 'S3cret-pa55word-xyz';
const EMPTY_ENV: NodeJS.ProcessEnv = { HOME: '/nonexistent-home' };

let work: string;
let layout: string;
let basic: RunningRegistry;
let tokenRegistry: RunningRegistry;
let tokens: TokenServer;
let tokenProxy: FaultProxy;

async function pull(ref: string, opts: RegistryOptions): Promise<number> {
  const img = await resolveImageSource(ref, { registry: { timeoutMs: 30_000, retryBaseMs: 10, env: EMPTY_ENV, ...opts } }).open();
  try {
    return (await readLayers(img)).length;
  } finally {
    await img.close();
  }
}

async function failure(ref: string, opts: RegistryOptions): Promise<Error> {
  const err = await pull(ref, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PortcullisError);
  return err as Error;
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-auth-'));
  layout = tmp(work, 'app');
  await buildAppLayout(layout);
  basic = await startRegistry({ kind: 'basic', username: USER, password: PASSWORD });
  await skopeoPush(`oci:${layout}:v1`, `${basic.host}/team/app:v1`, ['--dest-creds', `${USER}:${PASSWORD}`]);
  tokens = await startTokenServer({ [USER]: PASSWORD });
  tokenRegistry = await startRegistry({ kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certPath: tokens.certPath });
  await skopeoPush(`oci:${layout}:v1`, `${tokenRegistry.host}/team/app:v1`, ['--dest-creds', `${USER}:${PASSWORD}`]);
  tokenProxy = await startFaultProxy(tokenRegistry.host);
}, 120_000);

afterAll(async () => {
  await tokenProxy?.stop();
  await tokenRegistry?.stop();
  await tokens?.stop();
  await basic?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('Basic auth (htpasswd)', () => {
  it('pulls with --username / --password', async () => {
    expect(await pull(`${basic.host}/team/app:v1`, { username: USER, password: PASSWORD })).toBe(3);
  });

  it('anonymous: says authentication is required and how to give it', async () => {
    const err = await failure(`${basic.host}/team/app:v1`, {});
    expect(err.message).toMatch(new RegExp(`^registry ${basic.host}: authentication required \\(HTTP 401\\): pass --username with --password-stdin`));
  });

  it('a wrong password is refused without the password in the message', async () => {
    const err = await failure(`${basic.host}/team/app:v1`, { username: USER, password: `${PASSWORD}-wrong` });
    expect(err.message).toMatch(/HTTP 401 Unauthorized/);
    expect(err.message).not.toContain(`${PASSWORD}-wrong`);
    expectNoSecret(err.message);
  });

  it('reads PORTCULLIS_REGISTRY_USERNAME / _PASSWORD', async () => {
    expect(await pull(`${basic.host}/team/app:v1`, { env: { ...EMPTY_ENV, PORTCULLIS_REGISTRY_USERNAME: USER, PORTCULLIS_REGISTRY_PASSWORD: PASSWORD } })).toBe(3);
  });

  it('reads auths from $DOCKER_CONFIG/config.json (base64 auth, http:// key form)', async () => {
    const dir = tmp(work, 'docker-auths');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [`http://${basic.host}`]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
    expect(await pull(`${basic.host}/team/app:v1`, { env: { ...EMPTY_ENV, DOCKER_CONFIG: dir } })).toBe(3);
  });

  it('runs docker-credential-<name> get for credHelpers, with the host on stdin', async () => {
    const bin = tmp(work, 'bin');
    const seen = join(work, 'helper-stdin.txt');
    const helper = join(bin, 'docker-credential-portcullistest');
    writeFileSync(helper, `#!/bin/sh\n[ "$1" = get ] || exit 3\ncat > ${seen}\nprintf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$(cat ${seen})"\n`);
    chmodSync(helper, 0o755);
    const config = join(work, 'helper-config.json');
    writeFileSync(config, JSON.stringify({ credHelpers: { [basic.host]: 'portcullistest' } }));
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      expect(await pull(`${basic.host}/team/app:v1`, { dockerConfigPath: config })).toBe(3);
    } finally {
      process.env.PATH = oldPath;
    }
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(seen, 'utf8')).toBe(basic.host);
  });

  it('a credsStore helper that is not installed is a clear error', async () => {
    const config = join(work, 'store-config.json');
    writeFileSync(config, JSON.stringify({ credsStore: 'portcullis-absent-helper' }));
    const err = await failure(`${basic.host}/team/app:v1`, { dockerConfigPath: config });
    expect(err.message).toBe(`${config}: credential helper docker-credential-portcullis-absent-helper is not installed (not on PATH) for ${basic.host}`);
  });
});

describe('token auth (distribution token spec, RS256 with x5c)', () => {
  it('gets a bearer token with the credentials and caches it per scope', async () => {
    tokens.requests.length = 0;
    expect(await pull(`${tokenRegistry.host}/team/app:v1`, { username: USER, password: PASSWORD })).toBe(3);
    // manifest + config + 3 layers, one token.
    expect(tokens.requests).toHaveLength(1);
    expect(tokens.requests[0]).toEqual({ scope: ['repository:team/app:pull'], account: USER, authorised: true });
  });

  it('anonymous: a token that grants nothing ends in a clear 401', async () => {
    const err = await failure(`${tokenRegistry.host}/team/app:v1`, {});
    expect(err.message).toMatch(new RegExp(`^registry ${tokenRegistry.host}: GET /v2/team/app/manifests/v1: HTTP 401 Unauthorized`));
    expectNoSecret(err.message);
  });

  it('a wrong password: the token service refuses, nothing secret in the message', async () => {
    const err = await failure(`${tokenRegistry.host}/team/app:v1`, { username: USER, password: `${PASSWORD}-wrong` });
    expect(err.message).toBe(`registry ${tokenRegistry.host}: token service ${new URL(tokens.realm).origin}/token refused the credentials (HTTP 401) from command line`);
    expectNoSecret(err.message);
  });

  it('re-authenticates once when a token is refused mid-pull', async () => {
    tokens.requests.length = 0;
    tokenProxy.faults.length = 0;
    const challenge = `Bearer realm="${tokens.realm}",service="${tokens.service}",scope="repository:team/app:pull",error="invalid_token"`;
    tokenProxy.faults.push({ kind: 'status', status: 401, times: 1, headers: { 'www-authenticate': challenge }, match: (_m, p) => p.includes('/blobs/') });
    expect(await pull(`${tokenProxy.host}/team/app:v1`, { username: USER, password: PASSWORD })).toBe(3);
    expect(tokens.requests).toHaveLength(2);
    // Never more than once per request: a registry that keeps refusing is an error, not a loop.
    tokenProxy.faults.push({ kind: 'status', status: 401, times: Infinity, headers: { 'www-authenticate': challenge }, match: (_m, p) => p.includes('/blobs/') });
    const err = await failure(`${tokenProxy.host}/team/app:v1`, { username: USER, password: PASSWORD });
    expect(err.message).toMatch(/HTTP 401 Unauthorized/);
    expectNoSecret(err.message);
    tokenProxy.faults.length = 0;
  });

  it('never shows a token or password in errors raised after authentication', async () => {
    tokenProxy.faults.length = 0;
    tokenProxy.faults.push({ kind: 'status', status: 500, times: Infinity, match: (_m, p) => p.includes('/blobs/') });
    const err = await failure(`${tokenProxy.host}/team/app:v1`, { username: USER, password: PASSWORD, maxAttempts: 2 });
    expect(err.message).toMatch(/HTTP 500, gave up after 2 attempts/);
    expectNoSecret(err.message);
    expectNoSecret(String((err as Error).stack));
    tokenProxy.faults.length = 0;
  });
});

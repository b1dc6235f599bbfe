// Pure parts of the registry client: references, WWW-Authenticate, Retry-After, backoff, redaction.
import { describe, expect, it } from 'vitest';
import { allowsPlainHttp, backoffDelay, parseChallenges, parseRetryAfter, Redactor, tryParseReference } from '../../src/image/registry/index.js';
import { resolveImageSource } from '../../src/image/index.js';

describe('references', () => {
  it('applies Docker Hub defaults', () => {
    expect(tryParseReference('alpine')).toEqual({ registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/alpine', tag: 'latest' });
    expect(tryParseReference('index.docker.io/team/app:1.0')).toEqual({ registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'team/app', tag: '1.0' });
    expect(tryParseReference('docker://debian:12')?.repository).toBe('library/debian');
  });

  it('reads host:port, tag and digest', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    expect(tryParseReference(`localhost:5000/a/b/c:v1@${d}`)).toEqual({ registry: 'localhost:5000', apiHost: 'localhost:5000', repository: 'a/b/c', tag: 'v1', digest: d });
    expect(tryParseReference(`ghcr.io/o/r@${d}`)).toEqual({ registry: 'ghcr.io', apiHost: 'ghcr.io', repository: 'o/r', digest: d });
    expect(tryParseReference('[::1]:5000/app')?.registry).toBe('[::1]:5000');
  });

  it('rejects what is not a reference', () => {
    for (const bad of ['UPPER/case', 'a//b', 'app:', 'app@sha256:short', 'host:99999999/app', '-x', 'app:-tag']) expect(tryParseReference(bad)).toBeUndefined();
  });

  it('a missing local path stays a missing file, a reference becomes a registry source', () => {
    expect(() => resolveImageSource('./missing.tar')).toThrow(/no such file or directory/);
    expect(() => resolveImageSource('/no/such/dir')).toThrow(/no such file or directory/);
    expect(resolveImageSource('docker://registry.example.com/team/app:v1').description).toBe('registry image registry.example.com/team/app:v1');
    // A bare name is looked for in the local stores first, then the registry (--image-src order).
    expect(resolveImageSource('registry.example.com/team/app:v1').description).toBe('registry.example.com/team/app:v1 (from docker, containerd, podman, registry)');
  });

  it('allows plain HTTP only for loopback and named insecure registries', () => {
    expect(allowsPlainHttp('localhost:5000', [])).toBe(true);
    expect(allowsPlainHttp('127.0.0.1:1', [])).toBe(true);
    expect(allowsPlainHttp('[::1]:5000', [])).toBe(true);
    expect(allowsPlainHttp('reg.lan:5000', [])).toBe(false);
    expect(allowsPlainHttp('reg.lan:5000', ['reg.lan'])).toBe(true);
    expect(allowsPlainHttp('reg.lan:5000', ['reg.lan:5000'])).toBe(true);
    expect(allowsPlainHttp('reg.lan:5000', ['reg.lan:6000'])).toBe(false);
  });
});

describe('WWW-Authenticate', () => {
  it('parses a bearer challenge with quoted, comma-holding values', () => {
    expect(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
    ]);
  });
  it('parses several challenges and bare values', () => {
    expect(parseChallenges('Basic realm="x y", Bearer realm=https://t/x,error=invalid_token')).toEqual([
      { scheme: 'basic', params: { realm: 'x y' } },
      { scheme: 'bearer', params: { realm: 'https://t/x', error: 'invalid_token' } },
    ]);
  });
});

describe('Retry-After and backoff', () => {
  it('reads delay-seconds and HTTP-dates', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 31 Dec 2023 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
  it('backs off exponentially with jitter, capped', () => {
    const p = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(p, 1, () => 0)).toBe(50);
    expect(backoffDelay(p, 1, () => 1)).toBe(100);
    expect(backoffDelay(p, 3, () => 1)).toBe(400);
    expect(backoffDelay(p, 10, () => 1)).toBe(1000);
  });
});

describe('redaction', () => {
  it('removes secrets in their raw, base64 and URL-encoded forms, and any auth header value', () => {
    const r = new Redactor();
    r.addBasic('bob', 'p@ss word!');
    r.add('tok-123456');
    const b64 = Buffer.from('bob:p@ss word!').toString('base64');
    const text = r.redact(`pw p@ss word! enc ${encodeURIComponent('p@ss word!')} basic ${b64} token tok-123456 hdr Bearer abc.def.ghi`);
    expect(text).toBe('pw *** enc *** basic *** token *** hdr Bearer ***');
  });
});

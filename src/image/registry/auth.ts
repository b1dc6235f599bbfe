// Registry authentication: anonymous, Basic, and the Bearer token flow of the distribution token
// spec (a 401 names a realm; the client asks it for a token for service + scope, with Basic
// credentials or a refresh token when it has them, and retries once with that token).
import { ImageError, PortcullisError } from '../../errors.js';
import type { Credentials } from './credentials.js';
import type { Redactor } from './redact.js';
import { readBody, type HttpResponse, type Transport } from './transport.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/;

/** Parses `WWW-Authenticate` (several challenges, quoted or bare parameter values). */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let s = header;
  const skip = (): void => {
    s = s.replace(/^[\s,]+/, '');
  };
  skip();
  while (s.length > 0) {
    const scheme = TOKEN_RE.exec(s);
    if (!scheme) break;
    s = s.slice(scheme[0].length);
    const challenge: Challenge = { scheme: scheme[0].toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      skip();
      const key = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*/.exec(s);
      if (!key) break;
      s = s.slice(key[0].length);
      let value = '';
      if (s.startsWith('"')) {
        let i = 1;
        for (; i < s.length && s[i] !== '"'; i++) {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
        }
        s = s.slice(i + 1);
      } else {
        const bare = /^[^\s,]*/.exec(s)![0];
        value = bare;
        s = s.slice(bare.length);
      }
      challenge.params[key[1]!.toLowerCase()] = value;
    }
  }
  return out;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

const MAX_TOKEN_RESPONSE = 1024 * 1024;
const DEFAULT_TOKEN_LIFETIME_S = 60;

export class Authenticator {
  private scheme: 'none' | 'basic' | 'bearer' = 'none';
  private bearer?: { realm: string; service?: string };
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly registry: string,
    private readonly creds: Credentials | undefined,
    private readonly transport: Transport,
    private readonly redactor: Redactor,
  ) {
    if (creds?.username !== undefined && creds.password !== undefined) redactor.addBasic(creds.username, creds.password);
    redactor.add(creds?.identityToken);
  }

  private basicHeader(): string | undefined {
    const c = this.creds;
    if (c?.username === undefined || c.password === undefined) return undefined;
    return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  }

  /** The Authorization header to send for `scope`, when one is known (no network). */
  headerFor(scope: string): string | undefined {
    if (this.scheme === 'basic') return this.basicHeader();
    if (this.scheme === 'bearer') {
      const t = this.tokens.get(scope);
      if (t && t.expiresAt > Date.now()) return `Bearer ${t.token}`;
    }
    return undefined;
  }

  /** Whether a bearer token for `scope` should be fetched before the request (scheme known). */
  async prepare(scope: string): Promise<void> {
    if (this.scheme === 'bearer' && this.headerFor(scope) === undefined && this.bearer) await this.fetchToken(scope);
  }

  private authRequired(): PortcullisError {
    return new PortcullisError(
      'authentication required (HTTP 401): pass --username with --password-stdin, set PORTCULLIS_REGISTRY_USERNAME / PORTCULLIS_REGISTRY_PASSWORD, or log in with docker login',
      { subject: `registry ${this.registry}` },
    );
  }

  /**
   * Learns from a 401 answer. Returns true when the request is worth one more try (new
   * credentials to send), false when nothing would change.
   */
  async onUnauthorized(res: HttpResponse, scope: string, alreadyRetried: boolean): Promise<boolean> {
    const header = res.headers['www-authenticate'];
    const all = (Array.isArray(header) ? header : header ? [header] : []).flatMap(parseChallenges);
    const bearer = all.find((c) => c.scheme === 'bearer');
    const basic = all.find((c) => c.scheme === 'basic');
    if (bearer) {
      if (!bearer.params.realm) throw new ImageError('Bearer challenge without a realm', { subject: `registry ${this.registry}` });
      this.scheme = 'bearer';
      this.bearer = { realm: bearer.params.realm, ...(bearer.params.service ? { service: bearer.params.service } : {}) };
      if (alreadyRetried) return false;
      // A token that expired or was refused is dropped; a fresh one is asked for once.
      this.tokens.delete(scope);
      await this.fetchToken(scope, bearer.params.scope);
      return true;
    }
    if (basic) {
      const had = this.scheme === 'basic';
      this.scheme = 'basic';
      if (!this.basicHeader()) throw this.authRequired();
      return !had && !alreadyRetried;
    }
    if (!this.creds) throw this.authRequired();
    return false;
  }

  private async fetchToken(scope: string, challengeScope?: string): Promise<void> {
    const { realm, service } = this.bearer!;
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new ImageError(`token realm ${JSON.stringify(realm)} is not a URL`, { subject: `registry ${this.registry}` });
    }
    this.transport.checkScheme(url);
    const scopes = [...new Set([scope, ...(challengeScope ? challengeScope.split(' ') : [])])].filter((s) => s !== '');
    const c = this.creds;
    let res: HttpResponse;
    if (c?.identityToken) {
      // OAuth2 refresh-token grant, as Docker uses an identity token.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, client_id: 'portcullis' });
      if (service) form.set('service', service);
      form.set('scope', scopes.join(' '));
      res = await this.transport.send({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'portcullis' },
        body: form.toString(),
      });
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (c?.username) url.searchParams.set('account', c.username);
      const headers: Record<string, string> = { 'user-agent': 'portcullis' };
      const basic = this.basicHeader();
      if (basic) headers.authorization = basic;
      res = await this.transport.send({ method: 'GET', url, headers });
    }
    const body = await readBody(res.body, MAX_TOKEN_RESPONSE);
    const where = `token service ${url.origin}${url.pathname}`;
    if (res.status === 401 || res.status === 403) {
      throw new PortcullisError(`${where} refused the credentials (HTTP ${res.status})${c ? ` from ${c.origin}` : ''}`, { subject: `registry ${this.registry}` });
    }
    if (res.status !== 200 || !body) throw new ImageError(`${where} answered HTTP ${res.status}`, { subject: `registry ${this.registry}` });
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ImageError(`${where} answered with invalid JSON`, { subject: `registry ${this.registry}` });
    }
    const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
    const token = typeof o.token === 'string' && o.token ? o.token : typeof o.access_token === 'string' ? o.access_token : '';
    if (!token) throw new ImageError(`${where} answered without a token`, { subject: `registry ${this.registry}` });
    this.redactor.add(token);
    if (typeof o.refresh_token === 'string') this.redactor.add(o.refresh_token);
    const lifetime = typeof o.expires_in === 'number' && o.expires_in > 0 ? o.expires_in : DEFAULT_TOKEN_LIFETIME_S;
    // Renew a little early so a token never expires mid-request.
    this.tokens.set(scope, { token, expiresAt: Date.now() + Math.max(1, lifetime - 5) * 1000 });
  }
}

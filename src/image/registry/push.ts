// Uploads through the OCI distribution API (attestations: small blobs and manifests): monolithic
// blob uploads (POST, then PUT with ?digest=), manifests by digest or tag. Every upload is checked
// against the digest the registry reports back; an upload location on another origin is refused
// (credentials never go elsewhere).
import { ImageError } from '../../errors.js';
import { digestOf } from '../digest.js';
import type { RegistryClient } from './client.js';
import { drain, headerValue, readBody, type HttpResponse } from './transport.js';

const MAX_ERROR_BODY = 64 * 1024;

export interface PushedManifest {
  digest: string;
  size: number;
  /** The `OCI-Subject` header: the registry indexed the manifest's subject (referrers API). */
  subject?: string;
}

async function errorDetail(res: HttpResponse): Promise<string> {
  const body = await readBody(res.body, MAX_ERROR_BODY).catch(() => undefined);
  if (!body) return '';
  try {
    const e = (JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] }).errors?.[0];
    if (e) return ` (${[e.code, e.message].filter((x) => typeof x === 'string' && x).join(': ').slice(0, 200)})`;
  } catch {
    // not a distribution error body
  }
  return '';
}

export class RegistryPusher {
  constructor(readonly client: RegistryClient) {}

  private fail(method: 'GET' | 'HEAD' | 'POST' | 'PUT', path: string, what: string): ImageError {
    return this.client.transport.fail({ method, url: new URL(path, this.client.base) }, what, this.client.base.origin);
  }

  private async refuse(res: HttpResponse, method: 'POST' | 'PUT', path: string, what: string): Promise<never> {
    const detail = await errorDetail(res);
    if (res.status === 403 || res.status === 401) throw this.fail(method, path, `HTTP ${res.status}: no push access to ${this.client.ref.repository}${detail}`);
    throw this.fail(method, path, `HTTP ${res.status}: ${what}${detail}`);
  }

  async blobExists(digest: string): Promise<boolean> {
    const path = `/v2/${this.client.ref.repository}/blobs/${digest}`;
    const res = await this.client.request('HEAD', path);
    drain(res);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw this.fail('HEAD', path, `HTTP ${res.status}`);
  }

  /** Uploads `data` (unless the registry has it already); returns its digest. */
  async pushBlob(data: Buffer): Promise<string> {
    const digest = digestOf(data);
    if (await this.blobExists(digest)) return digest;
    const start = `/v2/${this.client.ref.repository}/blobs/uploads/`;
    const res = await this.client.request('POST', start, { 'content-length': '0' });
    if (res.status !== 202) await this.refuse(res, 'POST', start, 'the registry did not start a blob upload');
    drain(res);
    const location = headerValue(res, 'location');
    if (!location) throw this.fail('POST', start, 'blob upload started without a Location');
    const url = new URL(location, this.client.base);
    if (url.origin !== this.client.base.origin) throw this.fail('POST', start, `the upload location is on another origin (${url.origin}); refusing to send credentials there`);
    url.searchParams.set('digest', digest);
    const put = await this.client.request('PUT', `${url.pathname}${url.search}`, { 'content-type': 'application/octet-stream', 'content-length': String(data.length) }, data);
    if (put.status !== 201) await this.refuse(put, 'PUT', url.pathname, `blob ${digest} was not accepted`);
    drain(put);
    const stored = headerValue(put, 'docker-content-digest');
    if (stored && stored !== digest) throw this.fail('PUT', url.pathname, `the registry stored blob ${stored}, not ${digest}`);
    return digest;
  }

  /** PUT a manifest (or index) under `reference` (its digest, or a tag). */
  async putManifest(reference: string, body: Buffer, mediaType: string): Promise<PushedManifest> {
    const digest = digestOf(body);
    if (reference.includes(':') && reference !== digest) throw new Error(`manifest reference ${reference} is not its digest ${digest}`);
    const path = `/v2/${this.client.ref.repository}/manifests/${reference}`;
    const res = await this.client.request('PUT', path, { 'content-type': mediaType, 'content-length': String(body.length) }, body);
    if (res.status !== 201) await this.refuse(res, 'PUT', path, 'manifest was not accepted');
    drain(res);
    const stored = headerValue(res, 'docker-content-digest');
    if (stored && stored !== digest) throw this.fail('PUT', path, `the registry stored manifest ${stored}, not ${digest}`);
    const subject = headerValue(res, 'oci-subject');
    return { digest, size: body.length, ...(subject ? { subject } : {}) };
  }
}

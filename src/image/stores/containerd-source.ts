// `containerd:NAME`: an image in containerd, read over its gRPC API (Images.Get for the image's
// target descriptor, Content.Info / Content.Read for blobs by digest), in the namespace
// CONTAINERD_NAMESPACE. containerd's content store is an OCI blob store, so the image is read
// through the same OCI reader as a layout directory: index / manifest / config / layer blobs are
// each verified against their digests, and --platform picks from a multi-platform index.
import type * as GrpcJs from '@grpc/grpc-js';
import { PassThrough, type Readable } from 'node:stream';
import { ImageError, PortcullisError } from '../../errors.js';
import type { Image, ImageSource } from '../../model/image.js';
import { lazyRequire } from '../../util/lazy-require.js';
import type { BlobStore } from '../blob-store.js';
import { isDigest } from '../digest.js';
import { CONTAINERD_NAME_ANNOTATION, REF_NAME_ANNOTATION } from '../media-types.js';
import { openOciImage } from '../oci.js';
import type { Platform } from '../platform.js';
import { NotInStore, StoreUnreachable } from './store-errors.js';
import type { ContainerdEndpoint } from './endpoints.js';
import { candidateNames } from './names.js';
import { ProtoWriter, num, readMessage, str, stringMap, sub } from './protobuf.js';

const grpc = lazyRequire<typeof GrpcJs>('@grpc/grpc-js');

const IMAGES_GET = '/containerd.services.images.v1.Images/Get';
const CONTENT_INFO = '/containerd.services.content.v1.Content/Info';
const CONTENT_READ = '/containerd.services.content.v1.Content/Read';
const NOT_FOUND = 5;
const UNAVAILABLE = 14;
const PERMISSION_DENIED = 7;
const CALL_TIMEOUT_MS = 30_000;

interface TargetDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
}

const identity = (b: Buffer): Buffer => b;

class ContainerdClient {
  private readonly client: GrpcJs.Client;
  private readonly metadata: GrpcJs.Metadata;

  constructor(readonly endpoint: ContainerdEndpoint) {
    const g = grpc();
    this.client = new g.Client(`unix://${endpoint.socketPath}`, g.credentials.createInsecure(), { 'grpc.default_authority': 'localhost' });
    this.metadata = new g.Metadata();
    this.metadata.set('containerd-namespace', endpoint.namespace);
  }

  close(): void {
    this.client.close();
  }

  failure(err: GrpcJs.ServiceError, what: string): PortcullisError {
    const where = `containerd at ${this.endpoint.socketPath}`;
    if (err.code === UNAVAILABLE) {
      if (/EACCES|permission denied/i.test(err.details ?? err.message)) return new StoreUnreachable(`permission denied on the containerd socket ${this.endpoint.socketPath}`, { cause: err });
      return new StoreUnreachable(`containerd not reachable at ${this.endpoint.socketPath} (${err.details || 'unavailable'})`, { cause: err });
    }
    if (err.code === PERMISSION_DENIED) return new StoreUnreachable(`permission denied on the containerd socket ${this.endpoint.socketPath}`, { cause: err });
    return new PortcullisError(`${where}: ${what} failed: ${err.details || err.message}`, { cause: err });
  }

  unary(method: string, request: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(method, identity, identity, request, this.metadata, { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, value) => {
        if (err) reject(err);
        else resolve(value ?? Buffer.alloc(0));
      });
    });
  }

  /** The image's target descriptor, or undefined when the namespace has no such image. */
  async getImage(name: string): Promise<TargetDescriptor | undefined> {
    let answer: Buffer;
    try {
      answer = await this.unary(IMAGES_GET, new ProtoWriter().string(1, name).finish());
    } catch (err) {
      if ((err as GrpcJs.ServiceError).code === NOT_FOUND) return undefined;
      throw this.failure(err as GrpcJs.ServiceError, `Images.Get ${name}`);
    }
    const target = sub(sub(readMessage(answer), 1) ?? new Map(), 3);
    const digest = target ? str(target, 2) : undefined;
    if (!target || !isDigest(digest)) throw new ImageError(`containerd image ${name} has no valid target descriptor`);
    return { mediaType: str(target, 1) ?? '', digest, size: num(target, 3) ?? 0, annotations: stringMap(target, 5) };
  }

  async size(digest: string): Promise<number | undefined> {
    try {
      const answer = await this.unary(CONTENT_INFO, new ProtoWriter().string(1, digest).finish());
      return num(sub(readMessage(answer), 1) ?? new Map(), 2) ?? 0;
    } catch (err) {
      if ((err as GrpcJs.ServiceError).code === NOT_FOUND) return undefined;
      throw this.failure(err as GrpcJs.ServiceError, `Content.Info ${digest}`);
    }
  }

  /** The blob's bytes (a range of them: offset, size), streamed as containerd sends them. */
  read(digest: string, offset = 0, size = 0): Readable {
    const call = this.client.makeServerStreamRequest(CONTENT_READ, identity, identity, new ProtoWriter().string(1, digest).int64(2, offset).int64(3, size).finish(), this.metadata);
    const out = new PassThrough();
    call.on('data', (message: Buffer) => {
      const data = readMessage(message).get(2)?.[0];
      if (Buffer.isBuffer(data) && !out.write(data)) {
        call.pause();
        out.once('drain', () => call.resume());
      }
    });
    call.on('end', () => out.end());
    call.on('error', (err: GrpcJs.ServiceError) => out.destroy(this.failure(err, `Content.Read ${digest}`)));
    out.on('close', () => call.cancel());
    return out;
  }
}

/** containerd's content store seen as an OCI layout holding one image: its target descriptor. */
class ContainerdBlobStore implements BlobStore {
  readonly location: string;
  private readonly index: Buffer;

  constructor(private readonly client: ContainerdClient, name: string, target: TargetDescriptor) {
    this.location = `containerd ${client.endpoint.socketPath} namespace ${client.endpoint.namespace}`;
    const tag = /:([^/:@]+)$/.exec(name.split('@')[0]!)?.[1];
    const annotations = { ...target.annotations, [CONTAINERD_NAME_ANNOTATION]: name, ...(tag ? { [REF_NAME_ANNOTATION]: tag } : {}) };
    this.index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: target.mediaType, digest: target.digest, size: target.size, annotations }] }));
  }

  private digestOf(name: string): string | undefined {
    const m = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(name);
    return m ? `${m[1]}:${m[2]}` : undefined;
  }

  async size(name: string): Promise<number | undefined> {
    if (name === 'index.json') return this.index.length;
    if (name === 'oci-layout') return LAYOUT.length;
    const digest = this.digestOf(name);
    return digest ? this.client.size(digest) : undefined;
  }

  async has(name: string): Promise<boolean> {
    return (await this.size(name)) !== undefined;
  }

  async open(name: string, range?: { start: number; end: number }): Promise<Readable> {
    const digest = this.digestOf(name);
    if (!digest) throw new ImageError(`no blob ${name}`, { subject: this.location });
    return range ? this.client.read(digest, range.start, range.end - range.start + 1) : this.client.read(digest);
  }

  async read(name: string, maxBytes: number): Promise<Buffer> {
    if (name === 'index.json') return this.index;
    if (name === 'oci-layout') return LAYOUT;
    const size = await this.size(name);
    if (size === undefined) throw new ImageError(`missing ${name}`, { subject: this.location });
    if (size > maxBytes) throw new ImageError(`${name} is larger than ${maxBytes} bytes`, { subject: this.location });
    const chunks: Buffer[] = [];
    for await (const c of await this.open(name)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
}

const LAYOUT = Buffer.from('{"imageLayoutVersion":"1.0.0"}');

export class ContainerdImageSource implements ImageSource {
  readonly description: string;

  constructor(private readonly source: string, private readonly name: string, private readonly endpoint: ContainerdEndpoint, private readonly platform: Platform | undefined) {
    this.description = `containerd image ${name} (namespace ${endpoint.namespace}, ${endpoint.socketPath})`;
  }

  async open(): Promise<Image> {
    const { existsSync } = await import('node:fs');
    if (!existsSync(this.endpoint.socketPath)) throw new StoreUnreachable(`containerd not reachable at ${this.endpoint.socketPath} (no socket there)`);
    const client = new ContainerdClient(this.endpoint);
    try {
      for (const candidate of candidateNames(this.name)) {
        const target = await client.getImage(candidate);
        if (!target) continue;
        const image = await openOciImage(new ContainerdBlobStore(client, candidate, target), {
          source: this.source,
          sourceType: 'oci',
          selector: this.platform ? { platform: this.platform } : {},
        });
        image.metadata.sourceType = 'containerd';
        return { ...image, close: async () => client.close() };
      }
    } catch (err) {
      client.close();
      throw err;
    }
    client.close();
    throw new NotInStore(`image ${this.name} not found in containerd (namespace ${this.endpoint.namespace}, ${this.endpoint.socketPath})`, { subject: this.source });
  }
}

// A registry layer: open() streams the blob straight from the registry through the same checks
// as local layers (blob digest + size, decompression by magic bytes, diff_id), never to disk.
import type { Readable } from 'node:stream';
import type { Layer } from '../../model/image.js';
import { detectCompression } from '../compression.js';
import { verifiedLayerStream } from '../layer-stream.js';
import type { RegistryClient } from './client.js';

export interface RegistryLayerSpec {
  client: RegistryClient;
  index: number;
  digest: string;
  diffId: string;
  mediaType: string;
  size: number;
  createdBy?: string;
}

/** Reads the first `n` bytes of a stream and puts them back, for magic-byte sniffing. */
async function peek(stream: Readable, n: number): Promise<Buffer> {
  const got: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (size < n && (chunk = stream.read() as Buffer | null) !== null) {
        got.push(chunk);
        size += chunk.length;
      }
      if (size >= n) finish();
    };
    const finish = (): void => {
      stream.off('readable', onReadable);
      stream.off('end', finish);
      stream.off('error', onError);
      resolve();
    };
    const onError = (err: Error): void => {
      stream.off('readable', onReadable);
      stream.off('end', finish);
      reject(err);
    };
    stream.on('readable', onReadable);
    stream.once('end', finish);
    stream.once('error', onError);
  });
  const head = Buffer.concat(got);
  if (head.length > 0) stream.unshift(head);
  return head.subarray(0, n);
}

export function makeRegistryLayer(spec: RegistryLayerSpec): Layer {
  const { client, index, digest, diffId, mediaType, size, createdBy } = spec;
  const subject = `registry ${client.ref.registry}`;
  const label = `layer ${index} (${client.ref.repository}@${digest})`;
  return {
    index,
    digest,
    diffId,
    mediaType,
    size,
    ...(createdBy !== undefined ? { createdBy } : {}),
    async open(): Promise<Readable> {
      const raw = client.openBlob(digest);
      const head = await peek(raw, 4);
      return verifiedLayerStream({ raw, compression: detectCompression(head), digest, diffId, size, verifyBlobDigest: true, label, subject });
    },
    // Nothing local to check: the blob is content-addressed, fetched by digest, and any download
    // of it is verified against that digest (and its content against the diff_id) by open().
    // A layer-cache hit is therefore trusted by digest, with no re-download.
    async verify(): Promise<void> {},
  };
}

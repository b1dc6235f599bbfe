// A pass-through that hashes and counts what flows through it and, when the input ends, fails
// unless the digest (and size, where known) match. Because the check runs before the stream
// ends, a consumer reading to the end sees either verified bytes and 'end', or an error.
import { Transform, type TransformCallback } from 'node:stream';
import type { Hash } from 'node:crypto';
import { ImageError } from '../errors.js';
import { hasherFor } from './digest.js';

export interface VerifyOptions {
  expectedDigest: string;
  /** Expected byte count; undefined: not checked. */
  expectedSize?: number;
  /** What the bytes are, for the message: `layer blob sha256:…`, `uncompressed layer 2`. */
  what: string;
  subject: string;
}

export class VerifyStream extends Transform {
  private readonly hash: Hash;
  private bytes = 0;

  constructor(private readonly opts: VerifyOptions) {
    super();
    this.hash = hasherFor(opts.expectedDigest);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.opts.expectedSize !== undefined && this.bytes > this.opts.expectedSize) {
      cb(new ImageError(`${this.opts.what} is larger than its descriptor's size ${this.opts.expectedSize}`, { subject: this.opts.subject }));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const { expectedDigest, expectedSize, what, subject } = this.opts;
    if (expectedSize !== undefined && this.bytes !== expectedSize) {
      cb(new ImageError(`${what} has ${this.bytes} bytes, its descriptor says ${expectedSize}`, { subject }));
      return;
    }
    const actual = `${expectedDigest.slice(0, expectedDigest.indexOf(':'))}:${this.hash.digest('hex')}`;
    if (actual !== expectedDigest) {
      cb(new ImageError(`${what} digest mismatch: expected ${expectedDigest}, got ${actual}`, { subject }));
      return;
    }
    cb();
  }
}

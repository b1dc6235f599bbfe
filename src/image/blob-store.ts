// A read-only set of named files: an OCI layout directory, or a tar archive read in place through
// its header index. The image readers only ever go through this, so one reader serves a layout
// directory and an archive of it alike.
import { closeSync, createReadStream, fstatSync, lstatSync, openSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { join, relative, sep, isAbsolute } from 'node:path';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { ImageError } from '../errors.js';
import { indexTar, normaliseEntryName, type TarEntry } from './tar-index.js';
import { READ_NONBLOCK } from '../util/regular-file.js';

export interface BlobStore {
  /** The directory or archive path, used in messages. */
  readonly location: string;
  /** Size of a regular file, undefined when absent. */
  size(name: string): Promise<number | undefined>;
  has(name: string): Promise<boolean>;
  /**
   * The file's bytes as a stream, or a byte range of them (`end` inclusive). `chunkBytes`: a hint
   * for the read size (a sequential hash reads faster in large chunks); a store may ignore it.
   */
  open(name: string, range?: { start: number; end: number }, opts?: { chunkBytes?: number }): Promise<Readable>;
  /** The whole file, refusing files larger than `maxBytes` (these are metadata, never layers). */
  read(name: string, maxBytes: number): Promise<Buffer>;
  /**
   * Where the file's bytes lie on disk, for a reader that reads them into its own buffers (the
   * verify-only hash): a local file and the byte range of it (`length` undefined: to the file's
   * end, so a file that grew is seen to be longer). Undefined when absent. Optional: a store
   * without it is read through open().
   */
  locate?(name: string): Promise<BlobLocation | undefined>;
}

export interface BlobLocation {
  path: string;
  offset: number;
  length: number | undefined;
}

function missing(location: string, name: string): ImageError {
  return new ImageError(`missing ${name}`, { subject: location });
}

export class DirectoryStore implements BlobStore {
  /** The directory's real path, taken at the first lookup: a file must resolve inside it. */
  private root?: string;

  constructor(readonly location: string) {}

  // The calls below are synchronous: each is a lookup or a metadata read of a local file, which
  // costs microseconds here, against a thread-pool round trip (and a turn of the event loop) each
  // through fs/promises; an image open and a layer check make dozens.

  /** Resolves a relative name inside the directory; symlinks must not lead outside it. */
  private resolve(name: string): string | undefined {
    const norm = normaliseEntryName(name, this.location);
    const full = join(this.location, norm);
    let real: string;
    try {
      real = realpathSync(full);
    } catch {
      return undefined;
    }
    const root = (this.root ??= realpathSync(this.location));
    const rel = relative(root, real);
    if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
      throw new ImageError(`${name} points outside the layout directory`, { subject: this.location });
    }
    return real;
  }

  /** The resolved path of `name` and its size, when it is a regular file. */
  private regularFile(name: string): { full: string; size: number } | undefined {
    const full = this.resolve(name);
    if (!full) return undefined;
    const st = lstatSync(full, { throwIfNoEntry: false });
    return st?.isFile() ? { full, size: st.size } : undefined;
  }

  async size(name: string): Promise<number | undefined> {
    return this.regularFile(name)?.size;
  }

  async has(name: string): Promise<boolean> {
    return (await this.size(name)) !== undefined;
  }

  async open(name: string, range?: { start: number; end: number }, opts?: { chunkBytes?: number }): Promise<Readable> {
    const file = this.regularFile(name);
    if (!file) throw missing(this.location, name);
    return createReadStream(file.full, { ...(range ? { start: range.start, end: range.end } : {}), ...(opts?.chunkBytes ? { highWaterMark: opts.chunkBytes } : {}) });
  }

  async locate(name: string): Promise<BlobLocation | undefined> {
    const file = this.regularFile(name);
    return file && { path: file.full, offset: 0, length: undefined };
  }

  async read(name: string, maxBytes: number): Promise<Buffer> {
    const full = this.resolve(name);
    if (!full) throw missing(this.location, name);
    const fd = openSync(full, READ_NONBLOCK);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw missing(this.location, name);
      if (st.size > maxBytes) throw new ImageError(`${name} is too large (${st.size} bytes, limit ${maxBytes})`, { subject: this.location });
      const data = readFileSync(fd);
      // Grown since the stat: the limit holds for what was read.
      if (data.length > maxBytes) throw new ImageError(`${name} is too large (more than ${maxBytes} bytes)`, { subject: this.location });
      return data;
    } finally {
      closeSync(fd);
    }
  }
}

/** A tar archive read in place: entries are byte ranges of the archive file. */
export class TarStore implements BlobStore {
  private constructor(
    readonly location: string,
    readonly entries: Map<string, TarEntry>,
  ) {}

  static async open(path: string): Promise<TarStore> {
    return new TarStore(path, await indexTar(path));
  }

  /** Follows symlinks / hard links between entries (docker save links duplicate layers). */
  private lookup(name: string): TarEntry | undefined {
    let current = normaliseEntryName(name, this.location);
    for (let hops = 0; hops < 16; hops++) {
      const entry = this.entries.get(current);
      if (!entry) return undefined;
      if (entry.type === 'file') return entry;
      if ((entry.type !== 'symlink' && entry.type !== 'hardlink') || !entry.linkname) return undefined;
      const target = entry.type === 'symlink' ? posix.join(posix.dirname(current), entry.linkname) : entry.linkname;
      current = normaliseEntryName(target, this.location);
    }
    throw new ImageError(`too many links resolving ${name}`, { subject: this.location });
  }

  async size(name: string): Promise<number | undefined> {
    return this.lookup(name)?.size;
  }

  async has(name: string): Promise<boolean> {
    return this.lookup(name) !== undefined;
  }

  async open(name: string, range?: { start: number; end: number }, opts?: { chunkBytes?: number }): Promise<Readable> {
    const entry = this.lookup(name);
    if (!entry) throw missing(this.location, name);
    const start = entry.offset + (range?.start ?? 0);
    const end = entry.offset + Math.min(range?.end ?? entry.size - 1, entry.size - 1);
    if (entry.size === 0 || end < start) {
      // createReadStream cannot express an empty range.
      return Readable.from([]);
    }
    return createReadStream(this.location, { start, end, ...(opts?.chunkBytes ? { highWaterMark: opts.chunkBytes } : {}) });
  }

  async locate(name: string): Promise<BlobLocation | undefined> {
    const entry = this.lookup(name);
    return entry ? { path: this.location, offset: entry.offset, length: entry.size } : undefined;
  }

  async read(name: string, maxBytes: number): Promise<Buffer> {
    const entry = this.lookup(name);
    if (!entry) throw missing(this.location, name);
    if (entry.size > maxBytes) throw new ImageError(`${name} is too large (${entry.size} bytes, limit ${maxBytes})`, { subject: this.location });
    // Synchronous, like the index: a metadata member (a manifest, a config) is a few KiB.
    const fd = openSync(this.location, READ_NONBLOCK);
    try {
      const buf = Buffer.alloc(entry.size);
      const bytesRead = readSync(fd, buf, 0, entry.size, entry.offset);
      if (bytesRead !== entry.size) throw new ImageError(`truncated tar archive reading ${name}`, { subject: this.location });
      return buf;
    } finally {
      closeSync(fd);
    }
  }
}

/** Reads the first bytes of a file in a store (magic-byte sniffing). */
export async function readHead(store: BlobStore, name: string, bytes: number): Promise<Buffer> {
  const size = (await store.size(name)) ?? 0;
  if (size === 0) return Buffer.alloc(0);
  const at = await store.locate?.(name);
  if (at) {
    // A located file: one synchronous read instead of a stream (open, read and close in the thread pool).
    const fd = openSync(at.path, READ_NONBLOCK);
    try {
      const head = Buffer.alloc(Math.min(bytes, size, at.length ?? Infinity));
      return head.subarray(0, readSync(fd, head, 0, head.length, at.offset));
    } finally {
      closeSync(fd);
    }
  }
  const stream = await store.open(name, { start: 0, end: Math.min(bytes, size) - 1 });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

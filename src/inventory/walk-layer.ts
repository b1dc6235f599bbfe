// Reads ONE layer tar stream, once, and returns its LayerDelta. Only files some wanter asks for are
// buffered (bounded by the wanter's maxFileSize); every other entry is drained without keeping data.
import type { Readable } from 'node:stream';
import { ImageError, errorMessage } from '../errors.js';
import type { CapturedFile, DeltaUnread, DeltaWarning, LayerDelta, LinkEntry } from './layer-delta.js';
import { baseName, normaliseEntryName, parentOf, pathHash, usrMergeAliases } from './paths.js';
import { readTar, type TarEntrySink, type TarHeader } from './tar-reader.js';

export const DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024;
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const EMPTY = Buffer.alloc(0);

/** The part of a Cataloger the walker needs. */
export interface FileWanter {
  readonly name: string;
  /** Part of the layer-cache key: bump when what the wanter captures or distils changes. */
  readonly version?: number;
  wants(path: string, size: number): boolean;
  /**
   * wants() answers by the path alone, whatever the size: a file it refused is never asked about
   * again at the wanter's size limit (wantedAtLimit, run for every file nobody wants).
   */
  readonly sizeBlind?: boolean;
  readonly maxFileSize?: number;
  sniff?(path: string, head: Buffer): boolean;
  distill?(path: string, data: Buffer): Buffer | null | Promise<Buffer | null>;
  /**
   * Exact locations this wanter asks for: a file path, or a directory ending in `/` whose files it
   * wants. When a link on the way (a symlinked directory) moves one elsewhere, the walker reads the
   * file from where the link leads (walker.ts, second pass). Wanters that take files by name or
   * content wherever they are need none.
   */
  readonly anchors?: readonly string[];
  /**
   * Paths below a directory (`x/package.json`) that this wanter takes because of the directory's
   * name (`…/node_modules/`). A symlinked directory whose name makes such a path wanted while the
   * directory it leads to does not is read through the link (walker.ts, second pass). Wanters
   * that take files by content or by their own name wherever they are need none.
   */
  readonly linkProbes?: readonly string[];
}

/** How many leading bytes sniff() sees. */
export const SNIFF_BYTES = 64;
/** Above this a declared size is not trusted for one up-front allocation (chunks are kept instead). */
const PREALLOC_MAX = 256 * 1024 * 1024;

/**
 * Other names a file is asked for under, besides its own and its usr-merge alias: the names of
 * links that lead to it (the walker's second pass, walker.ts). Returns [] for most paths.
 */
export type AlsoWantedAs = (path: string) => readonly string[];

/** The names `path` is asked for under: usr-merge aliases, plus what `also` adds. */
function aliasesOf(path: string, also: AlsoWantedAs | undefined): readonly string[] {
  const usr = usrMergeAliases(path);
  if (!also) return usr;
  const extra = also(path);
  return extra.length === 0 ? usr : [...usr, ...extra];
}

const NOBODY: readonly FileWanter[] = Object.freeze([]);

/** Whether `w` wants `path` or one of its other names at `size`. */
function wantsAny(w: FileWanter, path: string, aliases: readonly string[], size: number): boolean {
  if (w.wants(path, size)) return true;
  for (let i = 0; i < aliases.length; i++) if (w.wants(aliases[i]!, size)) return true;
  return false;
}

/** Which wanters want `path`, under its own name, a usr-merge alias, or a name `also` gives. */
export function wantersOf(wanters: readonly FileWanter[], path: string, size: number, also?: AlsoWantedAs): readonly FileWanter[] {
  const aliases = aliasesOf(path, also);
  // Most entries are wanted by nobody: they share one empty answer (no array per entry).
  let out: FileWanter[] | undefined;
  for (let i = 0; i < wanters.length; i++) {
    const w = wanters[i]!;
    if (wantsAny(w, path, aliases, size)) (out ??= []).push(w);
  }
  return out ?? NOBODY;
}

/**
 * Whether some wanter would take `path` at its own size limit (so a smaller file there shadows it).
 * Asked only of files every wanter refused at their own size: one that wants by name alone refused it at any.
 */
function wantedAtLimit(wanters: readonly FileWanter[], path: string, also: AlsoWantedAs | undefined): boolean {
  const aliases = aliasesOf(path, also);
  for (let i = 0; i < wanters.length; i++) {
    const w = wanters[i]!;
    if (w.sizeBlind) continue;
    if (wantsAny(w, path, aliases, w.maxFileSize ?? DEFAULT_MAX_FILE_SIZE)) return true;
  }
  return false;
}

/** Path hashes in a growable Float64Array: 8 bytes each, for layers with millions of files. */
class HashList {
  private buf = new Float64Array(1024);
  private n = 0;
  push(h: number): void {
    if (this.n === this.buf.length) {
      const bigger = new Float64Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.n++] = h;
  }
  sortedUnique(): number[] {
    const sorted = this.buf.subarray(0, this.n).sort();
    const out: number[] = [];
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) out.push(sorted[i]!);
    return out;
  }
}

/**
 * One reusable buffer for files that are only distilled: they are read into it, distilled, and
 * forgotten, so memory is bounded by the largest such file, however many there are.
 */
class Scratch {
  private buf = Buffer.alloc(0);
  take(size: number): Buffer {
    if (this.buf.length < size) this.buf = Buffer.allocUnsafe(Math.max(size, Math.min(2 * this.buf.length, PREALLOC_MAX)));
    return this.buf;
  }
}

/** Collects an entry's bytes into one buffer: `target` when given (sized up front), else chunks. */
class Collector {
  private chunks: Buffer[] = [];
  private got = 0;
  constructor(private readonly target: Buffer | undefined, private readonly limit: number) {}
  push(c: Buffer): void {
    // tar-stream never yields more than the header size; this guards the bound anyway.
    const room = this.limit - this.got;
    if (room <= 0) return;
    const part = c.length > room ? c.subarray(0, room) : c;
    if (this.target) part.copy(this.target, this.got);
    // A copy: the reader may fill the chunk's buffer again (walker threads reuse theirs).
    else this.chunks.push(Buffer.from(part));
    this.got += part.length;
  }
  /** The target's next `n` bytes, for the reader to fill (tar-reader.ts DirectSource); undefined: no target. */
  into(n: number): Buffer | undefined {
    if (!this.target || this.got + n > this.limit || this.got + n > this.target.length) return undefined;
    const view = this.target.subarray(this.got, this.got + n);
    this.got += n;
    return view;
  }
  result(): Buffer {
    return this.target ? this.target.subarray(0, this.got) : Buffer.concat(this.chunks, this.got);
  }
}

/** A distill result that must not alias the scratch buffer (which the next file overwrites). */
function own(b: Buffer, scratch: Buffer | undefined): Buffer {
  return scratch && b.buffer === scratch.buffer ? Buffer.from(b) : b;
}

/**
 * Walks one layer (a stream, or chunks pulled one at a time: src/image/layer-file.ts). `label` names the layer in errors (`layer 2 (sha256:…)`). An entry whose name
 * escapes the root is an ImageError: the image is hostile or broken, and no scan result is honest.
 * `also` (second pass only) gives files extra names they are asked for under.
 */
export async function walkLayer(stream: Readable | AsyncIterable<Buffer>, wanters: readonly FileWanter[], label: string, also?: AlsoWantedAs): Promise<LayerDelta> {
  const files = new Map<string, CapturedFile>();
  const unread = new Map<string, DeltaUnread>();
  const dirs = new Set<number>();
  let lastDir = '';
  // Every directory above a regular file, each hashed once (entries come grouped by directory).
  const noteDirs = (path: string): void => {
    const dir = parentOf(path);
    if (dir === lastDir) return;
    lastDir = dir;
    for (let d = dir; ; d = parentOf(d)) {
      const h = pathHash(d);
      if (dirs.has(h)) break; // added before, with all its ancestors
      dirs.add(h);
      if (d === '/') break;
    }
  };
  const links = new Map<string, LinkEntry>();
  const whiteouts = new Set<string>();
  const opaqueDirs = new Set<string>();
  const dropped = new Set<string>();
  const shadowed = new HashList();
  const warnings: DeltaWarning[] = [];
  const scratch = new Scratch();

  /**
   * The sink of one wanted file: first its head for the wanters' sniff() (when every wanter sniffs),
   * then, unless all of them said no or it is over the size limit, the whole file; then each
   * distilling wanter's distill(). Records the file, or the path as dropped when nothing was kept.
   */
  const capture = (path: string, size: number, mode: number, wanted: readonly FileWanter[]): TarEntrySink => {
    const headSize = wanted.every((w) => w.sniff) ? Math.min(size, SNIFF_BYTES) : 0;
    const head: Buffer[] = [];
    let headGot = 0;
    let collector: Collector | undefined;
    let scratchBuf: Buffer | undefined;
    let skipping = false;
    let keepers: readonly FileWanter[] = wanted;

    const decide = (): void => {
      if (headSize > 0) {
        const h = Buffer.concat(head, headGot).subarray(0, headSize);
        keepers = wanted.filter((w) => !w.sniff || w.sniff(path, h));
        if (keepers.length === 0) {
          dropped.add(path);
          skipping = true;
          return;
        }
      }
      // Each wanter's own limit: a file over one wanter's limit (the OS detector's 64 KiB for a
      // status.d file) is still read for a wanter that takes it (dpkg's 64 MiB).
      const limitOf = (w: FileWanter): number => w.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
      const over = keepers.filter((w) => size > limitOf(w));
      if (over.length > 0) {
        const names = over.map((w) => w.name);
        const limit = Math.min(...over.map(limitOf));
        warnings.push({
          code: 'walker.file-too-large',
          message: `${path} is ${size} bytes, over the ${limit}-byte limit of ${names.join(', ')}; not read`,
          path,
        });
        unread.set(path, { path, size, wanters: names, code: 'too-large', reason: `${size} bytes, over the ${limit}-byte limit; not read` });
        keepers = keepers.filter((w) => size <= limitOf(w));
        if (keepers.length === 0) {
          dropped.add(path);
          skipping = true;
          return;
        }
      }
      const limit = Math.max(...keepers.map(limitOf));
      const onlyDistilled = keepers.every((w) => w.distill);
      if (onlyDistilled) scratchBuf = scratch.take(size);
      const target = scratchBuf ?? (size <= PREALLOC_MAX ? Buffer.allocUnsafe(size) : undefined);
      collector = new Collector(target, limit);
      for (const h of head) collector.push(h);
    };

    if (headSize === 0) decide();
    return {
      data(chunk: Buffer): void {
        if (skipping) return;
        if (collector) {
          collector.push(chunk);
          return;
        }
        // The head is small: a copy, so it never pins a large chunk of the stream.
        const take = Math.min(chunk.length, headSize - headGot);
        head.push(Buffer.from(chunk.subarray(0, take)));
        headGot += take;
        if (headGot < headSize) return;
        decide();
        if (collector && take < chunk.length) (collector as Collector).push(chunk.subarray(take));
      },
      into(n: number): Buffer | undefined {
        return skipping || !collector ? undefined : collector.into(n);
      },
      end(): void | Promise<void> {
        if (!collector && !skipping) decide(); // an empty file (no data to sniff)
        if (skipping || !collector) return;
        return finish(path, size, mode, keepers, collector.result(), scratchBuf);
      },
    };
  };

  const finish = async (path: string, size: number, mode: number, keepers: readonly FileWanter[], data: Buffer, scratchBuf: Buffer | undefined): Promise<void> => {
    const distilled: Record<string, Buffer> = {};
    let anyDistilled = false;
    let keepRaw = false;
    for (const w of keepers) {
      if (!w.distill) {
        keepRaw = true;
        continue;
      }
      try {
        const r = await w.distill(path, data);
        if (r) {
          distilled[w.name] = own(r, scratchBuf);
          anyDistilled = true;
        }
      } catch (err) {
        warnings.push({ code: 'cataloger.error', message: `cataloger ${w.name} could not distill ${path}: ${errorMessage(err)}`, path });
      }
    }
    if (!keepRaw && !anyDistilled) {
      dropped.add(path);
      return;
    }
    const f: CapturedFile = { path, size, mode, data: keepRaw ? data : EMPTY };
    if (anyDistilled) f.distilled = distilled;
    files.set(path, f);
  };

  const onEntry = (header: TarHeader): TarEntrySink | undefined => {
    // A size field that is neither octal nor a valid base-256 number, and a directory that
    // declares content, are refused (tar-stream, the reader before, would hang on both).
    const size = header.size;
    if (size === null) throw new ImageError(`${label}: entry "${header.name}" has an unreadable size field`);
    if (header.type === 'directory' && size > 0) throw new ImageError(`${label}: directory entry "${header.name}" declares ${size} bytes of content`);
    const path = normaliseEntryName(header.name);
    if (path === undefined) throw new ImageError(`${label}: entry "${header.name}" escapes the image root`);
    // Tested where the base name starts: most entries are not whiteouts and need no slice of it.
    if (path.startsWith(WHITEOUT_PREFIX, path.lastIndexOf('/') + 1)) {
      const base = baseName(path);
      const dir = parentOf(path);
      if (base === OPAQUE_MARKER) opaqueDirs.add(dir);
      else whiteouts.add(`${dir === '/' ? '' : dir}/${base.slice(WHITEOUT_PREFIX.length)}`);
      return undefined;
    }
    const mode = header.mode ?? 0;
    switch (header.type) {
      case 'file':
      case 'contiguous-file': {
        // A later plain write of the same path in this layer replaces an earlier one.
        files.delete(path);
        links.delete(path);
        dropped.delete(path);
        unread.delete(path);
        noteDirs(path);
        const wanted = wantersOf(wanters, path, size, also);
        if (wanted.length === 0) {
          // A file a wanter would take under this name at another size (a Go binary replaced by a
          // small script) must still hide the earlier layers' copy: record it as dropped.
          if (wantedAtLimit(wanters, path, also)) shadowed.push(pathHash(path));
          return undefined;
        }
        return capture(path, size, mode, wanted);
      }
      case 'symlink':
        files.delete(path);
        dropped.delete(path);
        unread.delete(path);
        links.set(path, { path, target: header.linkname ?? '', kind: 'symlink' });
        return undefined;
      case 'link': {
        const target = normaliseEntryName(header.linkname ?? '');
        if (target === undefined) throw new ImageError(`${label}: hard link "${header.name}" -> "${header.linkname}" escapes the image root`);
        files.delete(path);
        dropped.delete(path);
        unread.delete(path);
        links.set(path, { path, target, kind: 'hardlink' });
        return undefined;
      }
      default: {
        // An entry type the walker cannot read (GNU sparse `S`, a vendor type) under a name a
        // wanter asks for: the file is there but its bytes are unknown — unread, never absent.
        if (header.type !== null) return undefined;
        const wanted = wantersOf(wanters, path, size, also);
        if (wanted.length === 0) return undefined;
        files.delete(path);
        links.delete(path);
        noteDirs(path);
        dropped.add(path);
        const reason = 'a tar entry of a type the walker cannot read (GNU sparse or unknown); not read';
        unread.set(path, { path, size, wanters: wanted.map((w) => w.name), code: 'unreadable', reason });
        warnings.push({ code: 'walker.entry-type', message: `${path}: ${reason}`, path });
        return undefined;
      }
    }
  };

  try {
    await readTar(stream, onEntry);
  } catch (err) {
    // A stream is destroyed; a generator was already ended by readTar's loop.
    if ('destroy' in stream) stream.destroy();
    if (err instanceof ImageError) throw err;
    throw new ImageError(`${label}: unreadable layer tar: ${(err as Error).message}`, { cause: err });
  }
  return {
    files: [...files.values()],
    whiteouts: [...whiteouts],
    opaqueDirs: [...opaqueDirs],
    links: [...links.values()],
    dropped: [...dropped],
    shadowed: shadowed.sortedUnique(),
    warnings,
    unread: [...unread.values()],
    dirs: [...dirs].sort((a, b) => a - b),
  };
}

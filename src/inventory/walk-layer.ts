// Reads ONE layer tar stream, once, and returns its LayerDelta. Only files some wanter asks for are
// buffered (bounded by the wanter's maxFileSize); every other entry is drained without keeping data.
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { ImageError } from '../errors.js';
import type { CapturedFile, DeltaWarning, LayerDelta, LinkEntry } from './layer-delta.js';
import { baseName, normaliseEntryName, parentOf, usrMergeAliases } from './paths.js';

export const DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024;
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/** The part of a Cataloger the walker needs. */
export interface FileWanter {
  readonly name: string;
  wants(path: string, size: number): boolean;
  readonly maxFileSize?: number;
}

/** Which wanters want `path`, under its own name or a usr-merge alias. */
export function wantersOf(wanters: readonly FileWanter[], path: string, size: number): FileWanter[] {
  const names = [path, ...usrMergeAliases(path)];
  return wanters.filter((w) => names.some((n) => w.wants(n, size)));
}

/**
 * Walks one layer. `label` names the layer in errors (`layer 2 (sha256:…)`). An entry whose name
 * escapes the root is an ImageError: the image is hostile or broken, and no scan result is honest.
 */
export async function walkLayer(stream: Readable, wanters: readonly FileWanter[], label: string): Promise<LayerDelta> {
  const files = new Map<string, CapturedFile>();
  const links = new Map<string, LinkEntry>();
  const whiteouts = new Set<string>();
  const opaqueDirs = new Set<string>();
  const dropped = new Set<string>();
  const warnings: DeltaWarning[] = [];
  const extract = tar.extract();

  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', (err: Error) => reject(err));
    stream.on('error', (err: Error) => reject(err));
  });

  extract.on('entry', (header, entry, next) => {
    // Entry errors also reach `extract` (handled below); this keeps them from being unhandled.
    entry.on('error', () => undefined);
    const drain = () => {
      entry.on('end', () => next());
      entry.resume();
    };
    const path = normaliseEntryName(header.name);
    if (path === undefined) {
      extract.destroy(new ImageError(`${label}: entry "${header.name}" escapes the image root`));
      return;
    }
    const base = baseName(path);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const dir = parentOf(path);
      if (base === OPAQUE_MARKER) opaqueDirs.add(dir);
      else whiteouts.add(`${dir === '/' ? '' : dir}/${base.slice(WHITEOUT_PREFIX.length)}`);
      drain();
      return;
    }
    const mode = header.mode ?? 0;
    switch (header.type) {
      case 'file':
      case 'contiguous-file': {
        const size = header.size ?? 0;
        const wanted = wantersOf(wanters, path, size);
        // A later plain write of the same path in this layer replaces an earlier one.
        files.delete(path);
        links.delete(path);
        dropped.delete(path);
        if (wanted.length === 0) {
          drain();
          return;
        }
        const limit = Math.min(...wanted.map((w) => w.maxFileSize ?? DEFAULT_MAX_FILE_SIZE));
        if (size > limit) {
          warnings.push({
            code: 'walker.file-too-large',
            message: `${path} is ${size} bytes, over the ${limit}-byte limit of ${wanted.map((w) => w.name).join(', ')}; not read`,
            path,
          });
          dropped.add(path);
          drain();
          return;
        }
        const chunks: Buffer[] = [];
        let got = 0;
        entry.on('data', (chunk: unknown) => {
          const c = chunk as Buffer;
          got += c.length;
          // tar-stream never yields more than the header size; this guards the bound anyway.
          if (got <= limit) chunks.push(c);
        });
        entry.on('end', () => {
          files.set(path, { path, size, mode, data: Buffer.concat(chunks, Math.min(got, limit)) });
          next();
        });
        return;
      }
      case 'symlink':
        files.delete(path);
        dropped.delete(path);
        links.set(path, { path, target: header.linkname ?? '', kind: 'symlink' });
        drain();
        return;
      case 'link': {
        const target = normaliseEntryName(header.linkname ?? '');
        if (target === undefined) {
          extract.destroy(new ImageError(`${label}: hard link "${header.name}" -> "${header.linkname}" escapes the image root`));
          return;
        }
        files.delete(path);
        dropped.delete(path);
        links.set(path, { path, target, kind: 'hardlink' });
        drain();
        return;
      }
      default:
        drain();
    }
  });

  stream.pipe(extract);
  try {
    await done;
  } catch (err) {
    stream.destroy();
    if (err instanceof ImageError) throw err;
    throw new ImageError(`${label}: unreadable layer tar: ${(err as Error).message}`, { cause: err });
  }
  return {
    files: [...files.values()],
    whiteouts: [...whiteouts],
    opaqueDirs: [...opaqueDirs],
    links: [...links.values()],
    dropped: [...dropped],
    warnings,
  };
}

// The one zip reader (yauzl, lazily loaded): archives held in memory (jars, eggs) or read from a
// file (OSV's all.zip). Entries come one at a time; each read is bounded (its declared size, what
// it really inflates to, and an optional budget shared across nested archives) and its CRC-32 is
// checked, which yauzl leaves to the caller: a corrupt entry is an error, never data.
import { crc32 } from 'node:zlib';
import type yauzl from 'yauzl';
import { lazyRequire } from './lazy-require.js';
import { BudgetError, inflateInPlace, type Budget } from './zip-memory.js';

const zipReader = lazyRequire<typeof yauzl>('yauzl');

export type ZipFile = yauzl.ZipFile;
export type ZipEntry = yauzl.Entry;

export { BudgetError, type Budget } from './zip-memory.js';

const OPTIONS: yauzl.Options = { lazyEntries: true, validateEntrySizes: true, decodeStrings: true, strictFileNames: false };

/** The bytes of archives opened from memory: their small entries are inflated in place (readEntry). */
const inMemory = new WeakMap<ZipFile, Buffer>();

export function openZipBuffer(buf: Buffer): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    zipReader().fromBuffer(buf, OPTIONS, (err, zip) => {
      if (err || !zip) reject(err ?? new Error('not a zip archive'));
      else {
        inMemory.set(zip, buf);
        resolve(zip);
      }
    });
  });
}

/**
 * Entries up to this compressed size, of an archive in memory, are inflated synchronously. An
 * inflate stream per entry (yauzl's openReadStream) costs a zlib handle, its buffers and a thread-pool
 * round trip: most of the Java cataloger's time on an image of 900 jars (bench/big-images.ts),
 * where each read is a pom.properties or MANIFEST.MF of a few hundred bytes.
 */
const SYNC_INFLATE_MAX = 256 * 1024;

/**
 * An in-memory entry read in place (zip-memory.ts: the same checks as the stream path). Undefined:
 * take the stream path (not in memory, too large, encrypted, or a method other than stored/deflate).
 */
function readInPlace(zip: ZipFile, entry: ZipEntry): Buffer | undefined {
  const buf = inMemory.get(zip);
  if (!buf || entry.compressedSize > SYNC_INFLATE_MAX || entry.isEncrypted() || (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)) return undefined;
  // A stored entry would be a view of the archive's buffer: a copy, as the stream path gives.
  const out = inflateInPlace(buf, entry);
  return entry.compressionMethod === 0 ? Buffer.from(out) : out;
}

export function openZipFile(path: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    zipReader().open(path, { ...OPTIONS, autoClose: true }, (err, zip) => {
      if (err || !zip) reject(err ?? new Error('not a zip archive'));
      else resolve(zip);
    });
  });
}

/** Inflates one entry: at most `limit` bytes (and what `budget` has left), CRC-32 checked. */
export function readEntry(zip: ZipFile, entry: ZipEntry, limit: number, budget?: Budget): Promise<Buffer> {
  if (entry.uncompressedSize > limit || (budget && entry.uncompressedSize > budget.left)) {
    return Promise.reject(new BudgetError(`${entry.fileName} declares ${entry.uncompressedSize} bytes, over the limit`));
  }
  try {
    const got = readInPlace(zip, entry);
    if (got) {
      if (budget) budget.left -= got.length;
      return Promise.resolve(got);
    }
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error('unreadable entry'));
      const chunks: Buffer[] = [];
      let n = 0;
      let crc = 0;
      stream.on('data', (c: Buffer) => {
        n += c.length;
        if (budget) budget.left -= c.length;
        if (n > limit || (budget && budget.left < 0)) {
          stream.destroy(new BudgetError(`${entry.fileName} inflates past the limit`));
          return;
        }
        crc = crc32(c, crc);
        chunks.push(c);
      });
      stream.on('error', reject);
      stream.on('end', () => {
        if (crc >>> 0 !== entry.crc32 >>> 0) reject(new Error(`${entry.fileName}: CRC-32 mismatch (corrupt archive)`));
        else resolve(Buffer.concat(chunks));
      });
    });
  });
}

/** The archive's entries, one at a time (lazyEntries keeps memory flat). */
export async function* zipEntries(zip: ZipFile): AsyncGenerator<ZipEntry> {
  const queue: (ZipEntry | null | Error)[] = [];
  let wake: (() => void) | undefined;
  zip.on('entry', (e: ZipEntry) => { queue.push(e); wake?.(); });
  zip.on('end', () => { queue.push(null); wake?.(); });
  zip.on('error', (e: Error) => { queue.push(e); wake?.(); });
  zip.readEntry();
  for (;;) {
    if (queue.length === 0) await new Promise<void>((r) => (wake = r));
    wake = undefined;
    const next = queue.shift()!;
    if (next === null) return;
    if (next instanceof Error) throw next;
    yield next;
    zip.readEntry();
  }
}

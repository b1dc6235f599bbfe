// Zip archives held in memory (jars, eggs), read entry by entry with bounded inflation.
import type yauzl from 'yauzl';
import { lazyRequire } from '../../util/lazy-require.js';

const zipReader = lazyRequire<typeof yauzl>('yauzl');

/** A declared or inflated size over its limit (a zip bomb, or just too big to read). */
export class BudgetError extends Error {}

/** Inflated bytes still allowed across one archive and everything nested in it. */
export interface Budget {
  left: number;
  depthWarned: boolean;
}

export function openZip(buf: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    zipReader().fromBuffer(buf, { lazyEntries: true, validateEntrySizes: true, decodeStrings: true }, (err, zip) => {
      if (err || !zip) reject(err ?? new Error('not a zip archive'));
      else resolve(zip);
    });
  });
}

/** Inflates one entry, counting real bytes against the declared size and the shared budget. */
export function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, limit: number, budget: Budget): Promise<Buffer> {
  if (entry.uncompressedSize > limit || entry.uncompressedSize > budget.left) {
    return Promise.reject(new BudgetError(`${entry.fileName} declares ${entry.uncompressedSize} bytes, over the limit`));
  }
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error('unreadable entry'));
      const chunks: Buffer[] = [];
      let n = 0;
      stream.on('data', (c: Buffer) => {
        n += c.length;
        budget.left -= c.length;
        if (n > limit || budget.left < 0) stream.destroy(new BudgetError(`${entry.fileName} inflates past the limit`));
        else chunks.push(c);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

/** Entries of interest, read one at a time (lazyEntries keeps memory flat). */
export async function* interesting(zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  const queue: (yauzl.Entry | null | Error)[] = [];
  let wake: (() => void) | undefined;
  zip.on('entry', (e: yauzl.Entry) => { queue.push(e); wake?.(); });
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

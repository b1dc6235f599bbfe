// Reads a zip entry by entry (yauzl, streaming from the file) and checks each entry's CRC-32,
// which yauzl itself leaves to the caller.
import yauzl from 'yauzl';
import { crc32 } from 'node:zlib';
import { PortcullisError, errorMessage } from '../errors.js';

export interface ZipEntryData {
  name: string;
  data: Buffer;
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: false }, (err, zip) => {
      if (err || !zip) reject(new PortcullisError(`not a readable zip archive: ${errorMessage(err)}`, { subject: path, cause: err }));
      else resolve(zip);
    });
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (entry.uncompressedSize > maxBytes) {
      reject(new Error(`entry is ${entry.uncompressedSize} bytes (limit ${maxBytes})`));
      return;
    }
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error('no stream'));
      const chunks: Buffer[] = [];
      let crc = 0;
      stream.on('data', (c: Buffer) => {
        crc = crc32(c, crc);
        chunks.push(c);
      });
      stream.on('error', reject);
      stream.on('end', () => {
        if (crc >>> 0 !== entry.crc32 >>> 0) reject(new Error('CRC-32 mismatch (corrupt archive)'));
        else resolve(Buffer.concat(chunks));
      });
    });
  });
}

/**
 * Yields the file entries one at a time (never the whole archive in memory). Any damage — bad
 * central directory, CRC mismatch, size mismatch — is a PortcullisError naming the archive.
 */
export async function* zipEntries(path: string, maxEntryBytes = 64 * 1024 * 1024): AsyncGenerator<ZipEntryData> {
  const zip = await openZip(path);
  const next = (): Promise<yauzl.Entry | undefined> =>
    new Promise((resolve, reject) => {
      const onEntry = (e: yauzl.Entry) => { cleanup(); resolve(e); };
      const onEnd = () => { cleanup(); resolve(undefined); };
      const onError = (err: unknown) => { cleanup(); reject(err); };
      const cleanup = () => {
        zip.off('entry', onEntry);
        zip.off('end', onEnd);
        zip.off('error', onError);
      };
      zip.on('entry', onEntry);
      zip.on('end', onEnd);
      zip.on('error', onError);
      zip.readEntry();
    });
  try {
    for (;;) {
      let entry: yauzl.Entry | undefined;
      try {
        entry = await next();
      } catch (err) {
        throw new PortcullisError(`corrupt zip archive: ${errorMessage(err)}`, { subject: path, cause: err });
      }
      if (!entry) return;
      if (entry.fileName.endsWith('/')) continue;
      let data: Buffer;
      try {
        data = await readEntry(zip, entry, maxEntryBytes);
      } catch (err) {
        throw new PortcullisError(`corrupt zip entry ${entry.fileName}: ${errorMessage(err)}`, { subject: path, cause: err });
      }
      yield { name: entry.fileName, data };
    }
  } finally {
    if (zip.isOpen) zip.close();
  }
}

// A zip file read entry by entry (src/util/zip.ts: bounded, CRC-32 checked), its damage reported
// as a PortcullisError naming the archive.
import { PortcullisError, errorMessage } from '../errors.js';
import { openZipFile, readEntry, zipEntries as entriesOf, type ZipEntry, type ZipFile } from '../util/zip.js';

export interface ZipEntryData {
  name: string;
  data: Buffer;
}

/**
 * Yields the file entries one at a time (never the whole archive in memory). Any damage — bad
 * central directory, CRC mismatch, size mismatch — is a PortcullisError naming the archive.
 */
export async function* zipEntries(path: string, maxEntryBytes = 64 * 1024 * 1024): AsyncGenerator<ZipEntryData> {
  let zip: ZipFile;
  try {
    zip = await openZipFile(path);
  } catch (err) {
    throw new PortcullisError(`not a readable zip archive: ${errorMessage(err)}`, { subject: path, cause: err });
  }
  const entries = entriesOf(zip);
  try {
    for (;;) {
      let entry: ZipEntry | undefined;
      try {
        const r = await entries.next();
        entry = r.done ? undefined : r.value;
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

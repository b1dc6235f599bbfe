// A zip written by yazl (a real zip writer, not hand-made bytes), for tests that feed archives to
// the zip readers and catalogers. Fixed mtimes: the same entries give the same bytes.
import yazl from 'yazl';

export interface ZipEntry {
  name: string;
  data?: Buffer;
  /** An empty directory record instead of a file. */
  dir?: boolean;
  /** Deflate (the default) or store. */
  compress?: boolean;
}

const MTIME = new Date('2024-01-01T00:00:00Z');

export function zipOf(entries: readonly ZipEntry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    if (e.dir) zip.addEmptyDirectory(e.name, { mtime: MTIME });
    else zip.addBuffer(e.data ?? Buffer.alloc(0), e.name, { compress: e.compress ?? true, mtime: MTIME });
  }
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

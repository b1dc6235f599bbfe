import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PortcullisError } from '../errors.js';

/**
 * Writes `data` to a temp file (mode 0600) beside `path` and renames it into place, so a failed
 * run (crash, disk full) never leaves a half-written file under the final name.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
      out.on('error', reject);
      out.end(data, () => out.close((err) => (err ? reject(err) : resolve())));
    });
    if (mode !== 0o600) {
      const { chmod } = await import('node:fs/promises');
      await chmod(tmp, mode);
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new PortcullisError(`cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      subject: path,
      cause: err,
    });
  }
}

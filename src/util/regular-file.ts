// Reading a file the user named (policy, VEX, ignore file, baseline, SBOM, token file…): only a
// regular file, at most `maxBytes`. `/dev/zero`, a FIFO, a directory or a socket given by mistake
// is refused at once with one line, instead of reading forever or blocking on an open.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { PortcullisError } from '../errors.js';

/** What a non-regular file is, in words. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

function notRegular(path: string, what: string, st: Stats): PortcullisError {
  return new PortcullisError(`${what} is not a regular file (${fileKind(st)})`, { subject: path });
}

function cannotRead(path: string, what: string, err: unknown): PortcullisError {
  return new PortcullisError(`cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { subject: path, cause: err });
}

// O_NONBLOCK: opening a FIFO with no writer returns at once (then fstat refuses it) instead of
// waiting for a writer forever. Reads of a regular file ignore it.
export const READ_NONBLOCK = constants.O_RDONLY | constants.O_NONBLOCK;
const OPEN_FLAGS = READ_NONBLOCK;

/** The bytes of a regular file of at most `maxBytes` (checked on the open descriptor). */
export async function readRegularFile(path: string, what: string, maxBytes: number): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, OPEN_FLAGS);
  } catch (err) {
    throw cannotRead(path, what, err);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notRegular(path, what, st);
    if (st.size > maxBytes) throw new PortcullisError(`${what} is larger than ${maxBytes} bytes`, { subject: path });
    // One byte more than fstat said: a file that grew meanwhile is noticed, not read on.
    const buf = Buffer.allocUnsafe(st.size + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got >= buf.length) throw new PortcullisError(`${what} changed while it was read`, { subject: path });
    }
    return buf.subarray(0, got);
  } catch (err) {
    if (err instanceof PortcullisError) throw err;
    throw cannotRead(path, what, err);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** readRegularFile as UTF-8 text. */
export async function readRegularText(path: string, what: string, maxBytes: number): Promise<string> {
  return (await readRegularFile(path, what, maxBytes)).toString('utf8');
}

/** The synchronous form, for the few callers that read before anything async starts. */
export function readRegularFileSync(path: string, what: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    throw cannotRead(path, what, err);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular(path, what, st);
    if (st.size > maxBytes) throw new PortcullisError(`${what} is larger than ${maxBytes} bytes`, { subject: path });
    const buf = Buffer.allocUnsafe(st.size + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
      if (got >= buf.length) throw new PortcullisError(`${what} changed while it was read`, { subject: path });
    }
    return buf.subarray(0, got);
  } catch (err) {
    if (err instanceof PortcullisError) throw err;
    throw cannotRead(path, what, err);
  } finally {
    closeSync(fd);
  }
}

/**
 * A path argument that may be a regular file or a directory (`db import DIR`, `policy test DIR`):
 * anything else is refused with one line. Returns its stat.
 */
export function checkFileOrDirectory(path: string, what: string): Stats {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    throw cannotRead(path, what, err);
  }
  if (!st.isFile() && !st.isDirectory()) throw new PortcullisError(`${what} is not a regular file or a directory (${fileKind(st)})`, { subject: path });
  return st;
}

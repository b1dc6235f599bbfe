import { readFile, stat } from 'node:fs/promises';
import { PortcullisError } from '../errors.js';

/** Reads a text file of at most `maxBytes` (checked before reading); one-line errors naming it. */
export async function readBoundedText(path: string, what: string, maxBytes: number): Promise<string> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new PortcullisError(`cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { subject: path, cause: err });
  }
  if (size > maxBytes) throw new PortcullisError(`${what} is larger than ${maxBytes} bytes`, { subject: path });
  return readFile(path, 'utf8');
}

/** Reads a bounded JSON file; one-line PortcullisError naming the file on any problem. */
export async function readJsonFile(path: string, what: string, maxBytes = 256 * 1024 * 1024): Promise<unknown> {
  const text = await readBoundedText(path, what, maxBytes);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new PortcullisError(`${what} is not valid JSON: ${(err as Error).message}`, { subject: path, cause: err });
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

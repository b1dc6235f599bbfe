import { readFile, stat } from 'node:fs/promises';
import { PortcullisError } from '../errors.js';

/** Reads a bounded JSON file; one-line PortcullisError naming the file on any problem. */
export async function readJsonFile(path: string, what: string, maxBytes = 256 * 1024 * 1024): Promise<unknown> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw new PortcullisError(`cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { subject: path, cause: err });
  }
  if (size > maxBytes) throw new PortcullisError(`${what} is larger than ${maxBytes} bytes`, { subject: path });
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new PortcullisError(`${what} is not valid JSON: ${(err as Error).message}`, { subject: path, cause: err });
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

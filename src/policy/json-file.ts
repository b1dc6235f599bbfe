import { PortcullisError } from '../errors.js';
import { parseJsonOr } from '../util/json-error.js';
import { readRegularText } from '../util/regular-file.js';

/**
 * Reads a text file of at most `maxBytes`; a regular file only (not /dev/zero, a FIFO or a
 * directory). One-line errors naming it.
 */
export async function readBoundedText(path: string, what: string, maxBytes: number): Promise<string> {
  return readRegularText(path, what, maxBytes);
}

/**
 * Reads a bounded JSON file; one-line PortcullisError naming the file on any problem. A syntax
 * error says where (`FILE:LINE:COL`) and what, never the text there (it may be a secret).
 */
export async function readJsonFile(path: string, what: string, maxBytes = 256 * 1024 * 1024): Promise<unknown> {
  const text = await readBoundedText(path, what, maxBytes);
  return parseJsonOr(text, (at, problem) => new PortcullisError(`${what} is not valid JSON: ${problem}`, { subject: `${path}:${at}` }));
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

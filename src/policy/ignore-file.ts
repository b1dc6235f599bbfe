// .trivyignore: one vulnerability id per line, optional `exp:YYYY-MM-DD`, `#` comments.
import { readBoundedText } from './json-file.js';
import { PortcullisError } from '../errors.js';
import { isIsoDate } from './ajv-issues.js';
import type { IgnoreEntry } from './types.js';

const MAX_BYTES = 8 * 1024 * 1024;

export function parseIgnoreFile(text: string, source: string): IgnoreEntry[] {
  const out: IgnoreEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const hash = raw.search(/(^|\s)#/);
    const line = hash >= 0 ? raw.slice(0, hash) : raw;
    const tokens = [...line.matchAll(/\S+/g)];
    if (tokens.length === 0) return;
    const entry: IgnoreEntry = { id: tokens[0]![0], source, line: i + 1 };
    for (const t of tokens.slice(1)) {
      const col = (t.index ?? 0) + 1;
      const m = /^exp:(.*)$/.exec(t[0]);
      // Where, and what was expected; never the text itself (the file may be a secret given by mistake).
      if (!m) throw new PortcullisError('unexpected text after the id (an entry is ID [exp:YYYY-MM-DD])', { subject: `${source}:${i + 1}:${col}` });
      if (!isIsoDate(m[1]!)) throw new PortcullisError('the exp: value is not a date (YYYY-MM-DD)', { subject: `${source}:${i + 1}:${col + 4}` });
      entry.expires = m[1];
    }
    out.push(entry);
  });
  return out;
}

export async function loadIgnoreFile(path: string): Promise<IgnoreEntry[]> {
  return parseIgnoreFile(await readBoundedText(path, 'ignore file', MAX_BYTES), path);
}

// Reads the shared version-comparison vectors (../shared/data/vercmp, format in its README §1).
import { readFileSync } from 'node:fs';
import { shared } from '../helpers/shared.js';

export interface Row {
  a: string;
  b: string;
  expected: string;
}

const unescape = (s: string): string => s.replace(/\\t/g, '\t').replace(/\\n/g, '\n');

export function readRows(file: string): Row[] {
  return readFileSync(shared('data', 'vercmp', file), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [a, b, expected] = l.split('\t');
      return { a: unescape(a!), b: unescape(b ?? ''), expected: expected ?? '' };
    });
}

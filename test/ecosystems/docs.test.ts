// docs/versions.md, docs/matching.md and docs/catalogers.md list every ecosystem of the registry:
// each holds the table rendered from it between `<!-- registry:NAME -->` markers. Run with
// UPDATE_DOCS=1 to rewrite the tables after changing the registry.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { DOC_TABLES } from './docs-tables.js';

describe('the docs list every ecosystem from the registry', () => {
  for (const [name, { file, render }] of Object.entries(DOC_TABLES)) {
    it(`${file} (${name})`, () => {
      const path = join(PROJECT_ROOT, file);
      const text = readFileSync(path, 'utf8');
      const begin = `<!-- registry:${name}:begin (generated from src/ecosystems; UPDATE_DOCS=1 npx vitest run test/ecosystems/docs.test.ts) -->\n`;
      const end = `\n<!-- registry:${name}:end -->`;
      const i = text.indexOf(begin);
      const j = text.indexOf(end);
      expect(i, `${file} has no ${begin.trim()} marker`).toBeGreaterThanOrEqual(0);
      expect(j).toBeGreaterThan(i);
      const want = render();
      if (process.env.UPDATE_DOCS === '1') writeFileSync(path, text.slice(0, i + begin.length) + want + text.slice(j));
      else expect(text.slice(i + begin.length, j)).toBe(want);
    });
  }
});

// A DB's KEV / EPSS / NVD counts (its summary, in every report) are counted once when the file is
// published, not by each scan: count(*) walks a whole table, ~80 ms for EPSS's ~290k rows.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { importFiles, openLocalDb } from '../../src/vulndb/index.js';
import { kevCatalog } from '../helpers/kev.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-intel-counts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function epssCsv(rows: number): string {
  const lines = ['#model_version:v2026.06.15,score_date:2026-12-01T00:00:00Z', 'cve,epss,percentile'];
  for (let i = 0; i < rows; i++) lines.push(`CVE-2026-${10000 + i},0.0${i % 10}1,0.5`);
  return `${lines.join('\n')}\n`;
}

function edit(path: string, sql: string): void {
  const w = new Database(path);
  w.exec(sql);
  w.close();
}

describe('intel counts', () => {
  it('are stored at publish, read back by the summary, and counted when a file has none', async () => {
    writeFileSync(join(dir, 'kev.json'), kevCatalog());
    writeFileSync(join(dir, 'epss_scores-current.csv'), epssCsv(1234));
    const dbPath = join(dir, 'db.sqlite');
    await importFiles(dbPath, [join(dir, 'kev.json'), join(dir, 'epss_scores-current.csv')], { warn: () => {} });
    const raw = new Database(dbPath, { readonly: true });
    const counted = { kev: raw.prepare('SELECT count(*) FROM kev').pluck().get(), epss: raw.prepare('SELECT count(*) FROM epss').pluck().get(), nvd: 0 };
    const stored = raw.prepare("SELECT value FROM meta WHERE key = 'intel_counts'").pluck().get() as string;
    raw.close();
    expect(counted.epss).toBe(1234);
    expect((counted.kev as number) > 0).toBe(true);
    expect(JSON.parse(stored)).toEqual(counted);
    const db = openLocalDb(dbPath);
    expect(db.summary().intel).toEqual(counted);
    await db.close();

    /** A copy of the DB changed by `sql`, its summary's counts (or what reading them throws). */
    const variant = (name: string, sql: string) => {
      const path = join(dir, `${name}.sqlite`);
      copyFileSync(dbPath, path);
      edit(path, sql);
      const v = openLocalDb(path);
      try {
        return v.summary().intel;
      } finally {
        void v.close();
      }
    };
    // The summary reads the stored counts (a changed number shows: no table was counted)...
    expect(variant('changed', `UPDATE meta SET value = '{"kev":1,"epss":2,"nvd":3}' WHERE key = 'intel_counts'`)).toEqual({ kev: 1, epss: 2, nvd: 3 });
    // ...a file published before they were stored is counted...
    expect(variant('older', "DELETE FROM meta WHERE key = 'intel_counts'")).toEqual(counted);
    // ...and stored counts that are not counts are a corrupt file, never zero.
    expect(() => variant('bad', `UPDATE meta SET value = '{"kev":-1,"epss":"x"}' WHERE key = 'intel_counts'`)).toThrow(/intel_counts/);
  });
});

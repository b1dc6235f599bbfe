import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite, releaseAddon } from '../../src/util/sqlite.js';

const work = mkdtempSync(join(tmpdir(), 'portcullis-sqlite-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function buildDir(name: string, addons: string[]): string {
  const dir = join(work, name, 'build');
  for (const a of addons) {
    mkdirSync(join(dir, a), { recursive: true });
    writeFileSync(join(dir, a, 'better_sqlite3.node'), '');
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('the addon a database is opened with', () => {
  it('is build/Release when that is the one the package would load', () => {
    const dir = buildDir('release', ['Release']);
    expect(releaseAddon(dir)).toBe(join(dir, 'Release', 'better_sqlite3.node'));
  });

  it('is left to the package when it would load another (build/, build/Debug) or there is none', () => {
    expect(releaseAddon(buildDir('debug', ['Release', 'Debug']))).toBeUndefined();
    expect(releaseAddon(buildDir('top', ['Release', '.']))).toBeUndefined();
    expect(releaseAddon(buildDir('none', []))).toBeUndefined();
  });

  it('opens a database through the installed addon', () => {
    const db = openSqlite(join(work, 'x.sqlite'));
    db.exec('CREATE TABLE t (v TEXT)');
    db.prepare('INSERT INTO t VALUES (?)').run('ok');
    expect(db.prepare('SELECT v FROM t').pluck().get()).toBe('ok');
    db.close();
    const ro = openSqlite(join(work, 'x.sqlite'), { readonly: true, fileMustExist: true });
    expect(() => ro.exec('DELETE FROM t')).toThrow(/readonly/);
    ro.close();
  });
});

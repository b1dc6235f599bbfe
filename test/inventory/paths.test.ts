// normaliseEntryName (src/inventory/paths.ts) takes a fast path for clean names: every name made of
// a few awkward segments must still normalise as the general split-and-join does.
import { describe, expect, it } from 'vitest';
import { normaliseEntryName, normaliseSlowly } from '../../src/inventory/paths.js';

/** The general split-and-join, the fast path's reference. */
const reference = normaliseSlowly;

describe('normaliseEntryName', () => {
  it('gives what tar writers name their entries their absolute path', () => {
    expect(normaliseEntryName('./usr/bin/env')).toBe('/usr/bin/env');
    expect(normaliseEntryName('./usr/lib/')).toBe('/usr/lib');
    expect(normaliseEntryName('usr/lib/os-release')).toBe('/usr/lib/os-release');
    expect(normaliseEntryName('/etc/passwd')).toBe('/etc/passwd');
    expect(normaliseEntryName('./')).toBe('/');
    expect(normaliseEntryName('./srv/.wh..wh..opq')).toBe('/srv/.wh..wh..opq');
    expect(normaliseEntryName('./a/../../etc/shadow')).toBeUndefined();
  });

  it('agrees with split-and-join on every name of up to four awkward segments', () => {
    const segs = ['', '.', '..', 'a', '.a', '..a', '...', 'a.', '.wh.b'];
    const names: string[] = [];
    const grow = (prefix: string, depth: number): void => {
      names.push(prefix);
      if (depth === 4) return;
      for (const s of segs) grow(depth === 0 ? s : `${prefix}/${s}`, depth + 1);
    };
    grow('', 0);
    const all = names.flatMap((n) => [n, `${n}/`, `/${n}`, `./${n}`, `./${n}/`]);
    expect(all.length).toBeGreaterThan(30_000);
    for (const n of all) expect(normaliseEntryName(n), JSON.stringify(n)).toBe(reference(n));
  });
});

// WantedFs.resolve memoises each directory's resolution and finishes a name whose last component is
// no link directly; everything else goes through the component-by-component walk. On random layer
// trees (files, symlinks to files and directories — relative, absolute, dangling, looping — hard
// links, whiteouts across layers), both must give the same answer for every name asked.
import { describe, expect, it } from 'vitest';
import { walkLayers } from '../../src/inventory/walker.js';
import type { FileWanter } from '../../src/inventory/walk-layer.js';
import type { Resolution, WantedFs } from '../../src/inventory/wanted-fs.js';
import { imageOf, type Entry } from './tar-layers.js';
import { prng as rng } from '../version/generate.js';

const everything: FileWanter = { name: 'everything', wants: () => true };
const DIRS = ['a', 'b', 'a/c', 'b/d', 'usr/lib', 'lib', 'a/c/e'];
const BASES = ['x', 'y', 'db', 'status'];

function randomLayers(r: () => number): { layers: Entry[][]; names: string[] } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const names = new Set<string>();
  const layers: Entry[][] = [];
  for (let l = 0; l < 3; l++) {
    const entries: Entry[] = [];
    const used = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const dir = pick(DIRS);
      const asDir = r() < 0.25;
      const name = asDir ? dir : `${dir}/${pick(BASES)}`;
      if (used.has(name)) continue;
      used.add(name);
      names.add(`/${name}`);
      const roll = r();
      if (roll < 0.45 && !asDir) entries.push({ name, data: `${l}-${i}` });
      else if (roll < 0.85) {
        const target = r() < 0.3 ? `/${pick(DIRS)}` : r() < 0.5 ? `../${pick(DIRS)}/${pick(BASES)}` : pick([...DIRS, `${pick(DIRS)}/${pick(BASES)}`, '.', '..', name]);
        entries.push({ name, type: 'symlink', linkname: target });
      } else if (!asDir) entries.push({ name, type: 'link', linkname: `${pick(DIRS)}/${pick(BASES)}` });
      else entries.push({ name: `${dir}/.wh.${pick(BASES)}`, data: '' });
    }
    layers.push(entries);
  }
  for (const d of DIRS) for (const b of BASES) names.add(`/${d}/${b}`);
  for (const d of DIRS) names.add(`/${d}`);
  return { layers, names: [...names] };
}

describe('WantedFs.resolve fast path', () => {
  it('gives the component walk\'s answer for every name, on 150 random layer trees', async () => {
    for (let seed = 1; seed <= 150; seed++) {
      const { layers, names } = randomLayers(rng(seed));
      const image = await imageOf(layers);
      const { fs } = await walkLayers(image.layers, [everything], { threads: false });
      const walk = (fs as unknown as { resolveWalk(p: string): Resolution }).resolveWalk.bind(fs);
      // Twice: the second round is answered from the memoised directories.
      for (let round = 0; round < 2; round++) {
        for (const n of names) expect({ seed, n, r: fs.resolve(n) }).toEqual({ seed, n, r: walk(n) });
      }
      // And the reachable names (what catalogers see) are what a view with no memo computes.
      expect(reachableOf(fs)).toEqual(reachableOf(fresh(fs)));
    }
  });
});

/** The same view without a memo (its resolve uses only the walk). */
function fresh(fs: WantedFs): WantedFs {
  const f = Object.create(Object.getPrototypeOf(fs) as object) as WantedFs;
  Object.assign(f, fs, { reachability: undefined, dirs: new Map() });
  (f as unknown as { resolve(p: string): Resolution }).resolve = (p: string) => (f as unknown as { resolveWalk(p: string): Resolution }).resolveWalk(p);
  return f;
}

const reachableOf = (fs: WantedFs) => {
  const r = fs.reachable();
  return { names: r.names.map((n) => `${n.path}>${n.real}`).sort(), loops: r.loops.map((l) => l.path).sort(), dangling: r.dangling.map((d) => `${d.link.path}>${d.real}`).sort() };
};

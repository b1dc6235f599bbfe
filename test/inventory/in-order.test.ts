// The walker's layer scheduler (walker.ts inOrder): layers are merged strictly in order, at most
// LAYER_CONCURRENCY are walked at once, and of those within LOOKAHEAD of the next to merge the
// largest starts first (a walker thread then takes the big layer while the small ones run beside it).
import { describe, expect, it } from 'vitest';
import { LAYER_CONCURRENCY } from '../../src/inventory/layer-keys.js';
import { inOrder, LOOKAHEAD } from '../../src/inventory/walker.js';

/** A compute whose calls can be finished by hand, in any order. */
function manual() {
  const pending = new Map<number, { resolve(v: string): void; reject(e: Error): void }>();
  const starts: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const compute = (i: number): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      starts.push(i);
      running++;
      maxRunning = Math.max(maxRunning, running);
      pending.set(i, {
        resolve: (v) => {
          running--;
          resolve(v);
        },
        reject: (e) => {
          running--;
          reject(e);
        },
      });
    });
  const tick = () => new Promise<void>((r) => setImmediate(r));
  return { compute, starts, pending, tick, max: () => maxRunning };
}

describe('inOrder', () => {
  it('starts the largest layer within reach first, keeps two walks at most, and merges in index order', async () => {
    const sizes = [172, 1, 1, 577, 577];
    const m = manual();
    const used: [number, string][] = [];
    const done = inOrder([0, 1, 2, 3, 4], m.compute, (i, v) => used.push([i, v]), (i) => sizes[i]!);
    await m.tick();
    // Window [0, LOOKAHEAD): layer 3 (577) first, then layer 0 (172).
    expect(LOOKAHEAD).toBe(4);
    expect(m.starts).toEqual([3, 0]);
    m.pending.get(3)!.resolve('d3');
    await m.tick();
    // A slot freed: the next largest in reach; nothing merged yet (layer 0 is not done).
    expect(m.starts).toEqual([3, 0, 1]);
    expect(used).toEqual([]);
    m.pending.get(0)!.resolve('d0');
    await m.tick();
    // Layer 0 merged; layer 4 now in reach and the largest left.
    expect(used.map(([i]) => i)).toEqual([0]);
    expect(m.starts).toEqual([3, 0, 1, 4]);
    m.pending.get(4)!.resolve('d4');
    m.pending.get(1)!.resolve('d1');
    await m.tick();
    m.pending.get(2)!.resolve('d2');
    await done;
    expect(used).toEqual([[0, 'd0'], [1, 'd1'], [2, 'd2'], [3, 'd3'], [4, 'd4']]);
    expect(m.max()).toBe(LAYER_CONCURRENCY);
  });

  it('never starts a layer LOOKAHEAD or more past the next one to merge', async () => {
    const m = manual();
    const sizes = [1, 1, 1, 1, 1000, 1000];
    const done = inOrder([0, 1, 2, 3, 4, 5], m.compute, () => undefined, (i) => sizes[i]!);
    await m.tick();
    expect(m.starts).toEqual([0, 1]);
    m.pending.get(0)!.resolve('x');
    await m.tick();
    // Layer 0 merged: layer 4 (big) comes in reach and takes the free slot; 5 is not in reach yet.
    expect(m.starts).toEqual([0, 1, 4]);
    m.pending.get(1)!.resolve('x');
    await m.tick();
    expect(m.starts).toEqual([0, 1, 4, 5]);
    for (const i of [4, 5]) m.pending.get(i)!.resolve('x');
    await m.tick();
    for (const i of [2, 3]) m.pending.get(i)!.resolve('x');
    await done;
    expect(m.starts.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a failed layer fails the run when its turn to merge comes, after the layers before it', async () => {
    const m = manual();
    const used: number[] = [];
    const done = inOrder([0, 1, 2], m.compute, (i) => used.push(i));
    await m.tick();
    m.pending.get(1)!.reject(new Error('layer 1 is broken'));
    m.pending.get(0)!.resolve('ok');
    await expect(done).rejects.toThrow('layer 1 is broken');
    expect(used).toEqual([0]);
  });
});

// FileWanter.sizeBlind: a wanter that says its wants() answers by path alone is never asked again
// at its size limit (walk-layer.ts wantedAtLimit). The claim is checked here against real paths:
// this repo's node_modules, this machine's system trees and every wanter's own anchors and probes,
// at sizes from 0 to far past any limit. Wanters whose answer does depend on the size must not claim it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registryWanters } from '../../src/inventory/walk-job.js';
import { PROJECT_ROOT } from '../helpers/shared.js';

/** Up to `max` file paths under `root` (depth-first, sorted), as absolute image paths under `prefix`. */
function pathsUnder(root: string, prefix: string, max: number, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch {
    return out;
  }
  for (const e of entries) {
    if (out.length >= max) break;
    const p = join(root, e.name);
    if (e.isDirectory()) pathsUnder(p, `${prefix}/${e.name}`, max, out);
    else out.push(`${prefix}/${e.name}`);
  }
  return out;
}

const SIZES = [0, 1, 4096, 64 * 1024, 512 * 1024, 32 * 1024 * 1024 + 1, 2 ** 40];

describe('sizeBlind wanters', () => {
  const wanters = registryWanters();
  const corpus = [
    ...pathsUnder(join(PROJECT_ROOT, 'node_modules'), '/srv/app/node_modules', 40_000),
    ...['/usr/bin', '/usr/lib/jvm', '/usr/share/java', '/var/lib/dpkg', '/usr/lib/python3', '/etc'].flatMap((d) => pathsUnder(d, d, 5_000)),
    ...wanters.flatMap((w) => [...(w.anchors ?? []), ...(w.linkProbes ?? []).map((p) => `/srv/app/node_modules/${p}`)]),
    '/app/Cargo.lock', '/usr/local/bin/app', '/app/x.egg', '/usr/lib/python3/dist-packages/x.egg', '/app/EGG-INFO/PKG-INFO',
  ];

  it('answer the same at every size for every path', () => {
    const blind = wanters.filter((w) => w.sizeBlind);
    expect(blind.map((w) => w.name).sort()).toEqual(['apk', 'composer', 'dotnet-deps', 'dpkg', 'gemspec', 'java-archive', 'npm', 'os-detect', 'rpm-db']);
    const wanted = new Set<string>();
    for (const w of blind) {
      for (const p of corpus) {
        const first = w.wants(p, SIZES[0]!);
        if (first) wanted.add(w.name);
        for (const s of SIZES) if (w.wants(p, s) !== first) throw new Error(`${w.name} answers ${p} differently at ${s} bytes`);
      }
    }
    // The corpus holds files these wanters take (else the check would be empty for them).
    expect([...wanted].sort()).toEqual(expect.arrayContaining(['dpkg', 'java-archive', 'npm', 'os-detect']));
  });

  it('the others do depend on the size, so the walker asks them at their limit', () => {
    const sized = wanters.filter((w) => !w.sizeBlind);
    for (const w of sized) {
      const differs = corpus.some((p) => SIZES.some((s) => w.wants(p, s) !== w.wants(p, SIZES[0]!)));
      expect(differs, w.name).toBe(true);
    }
  });
});

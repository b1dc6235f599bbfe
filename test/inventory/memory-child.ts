// Child process for walker-memory.test.ts (run with tsx, alone, so the test runner's own heap is no
// noise): inventories a generated image of COUNT real non-Go ELF binaries of 2 MiB each with the
// real catalogers and prints {baselineKb, peakKb, totalBytes, packages, warnings, distillCalls}.
// `keep-raw` adds a cataloger that keeps every binary whole: the control that shows the
// measurement sees retained files.
import { readFileSync } from 'node:fs';
import type { Cataloger } from '../../src/inventory/cataloger.js';
import { inventoryImage } from '../../src/inventory/inventory.js';
import { CATALOGERS } from '../../src/inventory/registry.js';
import type { Image } from '../../src/model/image.js';
import { streamedLayer } from './tar-layers.js';

const COUNT = Number(process.argv[2] ?? 300);
const MODE = process.argv[3] ?? 'real';
const SIZE = 2 * 1024 * 1024;
const elf = readFileSync('/bin/ls');
const PIECE = 64 * 1024;

// Each binary: the real ELF, then filler that differs per file (so no two files share pages).
function* binary(i: number): Generator<Buffer> {
  yield elf;
  for (let off = elf.length; off < SIZE; off += PIECE) yield Buffer.alloc(Math.min(PIECE, SIZE - off), (i * 7 + off) & 0xff);
}

const keepRaw: Cataloger = {
  name: 'keep-raw', version: 1, kind: 'language', attribution: 'file',
  maxFileSize: 4 * SIZE,
  wants: (p) => p.startsWith('/usr/bin/tool'),
  parse: (files) => (files.length > 0 ? [] : []),
};

const image: Image = {
  metadata: { source: 'memory-test', sourceType: 'oci', configDigest: 'sha256:0', tags: [], config: { os: 'linux', architecture: 'amd64', env: [], labels: {}, history: [] } },
  // Two layers so files are also carried across a merge.
  layers: [0, 1].map((l) => streamedLayer(l, COUNT / 2, SIZE, (i) => `usr/bin/tool-${l}-${i}`, (i) => binary(l * COUNT + i))),
  close: async () => undefined,
};

// The real catalogers, counting distill() calls: proof that every binary was read and distilled.
let distillCalls = 0;
const counted = CATALOGERS.map((c): Cataloger => {
  const distill = c.distill?.bind(c);
  return distill ? { ...c, distill: (p, d) => (distillCalls++, distill(p, d)) } : c;
});
const catalogers = MODE === 'keep-raw' ? [...counted, keepRaw] : counted;
global.gc?.();
const baselineKb = process.resourceUsage().maxRSS;
const inv = await inventoryImage(image, { catalogers });
const peakKb = process.resourceUsage().maxRSS;
process.stdout.write(JSON.stringify({ baselineKb, peakKb, totalBytes: COUNT * SIZE, packages: inv.packages.length, warnings: inv.warnings.length, distillCalls }));

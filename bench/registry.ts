// Reading every layer of an image from a local registry (docker-registry on 127.0.0.1) vs from an
// OCI archive of the same image. Prints figures and the ratio (goal: registry <= 1.2x archive);
// asserts nothing absolute. Run: node --import tsx bench/registry.ts
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveImageSource } from '../src/image/index.js';
import { buildOciLayout, toOciArchive } from '../test/image/build-layout.js';
import { skopeoPush, startRegistry } from '../test/registry/harness.js';

const LAYERS = 4;
const FILES_PER_LAYER = 200;
const ROUNDS = 5;

/** Half random, half repetitive text: realistic gzip ratios, ~8 MiB uncompressed per layer. */
function content(i: number): Buffer {
  return Buffer.concat([randomBytes(20 * 1024), Buffer.from(`line ${i} of some package metadata\n`.repeat(600))]);
}

async function readAllLayers(ref: string): Promise<number> {
  const img = await resolveImageSource(ref).open();
  let bytes = 0;
  try {
    for (const layer of img.layers) for await (const chunk of await layer.open()) bytes += (chunk as Buffer).length;
  } finally {
    await img.close();
  }
  return bytes;
}

async function time(ref: string): Promise<{ ms: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    bytes = await readAllLayers(ref);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, bytes };
}

const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-registry-'));
const registry = await startRegistry();
try {
  const layout = join(work, 'layout');
  await buildOciLayout(layout, {
    tag: 'v1',
    layers: Array.from({ length: LAYERS }, (_, l) => ({
      files: Array.from({ length: FILES_PER_LAYER }, (_, f) => ({ path: `opt/l${l}/f${f}.txt`, content: content(f) })),
      compression: 'gzip' as const,
    })),
  });
  const archive = join(work, 'image.tar');
  toOciArchive(layout, 'v1', archive);
  await skopeoPush(`oci:${layout}:v1`, `${registry.host}/bench/app:v1`);
  const refs = { archive: `oci-archive:${archive}:v1`, registry: `${registry.host}/bench/app:v1` };
  // Warm both paths once (page cache, JIT, connection set-up).
  await readAllLayers(refs.archive);
  await readAllLayers(refs.registry);
  const a = await time(refs.archive);
  const r = await time(refs.registry);
  const mib = (a.bytes / (1 << 20)).toFixed(1);
  console.log(`layers: ${LAYERS}, uncompressed ${mib} MiB, median of ${ROUNDS} rounds`);
  console.log(`oci-archive: ${a.ms.toFixed(1)} ms (${(a.bytes / (1 << 20) / (a.ms / 1000)).toFixed(0)} MiB/s)`);
  console.log(`registry:    ${r.ms.toFixed(1)} ms (${(r.bytes / (1 << 20) / (r.ms / 1000)).toFixed(0)} MiB/s)`);
  console.log(`ratio registry/archive: ${(r.ms / a.ms).toFixed(2)}x (goal <= 1.2x)`);
  if (a.bytes !== r.bytes) console.log(`WARNING: byte counts differ (${a.bytes} vs ${r.bytes})`);
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}

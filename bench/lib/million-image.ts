// A generated docker-archive of one ~1 GB layer holding 1,000,000 small files (issue 20: memory
// stays flat however many entries an image has). Streamed to disk, never held in memory; cached.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import tar from 'tar-stream';
import { cachedFixture } from '../../test/fixtures/cache.js';

const run = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);
export const MILLION_FILES = 1_000_000;
const PAYLOAD = Buffer.alloc(500, 'x');

/** The layer's entries: 100 directories of 100 directories of 100 files (plus the directories). */
async function writeLayer(path: string): Promise<void> {
  const pack = tar.pack();
  const out = pipeline(pack, createWriteStream(path));
  const entry = (header: Parameters<typeof pack.entry>[0], data: Buffer = Buffer.alloc(0)) =>
    new Promise<void>((resolve, reject) => pack.entry(header, data, (err) => (err ? reject(err) : resolve())));
  await entry({ name: 'data', type: 'directory', mode: 0o755 });
  for (let i = 0; i < MILLION_FILES; i++) {
    const top = `data/d${String(Math.floor(i / 10_000)).padStart(3, '0')}`;
    const dir = `${top}/e${String(Math.floor(i / 100) % 100).padStart(2, '0')}`;
    if (i % 10_000 === 0) await entry({ name: top, type: 'directory', mode: 0o755 });
    if (i % 100 === 0) await entry({ name: dir, type: 'directory', mode: 0o755 });
    await entry({ name: `${dir}/f${i}.txt`, mode: 0o644, size: PAYLOAD.length }, PAYLOAD);
  }
  pack.finalize();
  await out;
}

export async function millionFileImage(): Promise<{ dockerArchive: string }> {
  const dir = await cachedFixture('million-files', [SELF], async (out) => {
    const tmp = join(out, 'layer.tar');
    await writeLayer(tmp);
    const hash = createHash('sha256');
    await pipeline(createReadStream(tmp), hash);
    const diffId = hash.digest('hex');
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] } }));
    const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
    renameSync(tmp, join(out, `${diffId}.tar`));
    writeFileSync(join(out, configName), config);
    writeFileSync(join(out, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: ['portcullis/million:test'], Layers: [`${diffId}.tar`] }]));
    await run('tar', ['-cf', 'image.tar', '--remove-files', 'manifest.json', configName, `${diffId}.tar`], { cwd: out });
  });
  return { dockerArchive: join(dir, 'image.tar') };
}

// Every kind of bad input is an ImageError / PortcullisError whose one-line message names the file
// and what is wrong; nothing unverified is ever handed on as good.
import { mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError, PortcullisError } from '../../src/errors.js';
import { resolveImageSource } from '../../src/image/resolve.js';
import {
  buildOciLayout,
  compressBuffer,
  makeTar,
  readAll,
  sha256,
  toClassicDockerArchive,
  toOciArchive,
  layoutEntries,
  writeTarFile,
  type ImageInput,
} from './build-layout.js';

let work: string;
let n = 0;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-image-bad-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const FILES = [{ path: 'etc/os-release', content: 'ID=alpine\n'.repeat(200) }];

async function layout(input: Partial<ImageInput> = {}) {
  const dir = join(work, `l${n++}`);
  const built = await buildOciLayout(dir, { layers: [{ files: FILES }], ...input });
  return { dir, built };
}

async function openError(arg: string): Promise<Error> {
  try {
    const img = await resolveImageSource(arg, {}).open();
    await img.close();
  } catch (err) {
    return err as Error;
  }
  throw new Error(`opening ${arg} did not fail`);
}

/** Opens the image and reads layer `i` to the end; returns the error and whether 'end' was seen. */
async function readLayerError(arg: string, i = 0): Promise<{ err: Error; ended: boolean }> {
  const img = await resolveImageSource(arg, {}).open();
  const stream = await img.layers[i]!.open();
  let ended = false;
  stream.on('end', () => (ended = true));
  try {
    await readAll(stream);
  } catch (err) {
    return { err: err as Error, ended };
  }
  throw new Error(`reading layer ${i} of ${arg} did not fail`);
}

function expectImageError(err: Error, file: string, what: RegExp): void {
  expect(err).toBeInstanceOf(ImageError);
  expect(err.message).toContain(file);
  expect(err.message).toMatch(what);
  expect(err.message).not.toContain('\n');
}

describe('paths', () => {
  it('a path that does not exist is a PortcullisError naming it', () => {
    for (const arg of ['/nonexistent/image.tar', 'oci:/nonexistent/dir:v1', 'docker-archive:/nonexistent.tar', './alpine.tar']) {
      expect(() => resolveImageSource(arg, {})).toThrow(PortcullisError);
      expect(() => resolveImageSource(arg, {})).toThrow(/no such file or directory/);
      expect(() => resolveImageSource(arg, {})).toThrow(arg.replace(/^[a-z-]+:/, '').replace(/:v1$/, ''));
    }
  });

  it('a directory that is no OCI layout, and the wrong transport for a path', async () => {
    const { dir } = await layout();
    unlinkSync(join(dir, 'index.json'));
    expect(() => resolveImageSource(dir, {})).toThrow(/not an OCI image layout/);
    expectImageError(await openError(`oci:${dir}`), dir, /missing index\.json/);
    expect(() => resolveImageSource(`docker-archive:${dir}`, {})).toThrow(/needs a tar file/);
  });
});

describe('archives', () => {
  it('a truncated tar archive', async () => {
    const { dir } = await layout();
    const tar = join(work, 'trunc.tar');
    toOciArchive(dir, 'latest', tar);
    truncateSync(tar, Math.floor(statSync(tar).size / 2) + 100);
    expectImageError(await openError(tar), tar, /truncated tar archive/);
  });

  it('a corrupt tar header, a file that is no tar, a compressed archive', async () => {
    const { dir } = await layout();
    const tar = join(work, 'corrupt.tar');
    toOciArchive(dir, 'latest', tar);
    const bytes = readFileSync(tar);
    // The second header: after the first entry (a directory or small file) the next header starts
    // at a 512-byte boundary; corrupt every header's name area but the first.
    for (let off = 512; off < bytes.length; off += 512) {
      if (bytes.toString('latin1', off + 257, off + 262) === 'ustar') {
        bytes[off] = bytes[off]! ^ 0xff;
        break;
      }
    }
    writeFileSync(tar, bytes);
    expectImageError(await openError(tar), tar, /corrupt tar archive: bad header checksum/);

    const junk = join(work, 'junk.bin');
    writeFileSync(junk, Buffer.alloc(4096, 7));
    expectImageError(await openError(junk), junk, /not a tar archive/);

    const gz = join(work, 'image.tar.gz');
    toOciArchive(dir, 'latest', join(work, 'plain.tar'));
    writeFileSync(gz, gzipSync(readFileSync(join(work, 'plain.tar'))));
    expectImageError(await openError(gz), gz, /gzip-compressed; decompress it first/);
  });

  it('a tar with neither manifest.json nor index.json; docker-archive: without manifest.json', async () => {
    const tar = join(work, 'empty-ish.tar');
    await writeTarFile(tar, [{ path: 'hello.txt', content: 'hi' }]);
    expectImageError(await openError(tar), tar, /neither manifest\.json .* nor index\.json/);
    expectImageError(await openError(`docker-archive:${tar}`), tar, /missing manifest\.json/);
    expectImageError(await openError(`oci-archive:${tar}`), tar, /missing oci-layout/);
  });

  it('an archive entry escaping the root', async () => {
    for (const evil of ['../evil', '/etc/evil', 'a/../../evil']) {
      const tar = join(work, `escape-${n++}.tar`);
      await writeTarFile(tar, [{ path: 'manifest.json', content: '[]' }, { path: evil, content: 'x' }]);
      expectImageError(await openError(tar), tar, /escapes the archive root/);
    }
  });

  it('docker-archive: missing config, config digest mismatch, layer count mismatch', async () => {
    const { built } = await layout();
    const tar = join(work, 'classic-bad.tar');
    const cfgName = `${built.config.digest.slice(7)}.json`;
    await writeTarFile(tar, [{ path: 'manifest.json', content: JSON.stringify([{ Config: cfgName, RepoTags: [], Layers: ['x/layer.tar'] }]) }]);
    expectImageError(await openError(tar), tar, new RegExp(`missing config ${cfgName}`));

    const tampered = { ...built, configJson: { ...built.configJson, os: 'plan9' } };
    await toClassicDockerArchive(tampered, tar, 'x:1');
    expectImageError(await openError(tar), tar, /config [a-f0-9]{64}\.json digest mismatch/);

    await writeTarFile(tar, [
      { path: cfgName, content: JSON.stringify(built.configJson) },
      { path: 'manifest.json', content: JSON.stringify([{ Config: cfgName, RepoTags: [], Layers: [] }]) },
    ]);
    expectImageError(await openError(tar), tar, /lists 0 layers but config .* has 1 diff_ids/);
  });
});

describe('OCI metadata blobs', () => {
  it('a missing config or manifest blob', async () => {
    const { dir, built } = await layout();
    unlinkSync(join(dir, 'blobs/sha256', built.config.digest.slice(7)));
    expectImageError(await openError(dir), dir, new RegExp(`missing config blob ${built.config.digest}`));
    unlinkSync(join(dir, 'blobs/sha256', built.manifest.digest.slice(7)));
    expectImageError(await openError(dir), dir, new RegExp(`missing manifest blob ${built.manifest.digest}`));
  });

  it('a manifest, config or index blob that does not match its digest (same size)', async () => {
    for (const which of ['manifest', 'config'] as const) {
      const { dir, built } = await layout();
      const path = join(dir, 'blobs/sha256', built[which].digest.slice(7));
      writeFileSync(path, readFileSync(path, 'utf8').replace('amd64', 'arm64').replace('"size":', '"size" :').slice(0, statSync(path).size).padEnd(statSync(path).size, ' '));
      expectImageError(await openError(dir), dir, new RegExp(`${which} blob ${built[which].digest} digest mismatch`));
    }
    const { dir, built } = await layout();
    const path = join(dir, 'blobs/sha256', built.manifest.digest.slice(7));
    writeFileSync(path, readFileSync(path, 'utf8') + ' ');
    expectImageError(await openError(dir), dir, /manifest blob .* has \d+ bytes, its descriptor says \d+/);
  });

  it('index.json that is not JSON; oci-layout missing', async () => {
    const { dir } = await layout();
    writeFileSync(join(dir, 'index.json'), '{"manifests": [');
    expectImageError(await openError(dir), dir, /index\.json is not valid JSON/);
    unlinkSync(join(dir, 'oci-layout'));
    expectImageError(await openError(`oci:${dir}`), dir, /missing oci-layout/);
  });

  it('unsupported media types: Docker schema 1, a non-image config, an encrypted layer', async () => {
    const { dir } = await layout();
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    index.manifests[0].mediaType = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    expectImageError(await openError(dir), dir, /unsupported media type application\/vnd\.docker\.distribution\.manifest\.v1\+prettyjws \(Docker schema 1/);

    const helm = await layout({ configMediaType: 'application/vnd.cncf.helm.config.v1+json' });
    expectImageError(await openError(helm.dir), helm.dir, /unsupported config media type application\/vnd\.cncf\.helm\.config\.v1\+json/);

    const enc = await layout({ layers: [{ files: FILES, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted' }] });
    expectImageError(await openError(enc.dir), enc.dir, /unsupported layer media type application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip\+encrypted/);
  });

  it('a config whose diff_ids do not match the layer count', async () => {
    const { dir } = await layout({ mutateConfig: (c) => ((c.rootfs as { diff_ids: string[] }).diff_ids = []) });
    expectImageError(await openError(dir), dir, /has 1 layers but its config lists 0 diff_ids/);
  });
});

describe('layer streams', () => {
  it('a stored layer blob that does not match its digest fails when read to the end', async () => {
    const { dir, built } = await layout({ layers: [{ files: FILES, compression: 'none' }, { files: FILES, compression: 'gzip' }] });
    const path = join(dir, 'blobs/sha256', built.layers[0]!.digest.slice(7));
    const bytes = readFileSync(path);
    bytes[600] = bytes[600]! ^ 1; // inside the file data: the tar still parses
    writeFileSync(path, bytes);
    const { err, ended } = await readLayerError(dir, 0);
    expectImageError(err, dir, new RegExp(`layer 0 \\(blobs/sha256/${built.layers[0]!.digest.slice(7)}\\) blob digest mismatch`));
    expect(ended).toBe(false);
  });

  it('uncompressed content that does not match the diff_id fails when read to the end', async () => {
    const { dir } = await layout({
      layers: [{ files: FILES, compression: 'zstd' }],
      mutateConfig: (c) => ((c.rootfs as { diff_ids: string[] }).diff_ids = [sha256('something else')]),
    });
    const { err, ended } = await readLayerError(dir, 0);
    expectImageError(err, dir, /layer 0 .* uncompressed content \(diff_id\) digest mismatch/);
    expect(ended).toBe(false);
  });

  it('a layer blob of another size than its descriptor fails at open', async () => {
    const { dir, built } = await layout();
    writeFileSync(join(dir, 'blobs/sha256', built.layers[0]!.digest.slice(7)), Buffer.alloc(10));
    const img = await resolveImageSource(dir, {}).open();
    await expect(img.layers[0]!.open()).rejects.toThrow(ImageError);
    await expect(img.layers[0]!.open()).rejects.toThrow(/layer 0 .* has 10 bytes, its descriptor says/);
  });

  it('truncated and corrupt gzip and zstd data (blob digest correct) are ImageErrors naming the layer', async () => {
    const tar = await makeTar(FILES);
    const gz = compressBuffer(tar, 'gzip');
    const zst = compressBuffer(tar, 'zstd');
    const cases: [string, Buffer][] = [
      ['truncated gzip', gz.subarray(0, Math.floor(gz.length / 2))],
      ['corrupt gzip', Buffer.concat([gz.subarray(0, 10), Buffer.alloc(gz.length - 10, 0xa5)])],
      ['truncated zstd', zst.subarray(0, Math.floor(zst.length / 2))],
      ['corrupt zstd', Buffer.concat([zst.subarray(0, 4), Buffer.alloc(zst.length - 4, 0xa5)])],
    ];
    for (const [what, rawBlob] of cases) {
      const { dir } = await layout({ layers: [{ files: FILES, rawBlob }] });
      const { err, ended } = await readLayerError(dir, 0);
      expect(err, what).toBeInstanceOf(ImageError);
      expect(err.message, what).toContain(dir);
      expect(err.message, what).toMatch(/layer 0 \(blobs\/sha256\/[a-f0-9]{64}\)/);
      expect(ended, what).toBe(false);
    }
  });

  it('a docker-archive layer that does not match its diff_id', async () => {
    const { built } = await layout({ layers: [{ files: FILES, compression: 'none' }] });
    const tar = join(work, 'classic-layer.tar');
    const evil = { ...built, layers: [{ ...built.layers[0]!, tar: await makeTar([{ path: 'etc/os-release', content: 'ID=evil\n' }]) }] };
    await toClassicDockerArchive(evil, tar, 'x:1');
    const { err } = await readLayerError(tar, 0);
    expectImageError(err, tar, /layer 0 \([a-f0-9]{64}\/layer\.tar\) uncompressed content \(diff_id\) digest mismatch/);
  });

  it('a layer read in place from an OCI archive verifies too', async () => {
    const { dir } = await layout({ layers: [{ files: FILES, compression: 'none' }] });
    const archive = join(work, `tampered-${n++}.tar`);
    // An OCI archive is a tar of the layout; tamper with the layer's bytes inside it.
    await writeTarFile(archive, layoutEntries(dir));
    const bytes = readFileSync(archive);
    const marker = bytes.indexOf('ID=alpine');
    expect(marker).toBeGreaterThan(0);
    bytes[marker] = 'X'.charCodeAt(0);
    writeFileSync(archive, bytes);
    const { err, ended } = await readLayerError(archive, 0);
    expectImageError(err, archive, /layer 0 .* blob digest mismatch/);
    expect(ended).toBe(false);
  });
});

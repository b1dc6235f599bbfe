// Package databases that exist but were not read (issue 15, class 2): a db reached through a hard
// link or a symlink to a path no cataloger asked for must still be read, with the content the
// running container would see; what cannot be read (too large, malformed, a link to nothing, a
// cataloger that failed) is listed in Inventory.unread, never dropped silently.
import { execFile } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { deserialiseLayerDelta, serialiseLayerDelta } from '../../src/cache/layer-delta-codec.js';
import { apkCataloger } from '../../src/inventory/apk.js';
import type { Cataloger } from '../../src/inventory/cataloger.js';
import { dpkgCataloger } from '../../src/inventory/dpkg.js';
import { inventoryImage, type Inventory } from '../../src/inventory/inventory.js';
import { osDetector } from '../../src/inventory/os-detect.js';
import { CATALOGERS } from '../../src/inventory/registry.js';
import { rpmCataloger } from '../../src/inventory/rpm/cataloger.js';
import { walkLayers, type LayerDeltaStore } from '../../src/inventory/walker.js';
import type { LayerDelta } from '../../src/inventory/layer-delta.js';
import type { Image, Layer } from '../../src/model/image.js';
import { imageOf, layerOf, type Entry } from './tar-layers.js';

const run = promisify(execFile);
const OS_RELEASE: Entry = { name: 'etc/os-release', data: 'ID=debian\nVERSION_ID="12"\n' };
const stanza = (name: string, version: string) => `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n\n`;
const DB_A = stanza('libssl3', '3.0.11-1') + stanza('bash', '5.2.15-2');
const DB_B = stanza('libssl3', '3.0.15-1') + stanza('bash', '5.2.15-2') + stanza('curl', '7.88.1-10');
const APK_DB = 'P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\n\n';

const names = (inv: Inventory) => inv.packages.map((p) => `${p.name}@${p.version}`);

async function inventoryOf(layers: Entry[][], catalogers?: Cataloger[]): Promise<Inventory> {
  return inventoryImage(await imageOf(layers), catalogers ? { catalogers } : {});
}

function imageOfTars(tars: Buffer[]): Image {
  const layers: Layer[] = tars.map((b, i) => layerOf(i, b, `step ${i}`));
  return {
    metadata: {
      source: 'test',
      sourceType: 'oci',
      configDigest: 'sha256:0',
      tags: [],
      config: { os: 'linux', architecture: 'amd64', env: [], labels: {}, history: [] },
    },
    layers,
    close: async () => undefined,
  };
}

const tmp = mkdtempSync(join(tmpdir(), 'portcullis-unread-links-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;

/** A directory tree built with real files, hard links (link(2)) and symlinks (symlink(2)). */
function tree(spec: { files?: Record<string, string>; hardlinks?: Record<string, string>; symlinks?: Record<string, string> }): string {
  const root = join(tmp, `root-${dirs++}`);
  mkdirSync(root);
  for (const [p, data] of Object.entries(spec.files ?? {})) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), data);
  }
  for (const [p, target] of Object.entries(spec.hardlinks ?? {})) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    linkSync(join(root, target), join(root, p));
  }
  for (const [p, target] of Object.entries(spec.symlinks ?? {})) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    symlinkSync(target, join(root, p));
  }
  return root;
}

/** The layer GNU tar writes for a directory: a second name of a file is a hard-link (Link) entry. */
async function gnuTar(root: string): Promise<Buffer> {
  const { stdout } = await run('tar', ['-C', root, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '.'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout as unknown as Buffer;
}

async function tarListing(tar: Buffer): Promise<string> {
  const f = join(tmp, `listing-${dirs++}.tar`);
  writeFileSync(f, tar);
  return (await run('tar', ['-tvf', f])).stdout;
}

describe('package dbs behind hard links', () => {
  it('GNU tar layer: dpkg status is a hard link to a file nobody wants (same layer)', async () => {
    const root = tree({
      files: { 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n', 'opt/backup/dpkg-status': DB_A },
      hardlinks: { 'var/lib/dpkg/status': 'opt/backup/dpkg-status' },
    });
    const tar = await gnuTar(root);
    // The layer really stores the db as a Link entry pointing back at the earlier name.
    expect(await tarListing(tar)).toMatch(/^h.* \.\/var\/lib\/dpkg\/status link to \.\/opt\/backup\/dpkg-status$/m);
    const inv = await inventoryImage(imageOfTars([tar]));
    expect(names(inv)).toEqual(['bash@5.2.15-2', 'libssl3@3.0.11-1']);
    expect(inv.packages.every((p) => p.path === '/var/lib/dpkg/status')).toBe(true);
    expect(inv.unread).toEqual([]);
  });

  it('a hard link to a file of an earlier layer', async () => {
    const inv = await inventoryOf([
      [OS_RELEASE, { name: 'srv/keep/status.orig', data: DB_A }],
      [{ name: 'usr/bin/x', data: 'x' }],
      [{ name: 'var/lib/dpkg/status', type: 'link', linkname: 'srv/keep/status.orig' }],
    ]);
    expect(names(inv)).toEqual(['bash@5.2.15-2', 'libssl3@3.0.11-1']);
    expect(inv.packages.every((p) => p.layer.index === 2)).toBe(true);
    expect(inv.unread).toEqual([]);
  });

  it('a later layer replacing the hard link’s target does not change the link (it is its own inode)', async () => {
    const inv = await inventoryOf([
      [OS_RELEASE, { name: 'srv/keep/status.orig', data: DB_A }, { name: 'var/lib/dpkg/status', type: 'link', linkname: 'srv/keep/status.orig' }],
      [{ name: 'srv/keep/status.orig', data: DB_B }],
      [{ name: 'srv/keep/.wh.status.orig', data: '' }],
    ]);
    expect(names(inv)).toEqual(['bash@5.2.15-2', 'libssl3@3.0.11-1']);
    expect(inv.unread).toEqual([]);
  });

  it('a hard link whose target was never written is unread (link), not an empty db', async () => {
    const inv = await inventoryOf([[OS_RELEASE, { name: 'var/lib/dpkg/status', type: 'link', linkname: 'srv/nothing/here' }]]);
    expect(inv.packages).toEqual([]);
    expect(inv.unread).toEqual([
      expect.objectContaining({ path: '/var/lib/dpkg/status', cataloger: 'dpkg', kind: 'os-pkgdb', code: 'link', layer: 0 }),
    ]);
    expect(inv.unread[0]!.reason).toContain('/srv/nothing/here');
    expect(inv.warnings.map((w) => w.code)).toContain('walker.link-unresolved');
  });
});

describe('package dbs behind symlinks', () => {
  it('GNU tar layer: /var/lib/dpkg is a relative symlink (ln -s) to a directory nobody wants', async () => {
    const root = tree({
      files: { 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n', 'data/dpkg/status': DB_A },
      symlinks: { 'var/lib/dpkg': '../../data/dpkg' },
    });
    const tar = await gnuTar(root);
    expect(await tarListing(tar)).toMatch(/^l.* \.\/var\/lib\/dpkg -> \.\.\/\.\.\/data\/dpkg$/m);
    const inv = await inventoryImage(imageOfTars([tar]));
    expect(names(inv)).toEqual(['bash@5.2.15-2', 'libssl3@3.0.11-1']);
    expect(inv.packages[0]!.path).toBe('/var/lib/dpkg/status');
    expect(inv.unread).toEqual([]);
  });

  it('/var/lib/dpkg as an absolute symlink, the db in another layer, status.d files too', async () => {
    const inv = await inventoryOf([
      [{ name: 'data/dpkg/status.d/base', data: stanza('base-files', '12.4+deb12u5') }, { name: 'etc/debian_version', data: '12.5\n' }],
      [{ name: 'var/lib/dpkg', type: 'symlink', linkname: '/data/dpkg' }],
      [{ name: 'data/dpkg/status.d/tzdata', data: stanza('tzdata', '2024a-0+deb12u1') }],
    ]);
    expect(names(inv)).toEqual(['base-files@12.4+deb12u5', 'tzdata@2024a-0+deb12u1']);
    // distroless detection reads status.d through the same link
    expect(inv.osEcosystem).toBe('Debian:12');
    expect(inv.unread).toEqual([]);
  });

  it('a symlinked db file whose target a later layer replaces: the new content wins', async () => {
    const inv = await inventoryOf([
      [OS_RELEASE, { name: 'var/lib/dpkg/status', type: 'symlink', linkname: '../../../srv/state/status' }, { name: 'srv/state/status', data: DB_A }],
      [{ name: 'srv/state/status', data: DB_B }],
    ]);
    expect(names(inv)).toEqual(['bash@5.2.15-2', 'curl@7.88.1-10', 'libssl3@3.0.15-1']);
    // history attribution sees both states of the db through the link
    const layerOf = new Map(inv.packages.map((p) => [p.name, p.layer.index]));
    expect(Object.fromEntries(layerOf)).toEqual({ bash: 0, curl: 1, libssl3: 1 });
    expect(inv.unread).toEqual([]);
  });

  it('a symlink made before its target exists reads the target a later layer writes', async () => {
    const inv = await inventoryOf([
      [OS_RELEASE, { name: 'var/lib/dpkg/status', type: 'symlink', linkname: '/srv/state/status' }],
      [{ name: 'usr/bin/x', data: 'x' }],
      [{ name: 'srv/state/status', data: DB_A }],
    ]);
    expect(names(inv)).toEqual(['bash@5.2.15-2', 'libssl3@3.0.11-1']);
    expect(inv.packages.every((p) => p.layer.index === 2)).toBe(true);
    expect(inv.unread).toEqual([]);
  });

  it('thousands of links into the db directory: bounded, the db is read once', async () => {
    const links: Entry[] = Array.from({ length: 3000 }, (_, i) => ({ name: `x/l${i}`, type: 'symlink' as const, linkname: '/data/dpkg' }));
    const inv = await inventoryOf([[OS_RELEASE, { name: 'data/dpkg/status', data: DB_A }, { name: 'var/lib/dpkg', type: 'symlink', linkname: '/data/dpkg' }, ...links]]);
    expect(names(inv)).toEqual(['bash@5.2.15-2', 'libssl3@3.0.11-1']);
    expect(inv.unread).toEqual([]);
  });

  it('a symlinked directory whose target a later layer whites out leaves no db', async () => {
    const inv = await inventoryOf([
      [OS_RELEASE, { name: 'var/lib/dpkg', type: 'symlink', linkname: '/data/dpkg' }, { name: 'data/dpkg/status', data: DB_A }],
      [{ name: 'data/.wh.dpkg', data: '' }],
    ]);
    expect(inv.packages).toEqual([]);
  });

  it('/lib/apk/db/installed through a symlinked directory', async () => {
    const inv = await inventoryOf([
      [{ name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.19.1\n' }, { name: 'opt/apkdb/installed', data: APK_DB }],
      [{ name: 'lib/apk/db', type: 'symlink', linkname: '../../opt/apkdb' }],
    ]);
    expect(names(inv)).toEqual(['busybox@1.36.1-r5', 'musl@1.2.4-r2']);
    expect(inv.packages[0]!.path).toBe('/lib/apk/db/installed');
    expect(inv.unread).toEqual([]);
  });

  it('a dangling db symlink is unread (link)', async () => {
    const inv = await inventoryOf([[OS_RELEASE, { name: 'var/lib/rpm/rpmdb.sqlite', type: 'symlink', linkname: '/nowhere/rpmdb.sqlite' }]]);
    expect(inv.unread).toEqual([
      expect.objectContaining({ path: '/var/lib/dpkg/status', cataloger: 'dpkg', code: 'missing' }), // the image says Debian
      expect.objectContaining({ path: '/var/lib/rpm/rpmdb.sqlite', cataloger: 'rpm-db', kind: 'os-pkgdb', code: 'link' }),
    ]);
  });

  it('a symlink loop at the db is unread (link)', async () => {
    const inv = await inventoryOf([[OS_RELEASE, { name: 'var/lib/dpkg/status', type: 'symlink', linkname: 'status' }]]);
    expect(inv.unread).toEqual([expect.objectContaining({ path: '/var/lib/dpkg/status', code: 'link' })]);
  });
});

/** The image as a read-once stream delivers it (a daemon's export): arrivals in reverse order. */
function asStream(image: Image): Image {
  const layers = [...image.layers];
  return {
    ...image,
    streamed: {
      async *arrivals() {
        for (const l of [...layers].reverse()) yield { name: l.digest, stream: (await l.open()) as Readable };
      },
      finish: async () => layers.map((l) => l.digest),
    },
  };
}

const NPM_PKG = (name: string, version: string) => JSON.stringify({ name, version, license: 'MIT' });
const GEMSPEC = (name: string, version: string) => `Gem::Specification.new do |s|\n  s.name = "${name}".freeze\n  s.version = "${version}"\nend\n`;

describe('language packages behind a symlinked directory whose name makes them packages', () => {
  it('GNU tar layer: /app/node_modules -> /cache/nm (ln -s): the packages are read under the link’s name', async () => {
    const root = tree({
      files: {
        'cache/nm/express/package.json': NPM_PKG('express', '4.17.1'),
        'cache/nm/@babel/core/package.json': NPM_PKG('@babel/core', '7.22.0'),
      },
      symlinks: { 'app/node_modules': '../cache/nm' },
    });
    const tar = await gnuTar(root);
    expect(await tarListing(tar)).toMatch(/^l.* \.\/app\/node_modules -> \.\.\/cache\/nm$/m);
    const inv = await inventoryImage(imageOfTars([tar]));
    expect(names(inv)).toEqual(['@babel/core@7.22.0', 'express@4.17.1']);
    expect(inv.packages.map((p) => p.path).sort()).toEqual(['/app/node_modules/@babel/core/package.json', '/app/node_modules/express/package.json']);
    expect(inv.unread).toEqual([]);
  });

  it('the link in a later layer than the tree, and one package dir as a link of its own', async () => {
    const inv = await inventoryOf([
      [{ name: 'srv/deps/lodash/package.json', data: NPM_PKG('lodash', '4.17.20') }, { name: 'srv/one/package.json', data: NPM_PKG('minimist', '1.2.5') }],
      [{ name: 'app/node_modules', type: 'symlink', linkname: '/srv/deps' }],
      [{ name: 'web/node_modules/minimist', type: 'symlink', linkname: '../../srv/one' }],
    ]);
    expect(names(inv)).toEqual(['lodash@4.17.20', 'minimist@1.2.5']);
    expect(inv.packages.find((p) => p.name === 'lodash')!.path).toBe('/app/node_modules/lodash/package.json');
    expect(inv.unread).toEqual([]);
  });

  it('gems behind a symlinked specifications/ directory', async () => {
    const inv = await inventoryOf([
      [{ name: 'opt/gemspecs/rack-2.2.3.gemspec', data: GEMSPEC('rack', '2.2.3') }],
      [{ name: 'usr/local/bundle/specifications', type: 'symlink', linkname: '/opt/gemspecs' }],
    ]);
    expect(names(inv)).toEqual(['rack@2.2.3']);
  });

  it('a link whose target is itself such a directory (pnpm-style node_modules/x -> .pnpm/…/node_modules/x) needs no second pass', async () => {
    const image = await imageOf([
      [
        { name: 'app/node_modules/.pnpm/ms@2.1.2/node_modules/ms/package.json', data: NPM_PKG('ms', '2.1.2') },
        { name: 'app/node_modules/ms', type: 'symlink', linkname: '.pnpm/ms@2.1.2/node_modules/ms' },
      ],
    ]);
    const walked = await walkLayers(image.layers, CATALOGERS);
    expect(walked.redirects).toEqual([]);
  });

  it('from a read-once stream the tree cannot be read again: the link is listed unread (manifest, link), never silently empty', async () => {
    const image = asStream(
      await imageOf([
        [OS_RELEASE, { name: 'var/lib/dpkg/status', data: DB_A }, { name: 'cache/nm/express/package.json', data: NPM_PKG('express', '4.17.1') }],
        [{ name: 'app/node_modules', type: 'symlink', linkname: '/cache/nm' }],
      ]),
    );
    const inv = await inventoryImage(image);
    expect(names(inv)).toEqual(['bash@5.2.15-2', 'libssl3@3.0.11-1']); // express is only a package through the link
    expect(inv.unread).toEqual([
      expect.objectContaining({ path: '/app/node_modules', cataloger: 'npm', kind: 'manifest', code: 'link', layer: 1, reason: expect.stringContaining('read-once') }),
    ]);
    expect(inv.warnings.filter((w) => w.code === 'walker.link-unresolved')).toHaveLength(1);
  });

  it('from a read-once stream a symlinked dpkg directory is an unread OS db (exit 2 upstream), with the precise reason', async () => {
    const image = asStream(await imageOf([[OS_RELEASE, { name: 'data/dpkg/status', data: DB_A }], [{ name: 'var/lib/dpkg', type: 'symlink', linkname: '/data/dpkg' }]]));
    const inv = await inventoryImage(image);
    expect(inv.packages).toEqual([]);
    expect(inv.unread).toEqual([expect.objectContaining({ path: '/var/lib/dpkg/status', cataloger: 'dpkg', kind: 'os-pkgdb', code: 'link', reason: expect.stringContaining('read-once') })]);
  });
});

describe('the second pass is bounded', () => {
  it('reads again only the layers whose directories hold a link target', async () => {
    const image = await imageOf([
      [OS_RELEASE, { name: 'usr/share/doc/a', data: 'x' }],
      [{ name: 'srv/keep/status.orig', data: DB_A }],
      [{ name: 'usr/bin/tool', data: 'y' }],
      [{ name: 'var/lib/dpkg/status', type: 'symlink', linkname: '/srv/keep/status.orig' }],
    ]);
    const r = await walkLayers(image.layers, [osDetector, ...CATALOGERS]);
    expect(r.redirects).toEqual([{ real: '/srv/keep/status.orig', name: '/var/lib/dpkg/status', dir: false }]);
    expect(r.reread).toEqual([1]);
  });

  it('a link to a location that is itself wanted needs no second pass (/var/lib/rpm -> ../../usr/lib/sysimage/rpm)', async () => {
    const image = await imageOf([
      [{ name: 'usr/lib/sysimage/rpm/rpmdb.sqlite', data: 'not really sqlite' }, { name: 'var/lib/rpm', type: 'symlink', linkname: '../../usr/lib/sysimage/rpm' }],
    ]);
    const r = await walkLayers(image.layers, [osDetector, ...CATALOGERS]);
    expect(r.redirects).toEqual([]);
    expect(r.reread).toEqual([]);
  });

  it('an image without such links is read once', async () => {
    const image = await imageOf([[OS_RELEASE, { name: 'var/lib/dpkg/status', data: DB_A }, { name: 'etc/alt', type: 'symlink', linkname: '/usr/bin/none' }]]);
    const r = await walkLayers(image.layers, [osDetector, ...CATALOGERS]);
    expect(r.redirects).toEqual([]);
    expect(r.reread).toEqual([]);
  });

  it('works with a layer store (first and second pass deltas through the codec), and a warm run agrees', async () => {
    const saved = new Map<string, Buffer>();
    const keyOf = (diffId: string, ws: readonly { name: string; version: number }[]) => `${diffId}|${ws.map((w) => `${w.name}@${w.version}`).sort().join(',')}`;
    let hits = 0;
    const store: LayerDeltaStore = {
      async get(layer, ws) {
        const b = saved.get(keyOf(layer.diffId, ws));
        if (b) hits++;
        return b ? deserialiseLayerDelta(b) : undefined;
      },
      async put(layer, ws, delta: LayerDelta) {
        saved.set(keyOf(layer.diffId, ws), serialiseLayerDelta(delta));
      },
    };
    const layers: Entry[][] = [
      [OS_RELEASE, { name: 'data/dpkg/status', data: DB_A }],
      [{ name: 'var/lib/dpkg', type: 'symlink', linkname: '/data/dpkg' }],
      [{ name: 'data/dpkg/status', data: DB_B }],
    ];
    // One image for both runs (tar-stream stamps entries with the current time).
    const image = await imageOf(layers);
    const cold = await inventoryImage(image, { store });
    expect(names(cold)).toEqual(['bash@5.2.15-2', 'curl@7.88.1-10', 'libssl3@3.0.15-1']);
    // 3 first-pass deltas + 2 second-pass deltas (layers 0 and 2 hold /data/dpkg)
    expect(saved.size).toBe(5);
    const warm = await inventoryImage(image, { store });
    expect(hits).toBe(5);
    expect(warm).toEqual(cold);
  });

  it('a fresh runner finds the second pass\'s deltas too: its keys are looked up in a batch (prefetch), as a shared cache answers', async () => {
    // A shared tier as the fleet's: what other runners stored, reachable only through prefetch().
    const shared = new Map<string, Buffer>();
    const keyOf = (diffId: string, ws: readonly { name: string; version: number }[]) => `${diffId}|${ws.map((w) => `${w.name}@${w.version}`).join(',')}`;
    const freshRunner = () => {
      const fetched = new Map<string, Buffer>();
      const prefetched: number[] = [];
      const got = { hits: 0, misses: 0 };
      const store: LayerDeltaStore = {
        async prefetch(layers, ws) {
          prefetched.push(layers.length);
          for (const l of layers) {
            const b = shared.get(keyOf(l.diffId, ws));
            if (b) fetched.set(keyOf(l.diffId, ws), b);
          }
        },
        async get(layer, ws) {
          const b = fetched.get(keyOf(layer.diffId, ws));
          got[b ? 'hits' : 'misses']++;
          return b ? deserialiseLayerDelta(b) : undefined;
        },
        async put(layer, ws, delta: LayerDelta) {
          shared.set(keyOf(layer.diffId, ws), serialiseLayerDelta(delta));
        },
      };
      return { store, prefetched, got };
    };
    const image = await imageOf([
      [OS_RELEASE, { name: 'data/dpkg/status', data: DB_A }],
      [{ name: 'var/lib/dpkg', type: 'symlink', linkname: '/data/dpkg' }],
      [{ name: 'data/dpkg/status', data: DB_B }],
    ]);
    const first = freshRunner();
    const cold = await inventoryImage(image, { store: first.store });
    // 3 first-pass lookups, then 2 for the layers that hold /data/dpkg, each pass in one batch.
    expect(first.prefetched).toEqual([3, 2]);
    expect(first.got).toEqual({ hits: 0, misses: 5 });
    expect(shared.size).toBe(5);

    const second = freshRunner();
    const warm = await inventoryImage(image, { store: second.store });
    expect(second.prefetched).toEqual([3, 2]);
    expect(second.got).toEqual({ hits: 5, misses: 0 });
    expect(warm).toEqual(cold);
  });
});

describe('unread package files', () => {
  it('a dpkg status over the size limit is unread (too-large), also behind a link', async () => {
    const small = { ...dpkgCataloger, maxFileSize: 64 };
    const inv = await inventoryOf([[OS_RELEASE, { name: 'var/lib/dpkg/status', data: DB_A }]], [small]);
    expect(inv.packages).toEqual([]);
    expect(inv.unread).toEqual([expect.objectContaining({ path: '/var/lib/dpkg/status', cataloger: 'dpkg', kind: 'os-pkgdb', code: 'too-large', layer: 0 })]);
    expect(inv.unread[0]!.reason).toMatch(/over the 64-byte limit/);
    expect(inv.warnings.map((w) => w.code)).toContain('walker.file-too-large');

    const linked = await inventoryOf([[OS_RELEASE, { name: 'srv/s', data: DB_A }, { name: 'var/lib/dpkg/status', type: 'symlink', linkname: '/srv/s' }]], [small]);
    expect(linked.unread).toEqual([expect.objectContaining({ path: '/var/lib/dpkg/status', code: 'too-large' })]);
  });

  it('a file over one wanter’s limit is still read for another (a 100 KiB status.d file: dpkg yes, the OS detector no)', async () => {
    const big = `Package: bigpkg\nStatus: install ok installed\nVersion: 1.0\nDescription: x\n${' .\n'.repeat(40 * 1024)}\n`;
    expect(big.length).toBeGreaterThan(64 * 1024);
    const image = await imageOf([[{ name: 'var/lib/dpkg/status.d/bigpkg', data: big }, { name: 'etc/debian_version', data: '12.5\n' }]]);
    const r = await walkLayers(image.layers, [osDetector, dpkgCataloger]);
    expect([...r.fs.files.keys()].sort()).toEqual(['/etc/debian_version', '/var/lib/dpkg/status.d/bigpkg']);
    expect(r.fs.unread.get('/var/lib/dpkg/status.d/bigpkg')).toMatchObject({ wanters: ['os-detect'], code: 'too-large' });
    const inv = await inventoryImage(await imageOf([[{ name: 'var/lib/dpkg/status.d/bigpkg', data: big }, { name: 'etc/debian_version', data: '12.5\n' }]]));
    expect(names(inv)).toEqual(['bigpkg@1.0']);
    // the OS detector is not a cataloger: its limit gives a warning, not an unread package file
    expect(inv.unread).toEqual([]);
    expect(inv.warnings.map((w) => w.code)).toEqual(['walker.file-too-large']);
  });

  it('a too-large db replaced by a readable one later is not unread', async () => {
    const small = { ...dpkgCataloger, maxFileSize: 100 };
    const inv = await inventoryOf([[{ name: 'var/lib/dpkg/status', data: DB_A }], [{ name: 'var/lib/dpkg/status', data: stanza('a', '1') }]], [small]);
    expect(names(inv)).toEqual(['a@1']);
    expect(inv.unread).toEqual([]);
  });

  it('a dpkg status with no parseable stanza is unread (malformed); its content is never quoted', async () => {
    const inv = await inventoryOf([[OS_RELEASE, { name: 'var/lib/dpkg/status', data: 'SECRET-TOKEN-abc123\nnot a control file\n' }]]);
    expect(inv.packages).toEqual([]);
    expect(inv.unread).toEqual([expect.objectContaining({ path: '/var/lib/dpkg/status', cataloger: 'dpkg', kind: 'os-pkgdb', code: 'malformed' })]);
    expect(JSON.stringify(inv.unread)).not.toContain('SECRET');
  });

  it('an empty dpkg status, or one with only removed packages, is read (nothing installed)', async () => {
    const removed = 'Package: gone\nStatus: purge ok not-installed\nVersion: 1\n\n';
    for (const data of ['', removed]) {
      const inv = await inventoryOf([[OS_RELEASE, { name: 'var/lib/dpkg/status', data }]]);
      expect(inv.unread).toEqual([]);
    }
  });

  it('a malformed rpmdb is unread (malformed)', async () => {
    const garbage = Buffer.alloc(8192);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) & 0xff;
    for (const name of ['var/lib/rpm/Packages', 'var/lib/rpm/rpmdb.sqlite', 'usr/lib/sysimage/rpm/Packages.db']) {
      const inv = await inventoryOf([[{ name: 'etc/os-release', data: 'ID=rocky\nVERSION_ID=9.3\n' }, { name, data: garbage }]]);
      expect(inv.unread).toEqual([expect.objectContaining({ path: `/${name}`, cataloger: 'rpm-db', kind: 'os-pkgdb', code: 'malformed' })]);
    }
  });

  it('an apk installed db with no valid stanza is unread (malformed)', async () => {
    const inv = await inventoryOf([[{ name: 'lib/apk/db/installed', data: 'X:nothing\nY:here\n\n' }]], [apkCataloger]);
    expect(inv.unread).toEqual([expect.objectContaining({ path: '/lib/apk/db/installed', cataloger: 'apk', code: 'malformed' })]);
  });

  it('a cataloger that throws leaves its files unread (error), and the warning stays', async () => {
    const boom: Cataloger = {
      name: 'boom-os',
      version: 1,
      kind: 'os',
      attribution: 'history',
      wants: (p) => p === '/var/lib/boom/db',
      parse: () => {
        throw new TypeError('SECRET content in message');
      },
    };
    const inv = await inventoryOf([[{ name: 'var/lib/boom/db', data: 'x' }]], [boom, rpmCataloger]);
    expect(inv.unread).toEqual([{ path: '/var/lib/boom/db', cataloger: 'boom-os', kind: 'os-pkgdb', code: 'error', reason: 'cataloger boom-os failed (TypeError); see warnings', layer: 0 }]);
    expect(inv.warnings.map((w) => w.code)).toEqual(['cataloger.error']);
  });

  it('a dpkg status stored as a GNU sparse entry (tar --sparse) is unread (unreadable), never an absent db', async () => {
    const root = tree({ files: { 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n', 'var/lib/dpkg/status': DB_A } });
    await run('truncate', ['-s', '2M', join(root, 'var/lib/dpkg/status')]); // a hole after the stanzas
    const f = join(tmp, `sparse-${dirs++}.tar`);
    await run('tar', ['-C', root, '--sparse', '--format=gnu', '--owner=0', '--group=0', '-cf', f, '.']);
    const { stdout } = await run('python3', ['-c', 'import sys,tarfile; print([m.type.decode() for m in tarfile.open(sys.argv[1]) if m.name.endswith("status")][0])', f]);
    expect(stdout.trim()).toBe('S');
    const inv = await inventoryImage(imageOfTars([readFileSync(f)]));
    expect(inv.packages).toEqual([]);
    expect(inv.unread).toEqual([expect.objectContaining({ path: '/var/lib/dpkg/status', cataloger: 'dpkg', kind: 'os-pkgdb', code: 'unreadable' })]);
    expect(inv.warnings.map((w) => w.code)).toContain('walker.entry-type');
  });

  it('an image that names its OS but holds none of its package db (rm -rf /var/lib/dpkg) is an unread OS db (missing)', async () => {
    const inv = await inventoryOf([
      [OS_RELEASE, { name: 'var/lib/dpkg/status', data: DB_A }, { name: 'usr/bin/curl', data: 'x' }],
      [{ name: 'var/lib/.wh.dpkg', data: '' }],
    ]);
    expect(inv.packages).toEqual([]);
    expect(inv.unread).toEqual([
      { path: '/var/lib/dpkg/status', cataloger: 'dpkg', kind: 'os-pkgdb', code: 'missing', layer: 0, reason: '/etc/os-release says Debian, but the image holds no dpkg package database; its OS packages are unknown' },
    ]);
  });

  it('the same for Alpine (apk) and Amazon Linux (rpm)', async () => {
    const alpine = await inventoryOf([[{ name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.20.3\n' }]]);
    expect(alpine.unread).toEqual([expect.objectContaining({ cataloger: 'apk', code: 'missing', path: '/lib/apk/db/installed' })]);
    const amzn = await inventoryOf([[{ name: 'etc/os-release', data: 'ID="amzn"\nVERSION_ID="2"\n' }]]);
    expect(amzn.unread).toEqual([expect.objectContaining({ cataloger: 'rpm-db', code: 'missing', kind: 'os-pkgdb' })]);
  });

  it('not missing: an empty dpkg status, a distroless status.d, no OS named, or dpkg left out of the scan', async () => {
    expect((await inventoryOf([[OS_RELEASE, { name: 'var/lib/dpkg/status', data: '' }]])).unread).toEqual([]);
    expect((await inventoryOf([[OS_RELEASE, { name: 'var/lib/dpkg/status.d/base', data: stanza('base-files', '12.4') }]])).unread).toEqual([]);
    expect((await inventoryOf([[{ name: 'usr/bin/x', data: 'x' }]])).unread).toEqual([]);
    const npmOnly = CATALOGERS.filter((c) => c.name === 'npm');
    expect((await inventoryOf([[OS_RELEASE]], npmOnly)).unread).toEqual([]);
  });

  it('a language manifest that is not JSON is unread (manifest, malformed)', async () => {
    const inv = await inventoryOf([[{ name: 'app/node_modules/left-pad/package.json', data: '{"name": "left-pad", ' }]]);
    expect(inv.unread).toEqual([
      expect.objectContaining({ path: '/app/node_modules/left-pad/package.json', cataloger: 'npm', kind: 'manifest', code: 'malformed' }),
    ]);
  });
});

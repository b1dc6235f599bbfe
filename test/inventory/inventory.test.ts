import { describe, expect, it } from 'vitest';
import type { Cataloger } from '../../src/inventory/cataloger.js';
import { inventoryImage } from '../../src/inventory/inventory.js';
import { imageOf } from './tar-layers.js';

const stanza = (name: string, version: string) => `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n\n`;
const STATUS = 'var/lib/dpkg/status';

describe('inventoryImage', () => {
  it('attributes history packages to the first layer whose db lists them', async () => {
    const image = await imageOf([
      [{ name: 'etc/os-release', data: 'ID=debian\nVERSION_ID="12"\n' }, { name: STATUS, data: stanza('a', '1') + stanza('b', '1') }],
      [{ name: 'usr/bin/unrelated', data: 'x' }],
      [{ name: STATUS, data: stanza('a', '1') + stanza('b', '2') + stanza('c', '1') }],
      [{ name: STATUS, data: stanza('a', '1') + stanza('b', '2') + stanza('c', '1') + stanza('d', '1') }],
    ]);
    const inv = await inventoryImage(image);
    expect(inv.osEcosystem).toBe('Debian:12');
    expect(inv.packages.map((p) => [p.name, p.version, p.layer.index, p.layer.createdBy])).toEqual([
      ['a', '1', 0, 'step 0'],
      ['b', '2', 2, 'step 2'],
      ['c', '1', 2, 'step 2'],
      ['d', '1', 3, 'step 3'],
    ]);
    expect(inv.packages[0].purl).toBe('pkg:deb/debian/a@1?arch=amd64&distro=debian-12');
  });

  it('a package removed by a later layer’s whiteout of the db is gone', async () => {
    const image = await imageOf([
      [{ name: STATUS, data: stanza('a', '1') }],
      [{ name: 'var/lib/dpkg/.wh.status', data: '' }],
    ]);
    expect((await inventoryImage(image)).packages).toEqual([]);
  });

  it('a crashing cataloger becomes a warning and the scan goes on', async () => {
    const boom: Cataloger = {
      name: 'boom', version: 1, kind: 'language', attribution: 'file',
      wants: (p) => p === '/app/x.json',
      parse: () => { throw new Error('kaboom'); },
    };
    const fine: Cataloger = {
      name: 'fine', version: 1, kind: 'language', attribution: 'file',
      wants: (p) => p === '/app/y',
      parse: (files) => files.map((f) => ({
        name: 'y', version: f.data.toString(), type: 'npm' as const, ecosystem: 'npm', purl: `pkg:npm/y@${f.data.toString()}`,
        path: f.path, layer: f.layer, foundBy: 'fine',
      })),
    };
    const image = await imageOf([[{ name: 'app/x.json', data: '{' }], [{ name: 'app/y', data: '9' }]]);
    const inv = await inventoryImage(image, { catalogers: [boom, fine] });
    expect(inv.packages.map((p) => [p.name, p.layer.index])).toEqual([['y', 1]]);
    expect(inv.warnings).toHaveLength(1);
    expect(inv.warnings[0]).toMatchObject({ code: 'cataloger.error', path: '/app/x.json' });
    expect(inv.warnings[0].message).toContain('boom');
    expect(inv.warnings[0].message).toContain('kaboom');
  });

  it('detects alpine and catalogs apk', async () => {
    const image = await imageOf([[
      { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
      { name: 'usr/lib/os-release', data: 'ID=alpine\nVERSION_ID=3.20.3\n' },
      { name: 'lib/apk/db/installed', data: 'P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\nL:MIT\n\nP:busybox\nV:1.36.1-r29\nA:x86_64\nD:so:libc.musl-x86_64.so.1 musl\n\n' },
    ]]);
    const inv = await inventoryImage(image);
    expect(inv.os).toMatchObject({ id: 'alpine', detectedFrom: '/etc/os-release' });
    expect(inv.osEcosystem).toBe('Alpine:v3.20');
    expect(inv.packages.map((p) => p.purl)).toEqual([
      'pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=alpine-3.20.3',
      'pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3',
    ]);
    expect(inv.packages[0]).toMatchObject({ sourceName: 'busybox', sourceVersion: '1.36.1-r29', dependsOn: ['musl'] });
    expect(inv.packages[1].licenses).toEqual(['MIT']);
  });
});

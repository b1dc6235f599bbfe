// test-tier: full (inflates hundreds of MiB and measures this process's RSS)
// Hostile or broken files: a warning naming the path, the other files still catalogued, no crash,
// memory bounded.
import { deflateRawSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { zipOf } from '../../helpers/zip.js';
import { goBinaryCataloger, javaArchiveCataloger, npmCataloger } from '../../../src/inventory/lang/index.js';
import { HAVE_SHARED, shared } from '../../helpers/shared.js';
import { nv, run, walked } from './helpers.js';

const pom = (g: string, a: string, v: string) => Buffer.from(`groupId=${g}\nartifactId=${a}\nversion=${v}\n`);

/** A stored zip whose single entry declares a small size but inflates to `actual` bytes. */
function lyingZip(name: string, actual: number, declared: number): Buffer {
  const raw = deflateRawSync(Buffer.alloc(actual));
  const nameBuf = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(0, 14); // crc (checked after the size check trips)
  local.writeUInt32LE(raw.length, 18);
  local.writeUInt32LE(declared, 22);
  local.writeUInt16LE(nameBuf.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(raw.length, 20);
  central.writeUInt32LE(declared, 24);
  central.writeUInt16LE(nameBuf.length, 28);
  central.writeUInt32LE(0, 42);
  const cdOffset = 30 + nameBuf.length + raw.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + nameBuf.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, nameBuf, raw, central, nameBuf, end]);
}

describe('language catalogers on bad input', () => {
  it('zip bombs: a huge declared size and a lying small one both stop with a warning; the good jar is still found', async () => {
    const good = walked('/app/good-1.0.jar', await zipOf([{ name: 'META-INF/maven/g/good/pom.properties', data: pom('g', 'good', '1.0') }]));
    // 1 GiB of zeros compresses to ~1 MiB: over the 512 MiB budget by its declared size.
    const big = Buffer.alloc(64 * 1024 * 1024);
    const parts = Array.from({ length: 10 }, (_, i) => ({ name: `lib/part${i}.jar`, data: big }));
    const bombDeclared = walked('/app/bomb.jar', await zipOf(parts));
    const bombLying = walked('/app/liar.jar', lyingZip('lib/inner.jar', 8 * 1024 * 1024, 100));
    const rss = process.memoryUsage().rss;
    const { packages, warnings } = await run(javaArchiveCataloger, [good, bombDeclared, bombLying]);
    expect(packages.map(nv)).toEqual(['g:good@1.0']);
    expect([...new Set(warnings.map((w) => w.path))].sort()).toEqual(['/app/bomb.jar', '/app/liar.jar']);
    for (const path of ['/app/bomb.jar', '/app/liar.jar']) {
      expect(warnings.some((w) => w.path === path && /zip bomb/.test(w.message)), path).toBe(true);
    }
    expect(bombDeclared.data.length).toBeLessThan(2 * 1024 * 1024);
    // Not everything was inflated into memory at once.
    expect(process.memoryUsage().rss - rss).toBeLessThan(400 * 1024 * 1024);
  }, 60_000);

  it('20-deep nested jars: read to depth 8, then one warning', async () => {
    let jar = await zipOf([{ name: 'META-INF/maven/deep/level20/pom.properties', data: pom('deep', 'level20', '1') }]);
    for (let i = 19; i >= 0; i--) {
      jar = await zipOf([
        { name: `META-INF/maven/deep/level${i}/pom.properties`, data: pom('deep', `level${i}`, '1') },
        { name: `lib/level${i + 1}.jar`, data: jar },
      ]);
    }
    const { packages, warnings } = await run(javaArchiveCataloger, [walked('/app/deep.jar', jar)]);
    expect(packages.map((p) => p.name).sort()).toEqual(Array.from({ length: 9 }, (_, i) => `deep:level${i}`).sort());
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.path).toBe('/app/deep.jar');
    expect(warnings[0]!.code).toBe('java.nesting');
  });

  it('a .jar that is not a zip: warning, next file still read', async () => {
    const good = walked('/app/ok-2.0.jar', await zipOf([{ name: 'META-INF/maven/o/ok/pom.properties', data: pom('o', 'ok', '2.0') }]));
    const { packages, warnings } = await run(javaArchiveCataloger, [walked('/app/text.jar', Buffer.from('not a zip at all\n'.repeat(10))), good]);
    expect(packages.map(nv)).toEqual(['o:ok@2.0']);
    expect(warnings.map((w) => w.path)).toEqual(['/app/text.jar']);
    expect(warnings[0]!.message).toContain('/app/text.jar');
  });

  it('a jar entry whose bytes do not match its CRC-32: a warning, not coordinates read from corrupt data', async () => {
    const text = 'groupId=o\nartifactId=bad\nversion=1.0\n';
    const jar = await zipOf([{ name: 'META-INF/maven/o/bad/pom.properties', data: Buffer.from(text), compress: false }]);
    const at = jar.indexOf('version=1.0');
    jar[at + 8] = '7'.charCodeAt(0); // stored data now says 7.0; the CRC still says 1.0
    const { packages, warnings } = await run(javaArchiveCataloger, [walked('/app/bad.jar', jar)]);
    expect(packages.map(nv)).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual([expect.stringMatching(/CRC-32 mismatch/)]);
  });

  it.skipIf(!HAVE_SHARED)('a truncated Go binary: no crash, nothing invented; the intact one is still read', async () => {
    const elf = readFileSync(shared('data', 'pkgdb', 'lang', 'gobinary', 'trivy-test.elf', 'test.elf'));
    const files = [0x40, 4096, 1024 * 1024, elf.length - 100].map((n) => walked(`/usr/local/bin/cut${n}`, elf.subarray(0, n)));
    files.push(walked('/usr/local/bin/whole', elf));
    const ctx = await goBinaryCataloger.parse(files, { osEcosystem: '', warn: () => {} });
    expect(ctx.filter((p) => p.path === '/usr/local/bin/whole').map(nv)).toContain('stdlib@v1.15.2');
    for (const p of ctx.filter((x) => x.path !== '/usr/local/bin/whole')) expect(p.name).toMatch(/^(stdlib|github\.com|golang\.org)/);
  });

  it('package.json that is not JSON, and a 50 MB single-line one: warnings naming them; others found', async () => {
    const ok = walked('/app/node_modules/left-pad/package.json', Buffer.from(JSON.stringify({ name: 'left-pad', version: '1.3.0' })));
    const broken = walked('/app/node_modules/broken/package.json', Buffer.from('{"name": "broken", "version": '));
    const huge = walked('/app/node_modules/huge/package.json', Buffer.from(`{"name":"huge","version":"1.0.0","x":"${'a'.repeat(50 * 1024 * 1024)}"}`));
    const rss = process.memoryUsage().rss;
    const { packages, warnings } = await run(npmCataloger, [ok, broken, huge]);
    expect(packages.map(nv)).toEqual(['left-pad@1.3.0']);
    expect(warnings.map((w) => w.path).sort()).toEqual(['/app/node_modules/broken/package.json', '/app/node_modules/huge/package.json']);
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024);
  });
});

// The Java cataloger decodes only the entry names it acts on (src/util/zip-memory.ts `tail`): the
// names it must still find in every spelling the zip format allows — backslash separators (as
// DOS-era tools wrote them; read as `/`), archive extensions in any letter case, non-ASCII names
// (decoded the slow way) — and a directory named like an archive is still no archive.
import { describe, expect, it } from 'vitest';
import { zipOf } from '../../helpers/zip.js';
import { javaArchiveCataloger } from '../../../src/inventory/lang/index.js';
import { LAYER, nv, run, walked } from './helpers.js';

/** Every stored copy of `name` (local and central header) rewritten with `\` separators. */
function backslashed(zip: Buffer, name: string): Buffer {
  const from = Buffer.from(name);
  const to = Buffer.from(name.replaceAll('/', '\\'));
  const out = Buffer.from(zip);
  let n = 0;
  for (let at = out.indexOf(from); at >= 0; at = out.indexOf(from, at + 1)) {
    to.copy(out, at);
    n++;
  }
  if (n !== 2) throw new Error(`${name} found ${n} times, not in one local and one central header`);
  return out;
}

const pom = (g: string, a: string, v: string) => Buffer.from(`groupId=${g}\nartifactId=${a}\nversion=${v}\n`);

describe('java archive entry names', () => {
  it('finds pom.properties, MANIFEST.MF and nested archives however their names are spelt', async () => {
    const inner = await zipOf([{ name: 'META-INF/maven/org.inner/inner/pom.properties', data: pom('org.inner', 'inner', '2.0') }]);
    const upper = await zipOf([{ name: 'META-INF/MANIFEST.MF', data: Buffer.from('Manifest-Version: 1.0\r\nImplementation-Title: upper\r\nImplementation-Version: 3.1\r\nImplementation-Vendor-Id: org.upper\r\n\r\n') }]);
    const names = {
      pom: 'META-INF/maven/org.outer/outer/pom.properties',
      inner: 'BOOT-INF/lib/inner-2.0.jar',
      upper: 'WEB-INF/lib/UPPER.JAR',
      mixed: 'lib/plugin-1.4.Hpi',
      unicode: 'lib/Ünïcödé-5.0.jar',
    };
    const plugin = await zipOf([{ name: 'x.txt', data: Buffer.from('no coordinates inside') }]);
    const unicode = await zipOf([{ name: 'y.txt', data: Buffer.from('none here either') }]);
    let jar = await zipOf([
      { name: 'lib.jar/', dir: true },
      { name: names.pom, data: pom('org.outer', 'outer', '1.0') },
      { name: names.inner, data: inner },
      { name: names.upper, data: upper },
      { name: names.mixed, data: plugin },
      { name: names.unicode, data: unicode },
    ]);
    const expected = ['org.outer:outer@1.0', 'org.inner:inner@2.0', 'org.upper:upper@3.1', 'plugin@1.4', 'Ünïcödé@5.0'];
    const plain = await run(javaArchiveCataloger, [walked('/app/outer.jar', jar)]);
    expect(plain.warnings).toEqual([]);
    expect(plain.packages.map(nv).sort()).toEqual([...expected].sort());
    expect(plain.packages.find((p) => p.name === 'org.inner:inner')!.path).toBe('/app/outer.jar!/BOOT-INF/lib/inner-2.0.jar');

    for (const n of [names.pom, names.inner, names.upper, names.mixed]) jar = backslashed(jar, n);
    const dos = await run(javaArchiveCataloger, [walked('/app/outer.jar', jar)]);
    expect(dos.warnings).toEqual([]);
    expect(dos.packages.map(nv).sort()).toEqual([...expected].sort());
    // The path shows the name as read, with `/`.
    expect(dos.packages.find((p) => p.name === 'org.inner:inner')!.path).toBe('/app/outer.jar!/BOOT-INF/lib/inner-2.0.jar');
  });

  it('a backslashed MANIFEST.MF is still the manifest', async () => {
    const name = 'META-INF/MANIFEST.MF';
    const jar = await zipOf([{ name, data: Buffer.from('Manifest-Version: 1.0\r\nBundle-SymbolicName: org.example.tool\r\nBundle-Version: 7.2.0\r\n\r\n') }]);
    const found = await run(javaArchiveCataloger, [walked('/app/tool.jar', backslashed(jar, name))]);
    expect(found.packages.map(nv)).toEqual(['org.example:tool@7.2.0']);
  });

  it('the same archive in many places: one package per place, each with its own path and layer, as if made alone', async () => {
    // Coordinates and licenses from the manifest (a license list is the one array a package holds).
    const jar = await zipOf([
      { name: 'META-INF/MANIFEST.MF', data: Buffer.from('Manifest-Version: 1.0\r\nBundle-SymbolicName: org.example.a\r\nBundle-Version: 1.0\r\nBundle-License: Apache-2.0, MIT\r\n\r\n') },
    ]);
    const other = { ...LAYER, index: 3 };
    const places = [walked('/opt/svc0/lib/a.jar', jar), walked('/opt/svc1/lib/a.jar', jar, other), walked('/opt/svc2/lib/a.jar', jar)];
    const together = await run(javaArchiveCataloger, places);
    const alone = (await Promise.all(places.map((f) => run(javaArchiveCataloger, [f])))).flatMap((r) => r.packages);
    expect(together.packages).toEqual(alone);
    expect(JSON.stringify(together.packages)).toBe(JSON.stringify(alone));
    expect(together.packages[0]!.licenses).toEqual(['Apache-2.0', 'MIT']);
    expect(together.packages[1]!.licenses).not.toBe(together.packages[0]!.licenses);
    expect(together.packages.map((p) => [p.path, p.layer.index])).toEqual([['/opt/svc0/lib/a.jar', 0], ['/opt/svc1/lib/a.jar', 3], ['/opt/svc2/lib/a.jar', 0]]);
  });
});

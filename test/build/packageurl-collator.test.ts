// scripts/packageurl-collator.mjs: the CLI bundle's packageurl-js compares its component names by
// code point instead of building an Intl.Collator (ICU's collation data, 8-21 ms a cold run here).
// The purls it builds and parses must be exactly the installed library's.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { buildCli } from '../helpers/build-cli.js';
// @ts-expect-error: a build script, plain JavaScript
import { COLLATOR_LINE, packageurlCollator } from '../../scripts/packageurl-collator.mjs';

const require = createRequire(import.meta.url);
type Lib = typeof import('packageurl-js');
const dir = mkdtempSync(join(tmpdir(), 'portcullis-purl-collator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** packageurl-js bundled with `plugins`, loaded. */
async function bundled(root: string, plugins: Plugin[]): Promise<Lib> {
  const out = await build({ stdin: { contents: "module.exports = require('packageurl-js');", resolveDir: root }, bundle: true, write: false, platform: 'node', format: 'cjs', plugins, logLevel: 'silent' });
  const module = { exports: {} as Lib };
  new Function('module', 'exports', 'require', out.outputFiles[0]!.text)(module, module.exports, require);
  return module.exports;
}

const PURLS = [
  'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12',
  'pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&distro=rhel-9.4',
  'pkg:npm/%40babel/core@7.24.0',
  'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar',
  'pkg:pypi/django-rest-framework@3.15.1',
  'pkg:golang/github.com/gin-gonic/gin@v1.9.1#binding',
  'pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=3.19.1',
  'pkg:gem/rails@7.1.3',
  'pkg:cargo/serde@1.0.197',
  'pkg:nuget/Newtonsoft.Json@13.0.3',
  'pkg:composer/laravel/framework@10.48.4',
];

describe('the packageurl-js collator plugin', () => {
  it('builds and parses every purl exactly as the installed library does', async () => {
    const real = require('packageurl-js') as Lib;
    const patched = await bundled(PROJECT_ROOT, [packageurlCollator(PROJECT_ROOT) as Plugin]);
    for (const purl of PURLS) {
      const a = real.PackageURL.fromString(purl);
      const b = patched.PackageURL.fromString(purl);
      expect(JSON.parse(JSON.stringify(b)), purl).toEqual(JSON.parse(JSON.stringify(a)));
      expect(b.toString(), purl).toBe(a.toString());
      const made = (lib: Lib) => new lib.PackageURL(a.type, a.namespace, a.name, a.version, a.qualifiers, a.subpath).toString();
      expect(made(patched), purl).toBe(made(real));
    }
    // The component helpers, sorted at load with the comparator, come out in the same order.
    expect(Object.keys(patched.PurlComponent)).toEqual(Object.keys(real.PurlComponent));
  });

  it('the built CLI has no Intl.Collator', () => {
    buildCli();
    const bundle = join(PROJECT_ROOT, 'dist/cli-bundle');
    const withPurl = readdirSync(bundle).filter((f) => f.endsWith('.js.map') && readFileSync(join(bundle, f), 'utf8').includes('packageurl-js/src/strings.js'));
    expect(withPurl).toHaveLength(1);
    expect(readFileSync(join(bundle, withPurl[0]!.replace(/\.map$/, '')), 'utf8')).not.toMatch(/Intl\.Collator/);
  });

  it('fails the build when packageurl-js no longer has the line it replaces', async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'node_modules'), { recursive: true });
    cpSync(join(PROJECT_ROOT, 'node_modules/packageurl-js'), join(root, 'node_modules/packageurl-js'), { recursive: true });
    const strings = join(root, 'node_modules/packageurl-js/src/strings.js');
    writeFileSync(strings, readFileSync(strings, 'utf8').replace(COLLATOR_LINE, 'const { compare: localeCompare } = new Intl.Collator("en")'));
    await expect(bundled(root, [packageurlCollator(root) as Plugin])).rejects.toThrow(/no longer reads/);
  });
});

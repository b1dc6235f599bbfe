// The catalogers that had no tests of their own: RubyGems specifications, Cargo.lock (one written
// by the real cargo, others in the v1 and v3 layouts) and cargo-auditable sections of real ELFs, Composer
// installed.json v1/v2 and composer.lock, .NET deps.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { composerCataloger, dotnetDepsCataloger, gemspecCataloger, rustCataloger } from '../../../src/inventory/lang/index.js';
import { cachedFixture } from '../../fixtures/cache.js';
import { nv, run, walked } from './helpers.js';

const THIS = fileURLToPath(import.meta.url);
const file = (path: string, text: string) => walked(path, Buffer.from(text));

function has(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('gemspec', () => {
  // As RubyGems writes an installed gem's spec, and a default gem's spec shipped with Ruby.
  const installed = `# -*- encoding: utf-8 -*-
# stub: nokogiri 1.13.10 x86_64-linux lib

Gem::Specification.new do |s|
  s.name = "nokogiri".freeze
  s.version = "1.13.10"
  s.platform = "x86_64-linux".freeze
  s.require_paths = ["lib".freeze]
  s.licenses = ["MIT".freeze]
  s.rubygems_version = "3.3.26".freeze
  s.summary = "Nokogiri (\\u92F8) makes it easy and painless to work with XML and HTML from Ruby.".freeze
  s.installed_by_version = "3.3.26" if s.respond_to? :installed_by_version
  if s.respond_to? :add_runtime_dependency then
    s.add_runtime_dependency(%q<racc>.freeze, ["~> 1.4"])
  end
end
`;
  const defaultGem = `# -*- encoding: utf-8 -*-
# stub: json 2.6.1 ruby lib
# stub: ext/json/extconf.rb

Gem::Specification.new do |s|
  s.name = "json".freeze
  s.version = "2.6.1"
  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.authors = ["Florian Frank".freeze]
  s.license = "Ruby".freeze
  s.summary = "JSON Implementation for Ruby".freeze
end
`;

  it('reads name, version and licences of installed and default gem specifications', async () => {
    const { packages, warnings } = await run(gemspecCataloger, [
      file('/usr/local/bundle/specifications/nokogiri-1.13.10-x86_64-linux.gemspec', installed),
      file('/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec', defaultGem),
    ]);
    expect(warnings).toEqual([]);
    expect(packages.map((p) => [p.name, p.version, p.purl, p.ecosystem, p.licenses, p.path])).toEqual([
      ['nokogiri', '1.13.10', 'pkg:gem/nokogiri@1.13.10', 'RubyGems', ['MIT'], '/usr/local/bundle/specifications/nokogiri-1.13.10-x86_64-linux.gemspec'],
      ['json', '2.6.1', 'pkg:gem/json@2.6.1', 'RubyGems', ['Ruby'], '/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec'],
    ]);
  });

  it('ignores a gem source tree\'s own .gemspec (not an installed specification)', async () => {
    const { packages } = await run(gemspecCataloger, [file('/usr/local/bundle/gems/rack-2.2.3/rack.gemspec', installed)]);
    expect(packages).toEqual([]);
  });

  it('warns about a specification with no name or version', async () => {
    const { packages, warnings } = await run(gemspecCataloger, [file('/gems/specifications/broken.gemspec', 'Gem::Specification.new do |s|\nend\n')]);
    expect(packages).toEqual([]);
    expect(warnings.map((w) => [w.code, w.path])).toEqual([['gem.gemspec', '/gems/specifications/broken.gemspec']]);
  });
});

describe('Cargo.lock', () => {
  const haveCargo = has('cargo', ['--version']);
  if (!haveCargo) console.warn('[portcullis tests] `cargo` is not installed (Debian package cargo): the real-cargo Cargo.lock and binary cases are skipped');
  it.skipIf(!haveCargo)('a lockfile written by the real cargo (path dependency, current format)', async () => {
    const dir = await cachedFixture('lang-cargo-lock', [THIS], async (d) => {
      mkdirSync(join(d, 'app/src'), { recursive: true });
      mkdirSync(join(d, 'app/helper/src'), { recursive: true });
      writeFileSync(join(d, 'app/Cargo.toml'), '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nhelper = { path = "helper" }\n');
      writeFileSync(join(d, 'app/src/main.rs'), 'fn main() { println!("{}", helper::answer()); }\n');
      writeFileSync(join(d, 'app/helper/Cargo.toml'), '[package]\nname = "helper"\nversion = "0.2.0"\nedition = "2021"\n');
      writeFileSync(join(d, 'app/helper/src/lib.rs'), 'pub fn answer() -> u32 { 42 }\n');
      execFileSync('cargo', ['build', '--offline', '--release', '-q'], { cwd: join(d, 'app'), env: { ...process.env, CARGO_TARGET_DIR: join(d, 'target') }, stdio: 'ignore' });
      execFileSync('cp', [join(d, 'target/release/app'), join(d, 'app-bin')]);
      // The section cargo-auditable embeds (zlib-compressed JSON; dependencies are indexes into
      // packages), added with binutils to the real ELF since cargo-auditable itself is not here.
      const audit = { packages: [
        { name: 'app', version: '0.1.0', source: 'local', dependencies: [1, 2], root: true },
        { name: 'helper', version: '0.2.0', source: 'local' },
        { name: 'serde', version: '1.0.152', source: 'crates.io' },
        { name: 'cc', version: '1.0.79', source: 'crates.io', kind: 'build' },
      ] };
      writeFileSync(join(d, 'dep-v0'), deflateSync(JSON.stringify(audit)));
      execFileSync('objcopy', ['--add-section', `.dep-v0=${join(d, 'dep-v0')}`, '--set-section-flags', '.dep-v0=noload,readonly', join(d, 'app-bin'), join(d, 'app-audited')]);
      execFileSync('rm', ['-rf', join(d, 'target')]);
    });
    const lock = readFileSync(join(dir, 'app/Cargo.lock'), 'utf8');
    expect(lock).toMatch(/^version = \d/m);
    const { packages, warnings } = await run(rustCataloger, [walked('/src/app/Cargo.lock', Buffer.from(lock))]);
    expect(warnings).toEqual([]);
    expect(packages.map(nv).sort()).toEqual(['app@0.1.0', 'helper@0.2.0']);
    expect(packages.find((p) => p.name === 'app')!.dependsOn).toEqual(['pkg:cargo/helper@0.2.0']);
    // A plain cargo build has no cargo-auditable section: the binary yields nothing, silently.
    const elf = readFileSync(join(dir, 'app-bin'));
    expect(rustCataloger.wants('/usr/local/bin/app', elf.length)).toBe(true);
    const bin = await run(rustCataloger, [{ ...walked('/usr/local/bin/app', elf), mode: 0o100755 }]);
    expect(bin).toEqual({ packages: [], warnings: [] });
    // The same ELF with a .dep-v0 section: every crate, build-only ones flagged dev.
    const audited = await run(rustCataloger, [{ ...walked('/usr/local/bin/app', readFileSync(join(dir, 'app-audited'))), mode: 0o100755 }]);
    expect(audited.warnings).toEqual([]);
    expect(audited.packages.map(nv)).toEqual(['app@0.1.0', 'helper@0.2.0', 'serde@1.0.152', 'cc@1.0.79 (dev)']);
    expect(audited.packages[0]!.dependsOn).toEqual(['pkg:cargo/helper@0.2.0', 'pkg:cargo/serde@1.0.152']);
  }, 300_000);

  it('v1 layout: dependencies name "crate version (source)", checksums in [metadata]', async () => {
    const v1 = `[[package]]
name = "demo"
version = "0.1.0"
dependencies = [
 "libc 0.2.139 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "libc"
version = "0.2.139"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum libc 0.2.139 (registry+https://github.com/rust-lang/crates.io-index)" = "201de327520df007757c1f0adce6e827fe8562fbc28bfd9c15571c66ca1f5f79"
`;
    const { packages, warnings } = await run(rustCataloger, [file('/src/demo/Cargo.lock', v1)]);
    expect(warnings).toEqual([]);
    expect(packages.map((p) => [p.name, p.version, p.purl, p.ecosystem])).toEqual([
      ['demo', '0.1.0', 'pkg:cargo/demo@0.1.0', 'crates.io'],
      ['libc', '0.2.139', 'pkg:cargo/libc@0.2.139', 'crates.io'],
    ]);
    expect(packages[0]!.dependsOn).toEqual(['pkg:cargo/libc@0.2.139']);
  });

  it('v3: two versions of one crate, dependencies disambiguated by "name version"', async () => {
    const v3 = `version = 3

[[package]]
name = "rand"
version = "0.7.3"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "rand"
version = "0.8.5"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "tool"
version = "1.0.0"
dependencies = [
 "rand 0.8.5",
]
`;
    const { packages } = await run(rustCataloger, [file('/src/tool/Cargo.lock', v3)]);
    expect(packages.map(nv)).toEqual(['rand@0.7.3', 'rand@0.8.5', 'tool@1.0.0']);
    expect(packages.find((p) => p.name === 'tool')!.dependsOn).toEqual(['pkg:cargo/rand@0.8.5']);
  });

  it('warns about a lockfile that is not TOML', async () => {
    const { packages, warnings } = await run(rustCataloger, [file('/src/x/Cargo.lock', '[[package]\nname = ')]);
    expect(packages).toEqual([]);
    expect(warnings.map((w) => w.code)).toEqual(['cargo.lock']);
  });

  const auditable = has('cargo', ['auditable', '--version']);
  if (!auditable) console.warn('[portcullis tests] `cargo auditable` is not installed (crates.io is unreachable here): the cargo-auditable binary case is skipped');
  it.skipIf(!auditable)('a binary built with cargo auditable lists its crates', async () => {
    const dir = await cachedFixture('lang-cargo-auditable', [THIS], async (d) => {
      mkdirSync(join(d, 'src'), { recursive: true });
      writeFileSync(join(d, 'Cargo.toml'), '[package]\nname = "audited"\nversion = "0.3.0"\nedition = "2021"\n');
      writeFileSync(join(d, 'src/main.rs'), 'fn main() { println!("audited"); }\n');
      execFileSync('cargo', ['auditable', 'build', '--offline', '--release', '-q'], { cwd: d, stdio: 'ignore' });
    });
    const { packages, warnings } = await run(rustCataloger, [{ ...walked('/usr/local/bin/audited', readFileSync(join(dir, 'target/release/audited'))), mode: 0o100755 }]);
    expect(warnings).toEqual([]);
    expect(packages.map(nv)).toEqual(['audited@0.3.0']);
  }, 300_000);
});

describe('Composer', () => {
  const pkgs = [
    { name: 'monolog/monolog', version: '2.9.1', require: { php: '>=7.2', 'psr/log': '^1.0.1 || ^2.0 || ^3.0' }, license: ['MIT'], type: 'library' },
    { name: 'psr/log', version: '1.1.4', require: { php: '>=5.3.0' }, license: ['MIT'], type: 'library' },
    { name: 'phpunit/php-timer', version: '5.0.3', require: { php: '>=7.3' }, license: ['BSD-3-Clause'], type: 'library' },
  ];

  it('installed.json v1 (Composer 1: a plain array)', async () => {
    const { packages, warnings } = await run(composerCataloger, [file('/var/www/vendor/composer/installed.json', JSON.stringify(pkgs.slice(0, 2)))]);
    expect(warnings).toEqual([]);
    expect(packages.map((p) => [p.name, p.version, p.purl, p.ecosystem, p.licenses, p.dev ?? false])).toEqual([
      ['monolog/monolog', '2.9.1', 'pkg:composer/monolog/monolog@2.9.1', 'Packagist', ['MIT'], false],
      ['psr/log', '1.1.4', 'pkg:composer/psr/log@1.1.4', 'Packagist', ['MIT'], false],
    ]);
    expect(packages[0]!.dependsOn).toEqual(['pkg:composer/psr/log@1.1.4']);
  });

  it('installed.json v2 (Composer 2: {packages, dev-package-names}) flags dev packages', async () => {
    const doc = { packages: pkgs, dev: true, 'dev-package-names': ['phpunit/php-timer'] };
    const { packages, warnings } = await run(composerCataloger, [file('/var/www/vendor/composer/installed.json', JSON.stringify(doc))]);
    expect(warnings).toEqual([]);
    expect(packages.map(nv)).toEqual(['monolog/monolog@2.9.1', 'psr/log@1.1.4', 'phpunit/php-timer@5.0.3 (dev)']);
  });

  it('composer.lock of a project without vendor/: packages and packages-dev (dev)', async () => {
    const lock = { _readme: ['This file locks the dependencies of your project to a known state'], 'content-hash': 'f1c4b1e1a0b3d1f0e6d9f0a7a2c7d7b1', packages: pkgs.slice(0, 2), 'packages-dev': pkgs.slice(2), aliases: [], 'minimum-stability': 'stable' };
    const { packages } = await run(composerCataloger, [file('/srv/site/composer.lock', JSON.stringify(lock))]);
    expect(packages.map(nv)).toEqual(['monolog/monolog@2.9.1', 'psr/log@1.1.4', 'phpunit/php-timer@5.0.3 (dev)']);
  });

  it('composer.lock next to an installed vendor/ is not counted twice', async () => {
    const lock = { packages: pkgs, 'packages-dev': [] };
    const { packages } = await run(composerCataloger, [
      file('/srv/site/composer.lock', JSON.stringify(lock)),
      file('/srv/site/vendor/composer/installed.json', JSON.stringify({ packages: pkgs.slice(0, 1), 'dev-package-names': [] })),
    ]);
    expect(packages.map((p) => `${p.name} ${p.path}`)).toEqual(['monolog/monolog /srv/site/vendor/composer/installed.json']);
  });

  it('warns about installed.json that is not JSON', async () => {
    const { packages, warnings } = await run(composerCataloger, [file('/app/vendor/composer/installed.json', '{"packages": [')]);
    expect(packages).toEqual([]);
    expect(warnings.map((w) => [w.code, w.path])).toEqual([['composer.json', '/app/vendor/composer/installed.json']]);
  });
});

describe('.NET deps.json', () => {
  const deps = {
    runtimeTarget: { name: '.NETCoreApp,Version=v8.0', signature: '' },
    compilationOptions: {},
    targets: {
      '.NETCoreApp,Version=v8.0': {
        'Api/1.0.0': { dependencies: { 'Serilog.AspNetCore': '8.0.0', Shared: '1.0.0' }, runtime: { 'Api.dll': {} } },
        'Serilog.AspNetCore/8.0.0': { dependencies: { Serilog: '3.1.1' }, runtime: { 'lib/net8.0/Serilog.AspNetCore.dll': { assemblyVersion: '8.0.0.0', fileVersion: '8.0.0.0' } } },
        'Serilog/3.1.1': { runtime: { 'lib/net7.0/Serilog.dll': { assemblyVersion: '2.0.0.0', fileVersion: '3.1.1.0' } } },
        'Shared/1.0.0': { runtime: { 'Shared.dll': { assemblyVersion: '1.0.0.0', fileVersion: '1.0.0.0' } } },
      },
    },
    libraries: {
      'Api/1.0.0': { type: 'project', serviceable: false, sha512: '' },
      'Serilog.AspNetCore/8.0.0': { type: 'package', serviceable: true, sha512: 'sha512-x', path: 'serilog.aspnetcore/8.0.0', hashPath: 'serilog.aspnetcore.8.0.0.nupkg.sha512' },
      'Serilog/3.1.1': { type: 'package', serviceable: true, sha512: 'sha512-y', path: 'serilog/3.1.1', hashPath: 'serilog.3.1.1.nupkg.sha512' },
      'Shared/1.0.0': { type: 'project', serviceable: false, sha512: '' },
    },
  };

  it('reports libraries of type package (not projects), with edges from targets', async () => {
    const { packages, warnings } = await run(dotnetDepsCataloger, [file('/app/Api.deps.json', JSON.stringify(deps, null, 2))]);
    expect(warnings).toEqual([]);
    expect(packages.map((p) => [p.name, p.version, p.purl, p.ecosystem])).toEqual([
      ['Serilog.AspNetCore', '8.0.0', 'pkg:nuget/Serilog.AspNetCore@8.0.0', 'NuGet'],
      ['Serilog', '3.1.1', 'pkg:nuget/Serilog@3.1.1', 'NuGet'],
    ]);
    expect(packages[0]!.dependsOn).toEqual(['pkg:nuget/Serilog@3.1.1']);
  });

  it('warns about a deps.json that is not JSON (a UTF-8 BOM is fine)', async () => {
    const bom = await run(dotnetDepsCataloger, [file('/app/Bom.deps.json', `\ufeff${JSON.stringify(deps)}`)]);
    expect(bom.warnings).toEqual([]);
    expect(bom.packages).toHaveLength(2);
    const bad = await run(dotnetDepsCataloger, [file('/app/Bad.deps.json', '{"libraries": ')]);
    expect(bad.packages).toEqual([]);
    expect(bad.warnings.map((w) => w.code)).toEqual(['dotnet.deps']);
  });
});

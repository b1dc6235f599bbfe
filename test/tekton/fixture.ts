// Real inputs for the pipeline shells (Dagger module, Tekton steps): Debian 12 images built as
// OCI / docker archives with skopeo, OSV records that match their packages, a DB made by the
// core's importFiles, and a `portcullis` wrapper on PATH that runs this checkout's CLI.
import { kevCatalog } from '../helpers/kev.js';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importFiles } from '../../src/vulndb/index.js';
import { buildOciLayout, toDockerArchive, toOciArchive } from '../image/build-layout.js';
import { PROJECT_ROOT } from '../helpers/shared.js';

export const OS_RELEASE = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';

export interface Deb {
  name: string;
  version: string;
  source?: string;
}

export function dpkgStatus(debs: Deb[]): string {
  return debs
    .map((d) =>
      [
        `Package: ${d.name}`,
        'Status: install ok installed',
        'Priority: optional',
        'Section: libs',
        'Maintainer: Debian <debian@example.org>',
        'Architecture: amd64',
        ...(d.source ? [`Source: ${d.source}`] : []),
        `Version: ${d.version}`,
        `Description: ${d.name} package`,
        '',
      ].join('\n'),
    )
    .join('\n');
}

/** zlib1g carries a MEDIUM record (warn): the default policy passes it. */
export const PASS_DEBS: Deb[] = [
  { name: 'zlib1g', version: '1:1.2.13.dfsg-1', source: 'zlib' },
  { name: 'base-files', version: '12.4+deb12u5' },
];
/** libssl3 (source openssl) carries a CRITICAL record: the default policy blocks it. */
export const BLOCK_DEBS: Deb[] = [...PASS_DEBS, { name: 'libssl3', version: '3.0.11-1~deb12u2', source: 'openssl' }];

export const CRITICAL_ID = 'DEBIAN-CVE-2099-0001';
export const MEDIUM_ID = 'DEBIAN-CVE-2099-0002';

/** OSV records (Debian:12) that affect the fixture packages. */
export function osvRecords(): object[] {
  const rec = (id: string, name: string, fixed: string, vector: string) => ({
    schema_version: '1.6.0',
    id,
    modified: new Date().toISOString(),
    published: '2024-04-01T00:00:00Z',
    summary: `${name} test vulnerability`,
    severity: [{ type: 'CVSS_V3', score: vector }],
    affected: [{ package: { ecosystem: 'Debian:12', name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
  });
  return [
    rec(CRITICAL_ID, 'openssl', '3.0.13-1~deb12u1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'),
    rec(MEDIUM_ID, 'zlib', '1:1.2.13.dfsg-1+deb12u1', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N'),
  ];
}

export interface PipelineFixture {
  dir: string;
  /** OCI archives (what Dagger's asTarball and buildah's oci-archive push write). */
  passOci: string;
  blockOci: string;
  /** docker-archive of the blocking image. */
  blockDocker: string;
  /** Not an image at all. */
  corrupt: string;
  /** The records as one directory of OSV JSON files. */
  recordsDir: string;
  db: string;
  /** Directory holding a `portcullis` wrapper (put it first on PATH). */
  binDir: string;
}

async function image(dir: string, name: string, debs: Deb[]): Promise<string> {
  const layout = join(dir, `${name}-layout`);
  await buildOciLayout(layout, {
    tag: 'v1',
    layers: [
      { files: [{ path: 'etc/', type: 'directory' }, { path: 'etc/os-release', content: OS_RELEASE }], createdBy: 'ADD rootfs' },
      { files: [{ path: 'var/lib/dpkg/', type: 'directory' }, { path: 'var/lib/dpkg/status', content: dpkgStatus(debs) }], createdBy: 'RUN apt-get install' },
    ],
  });
  return layout;
}

/** A `portcullis` on PATH that runs this checkout's CLI from source (tsx). */
export function writeCliWrapper(binDir: string): void {
  mkdirSync(binDir, { recursive: true });
  const loader = join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
  const entry = join(PROJECT_ROOT, 'src', 'cli', 'entry.ts');
  writeFileSync(join(binDir, 'portcullis'), `#!/bin/sh\nexec "${process.execPath}" --import "file://${loader}" "${entry}" "$@"\n`);
  chmodSync(join(binDir, 'portcullis'), 0o755);
}

export async function buildPipelineFixture(dir: string): Promise<PipelineFixture> {
  const passLayout = await image(dir, 'pass', PASS_DEBS);
  const blockLayout = await image(dir, 'block', BLOCK_DEBS);
  const f: PipelineFixture = {
    dir,
    passOci: join(dir, 'pass.oci.tar'),
    blockOci: join(dir, 'block.oci.tar'),
    blockDocker: join(dir, 'block.docker.tar'),
    corrupt: join(dir, 'corrupt.tar'),
    recordsDir: join(dir, 'osv'),
    db: join(dir, 'db.sqlite'),
    binDir: join(dir, 'bin'),
  };
  toOciArchive(passLayout, 'v1', f.passOci);
  toOciArchive(blockLayout, 'v1', f.blockOci);
  toDockerArchive(blockLayout, 'v1', f.blockDocker, 'example.com/app:v1');
  writeFileSync(f.corrupt, Buffer.concat([Buffer.from('this is not a tar archive\n'), Buffer.alloc(2048, 7)]));
  mkdirSync(f.recordsDir, { recursive: true });
  for (const r of osvRecords()) writeFileSync(join(f.recordsDir, `${(r as { id: string }).id}.json`), JSON.stringify(r));
  writeFileSync(join(dir, 'kev.json'), kevCatalog());
  await importFiles(f.db, [f.recordsDir, join(dir, 'kev.json')]);
  writeCliWrapper(f.binDir);
  return f;
}

/**
 * A build context (Dockerfile + rootfs/) whose image is the fixture's Debian 12 image with `debs`
 * installed, made from files only (`FROM scratch`, no RUN): buildah builds it with no base image
 * and no network, as the Pipeline's build task does.
 */
export function writeBuildContext(dir: string, debs: Deb[]): string {
  mkdirSync(join(dir, 'rootfs', 'etc'), { recursive: true });
  mkdirSync(join(dir, 'rootfs', 'var', 'lib', 'dpkg'), { recursive: true });
  writeFileSync(join(dir, 'rootfs', 'etc', 'os-release'), OS_RELEASE);
  writeFileSync(join(dir, 'rootfs', 'var', 'lib', 'dpkg', 'status'), dpkgStatus(debs));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY rootfs/ /\n');
  return dir;
}

/** A private storage.conf for buildah (never the machine's /var/lib/containers storage). */
export function privateStorageConf(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'storage.conf');
  writeFileSync(conf, `[storage]\ndriver = "vfs"\ngraphroot = "${join(dir, 'graph')}"\nrunroot = "${join(dir, 'run')}"\n`);
  return conf;
}

/**
 * A DB with npm data only (and the fixture's KEV catalog, which the default gate reads): it does not
 * cover the fixture images' Debian:12 packages, so a scan against it is incomplete.
 */
export async function npmOnlyDb(f: PipelineFixture): Promise<string> {
  const dir = join(f.dir, 'npm-only');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'GHSA-test-0001.json'), JSON.stringify({
    schema_version: '1.6.0', id: 'GHSA-test-0001', modified: new Date().toISOString(),
    affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }],
  }));
  const db = join(f.dir, 'npm-only.sqlite');
  await importFiles(db, [dir, join(f.dir, 'kev.json')]);
  return db;
}

/** The Task's workspaces as a PipelineRun binds them: the image archives, a source with a policy, the DB. */
export function taskWorkspaces(f: PipelineFixture, images: [from: string, name: string][]): { imageWs: string; sourceWs: string; dbWs: string } {
  const imageWs = join(f.dir, 'image-ws');
  mkdirSync(imageWs);
  for (const [from, to] of images) copyFileSync(from, join(imageWs, to));
  const sourceWs = join(f.dir, 'source-ws');
  mkdirSync(join(sourceWs, 'policies'), { recursive: true });
  writeFileSync(join(sourceWs, 'policies', 'warn-all.yaml'), 'apiVersion: portcullis.dev/v1\nkind: Policy\nmetadata:\n  name: warn-all\nspec:\n  rules:\n    - id: warn-all\n      action: warn\n      when: true\n');
  const dbWs = join(f.dir, 'db-ws');
  mkdirSync(dbWs);
  copyFileSync(f.db, join(dbWs, 'db.sqlite'));
  return { imageWs, sourceWs, dbWs };
}

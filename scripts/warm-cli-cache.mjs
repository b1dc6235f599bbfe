// Takes the V8 code caches of the CLI bundle's chunks (run by scripts/bundle-cli.mjs in a child
// Node, with no V8 flags, as `portcullis` runs): loads dist/cli-bundle/main.js as bin/portcullis.js
// does, runs the CLI, and writes a cache beside each chunk. V8's createCachedData() after execution
// holds every function compiled so far, so what these runs compiled is not compiled again by the
// user's runs. The runs: `--version`, `sbom` of a small OCI image written here (no fixture, no
// network), once read and once whole from the layer cache (a temporary one), and scans of it with
// the default gate against a DB made here (json and table reports); chunks they did not load get a
// cache of their top-level code. Output goes nowhere. The image stays small: a layer of 8 MiB would
// make the walker set a V8 flag (dead-buffers.ts), and V8 rejects a cache made after.
//   node scripts/warm-cli-cache.mjs BUNDLE_DIR [version]   (`version`: warm with --version only)
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { writeCodeCaches } from '../dist/util/commonjs-code-cache.js';
import { importFiles } from '../dist/vulndb/index.js';

const [bundleDir, only] = process.argv.slice(2);
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

/** A tar of `files` ({ path: content }), as tar-stream writes image layers. */
async function tarOf(files) {
  const p = pack();
  const chunks = [];
  p.on('data', (c) => chunks.push(c));
  const done = new Promise((resolve, reject) => p.on('end', resolve).on('error', reject));
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A one-layer OCI layout at `dir`, tagged `warm`: a Debian package database, an npm and a Python package. */
async function writeImage(dir) {
  const layer = await tarOf({
    'etc/os-release': 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
    'var/lib/dpkg/status': [
      'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u4\n',
      'Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n',
    ].join('\n'),
    'app/node_modules/left-pad/package.json': JSON.stringify({ name: 'left-pad', version: '1.3.0', license: 'WTFPL' }),
    'usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n',
  });
  const blob = gzipSync(layer);
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (bytes) => {
    const digest = sha256(bytes);
    writeFileSync(join(blobs, digest), bytes);
    return { digest: `sha256:${digest}`, size: bytes.length };
  };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layer)}`] }, history: [{ created_by: 'warm' }] }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(config) },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(blob) }],
    }),
  );
  const index = { schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...put(manifest), annotations: { 'org.opencontainers.image.ref.name': 'warm' } }] };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
}

/**
 * A vulnerability DB for the image's packages (made with tsc's per-file build, not the bundle: its
 * import code stays out of the caches): an OSV record per ecosystem, one of them affecting the
 * image, and a KEV catalog (the default gate fails closed without one). Records and catalog are
 * made up and dated now.
 */
async function writeDb(dir) {
  const now = new Date().toISOString();
  const osv = join(dir, 'osv');
  mkdirSync(osv, { recursive: true });
  const record = (id, ecosystem, name, fixed) => ({
    id, modified: now, upstream: [id.replace(/^[A-Z]+-/, '')],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
  });
  const records = [
    record('DEBIAN-CVE-2099-0001', 'Debian:12', 'glibc', '2.36-9+deb12u7'),
    record('GHSA-CVE-2099-0002', 'npm', 'left-pad', '1.2.0'),
    record('PYSEC-CVE-2099-0003', 'PyPI', 'six', '1.0.0'),
  ];
  records.forEach((r, i) => writeFileSync(join(osv, `${i}.json`), JSON.stringify(r)));
  const kev = join(dir, 'kev.json');
  writeFileSync(kev, JSON.stringify({
    title: 'CISA Catalog of Known Exploited Vulnerabilities', catalogVersion: now.slice(0, 10), dateReleased: now, count: 1,
    vulnerabilities: [{ cveID: 'CVE-2099-0001', vendorProject: 'warm', product: 'warm', vulnerabilityName: 'warm-up entry', dateAdded: now.slice(0, 10),
      shortDescription: 'warm-up entry', requiredAction: 'none', dueDate: now.slice(0, 10), knownRansomwareCampaignUse: 'Unknown', notes: '', cwes: [] }],
  }));
  const db = join(dir, 'db.sqlite');
  await importFiles(db, [osv, kev], { warn: () => {} });
  return db;
}

const work = mkdtempSync(join(tmpdir(), 'portcullis-warm-'));
try {
  // The CLI's layer cache, key and state go to the temporary directory, not the builder's home.
  for (const k of Object.keys(process.env)) if (k.startsWith('PORTCULLIS_')) delete process.env[k];
  Object.assign(process.env, { XDG_CACHE_HOME: join(work, 'cache'), XDG_STATE_HOME: join(work, 'state'), HOME: work, CI: 'true' });
  const image = `oci:${join(work, 'oci')}:warm`;
  const db = only === 'version' ? undefined : (await writeImage(join(work, 'oci')), await writeDb(join(work, 'db')));
  const bytes = await writeCodeCaches(bundleDir, 'main.js', async (cli) => {
    const run = async (argv, ok = [0]) => {
      const code = await cli.main(argv);
      if (!ok.includes(code)) throw new Error(`warming the code cache: portcullis ${argv.join(' ')} exited ${code}`);
    };
    await run(['--version']);
    if (only === 'version') return;
    await run(['sbom', image, '--quiet']); // read
    await run(['sbom', image, '--quiet']); // whole from the layer cache
    // Gated scans (blocked: the glibc record affects the image): the match, the gate, and the
    // report as json and as the default table.
    await run(['scan', image, '--db', db, '--format', 'json', '--quiet'], [1]);
    await run(['scan', image, '--db', db, '--quiet'], [1]);
  });
  if (process.env.PORTCULLIS_BUILD_VERBOSE) process.stderr.write(`code caches of ${bundleDir}: ${bytes} bytes\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

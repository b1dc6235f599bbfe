// Trivy's language packages on an image tarball, offline, for comparison with our inventory.
// Trivy's jar analyzer refuses to run without its Java DB (normally downloaded from ghcr.io, which
// this network cannot reach). We give it an EMPTY database with the trivy-java-db schema: every
// sha1 / artifactId lookup finds nothing, so Trivy falls back to what the jar itself says
// (pom.properties, MANIFEST.MF) — the same offline evidence we read.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PackageURL } from 'packageurl-js';

const run = promisify(execFile);

const JAVA_DB_SCHEMA = [
  'CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT);',
  'CREATE TABLE indices(artifact_id INTEGER, version TEXT, sha1 BLOB, archive_type TEXT, FOREIGN KEY (artifact_id) REFERENCES artifacts(id));',
  'CREATE UNIQUE INDEX artifacts_idx ON artifacts(artifact_id, group_id);',
  'CREATE INDEX indices_artifact_idx ON indices(artifact_id);',
  'CREATE UNIQUE INDEX indices_sha1_idx ON indices(sha1);',
].join('\n');

/** Writes an empty, schema-valid Java DB under `cacheDir/java-db` (metadata says: fresh until 2099). */
export function writeEmptyJavaDb(cacheDir: string): void {
  const dir = join(cacheDir, 'java-db');
  mkdirSync(dir, { recursive: true });
  execFileSync('sqlite3', [join(dir, 'trivy-java.db'), JAVA_DB_SCHEMA]);
  writeFileSync(
    join(dir, 'metadata.json'),
    JSON.stringify({ Version: 1, NextUpdate: '2099-01-01T00:00:00Z', UpdatedAt: '2024-01-01T00:00:00Z', DownloadedAt: '2024-01-01T00:00:00Z' }),
  );
}

export interface TrivyPackage {
  /** purl type (`npm`, `pypi`, `golang`, …). */
  type: string;
  /** Name as the ecosystem writes it: `@scope/name`, `group:artifact`, `vendor/name`, module path. */
  name: string;
  version: string;
  /** Image path without the leading slash, when Trivy states one (`aquasecurity:trivy:FilePath`). */
  path?: string;
  /** The layer's diff_id (`aquasecurity:trivy:LayerDiffID`). */
  diffId?: string;
}

interface CdxComponent {
  purl?: string;
  properties?: { name: string; value: string }[];
}

/** Joins a purl's namespace and name the way our Package.name spells them per type. */
export function nameFromPurl(p: PackageURL): string {
  if (!p.namespace) return p.name;
  if (p.type === 'maven') return `${p.namespace}:${p.name}`;
  return `${p.namespace}/${p.name}`;
}

/** `trivy image --input TAR --format cyclonedx` offline; every component with a purl except OS packages. */
export async function trivyLanguagePackages(trivy: string, tarPath: string, cacheDir: string): Promise<TrivyPackage[]> {
  writeEmptyJavaDb(cacheDir);
  const { stdout } = await run(
    trivy,
    ['image', '--input', tarPath, '--format', 'cyclonedx', '--scanners', 'license', '--offline-scan', '--skip-db-update', '--skip-java-db-update', '--cache-dir', cacheDir, '--quiet'],
    { maxBuffer: 256 * 1024 * 1024, timeout: 10 * 60_000, env: { ...process.env, TRIVY_NO_PROGRESS: 'true' } },
  ).catch((err: { stderr?: string }) => {
    throw new Error(`trivy failed: ${err.stderr ?? String(err)}`);
  });
  const bom = JSON.parse(stdout) as { components?: CdxComponent[] };
  const out: TrivyPackage[] = [];
  for (const c of bom.components ?? []) {
    if (!c.purl) continue;
    const p = PackageURL.fromString(c.purl);
    if (p.type === 'deb' || p.type === 'apk' || p.type === 'rpm') continue;
    const prop = (n: string) => c.properties?.find((x) => x.name === n)?.value;
    const path = prop('aquasecurity:trivy:FilePath');
    const diffId = prop('aquasecurity:trivy:LayerDiffID');
    out.push({ type: p.type, name: nameFromPurl(p), version: p.version ?? '', ...(path ? { path } : {}), ...(diffId ? { diffId } : {}) });
  }
  return out;
}

// The ecosystem registry is the one place ecosystems are declared; every table is derived from it.
// This suite derives each table and asserts, per registry ecosystem, that it is mapped everywhere:
// a comparator (under its OSV name and release-suffixed forms), a purl that reads back to the same
// ecosystem and name, an SBOM mapping (a CycloneDX component read by read-sbom), a lookup rule,
// OS detection facts for OS ecosystems, and the cataloger that finds it. An ecosystem added to one
// table but not another — the bug class of issue 17 — fails here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackageURL } from 'packageurl-js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  comparatorNames,
  ECOSYSTEMS,
  ecosystemSupport,
  OS_PACKAGE_TYPES,
  osvEcosystemFor,
  PACKAGE_TYPES,
  purlEcosystem,
  purlFor,
  spdxPurposeFor,
  UNSUPPORTED_OSES,
} from '../../src/ecosystems/index.js';
import { CATALOGERS } from '../../src/inventory/registry.js';
import { lookupsFor } from '../../src/match/queries.js';
import type { Package } from '../../src/model/package.js';
import { readSbomFile } from '../../src/sbom-input/read-sbom.js';
import { getComparator, knownEcosystems } from '../../src/version/index.js';
import { purlToQuery } from '../../src/vulndb/purl.js';
import { normalisePackageName } from '../../src/vulndb/source.js';
import { HAVE_SHARED, shared } from '../helpers/shared.js';

const layer = { index: 0, digest: 'sha256:0', diffId: 'sha256:0' };

/** A purl for the ecosystem's example package, with the distro qualifier OS catalogers write. */
function examplePurl(e: (typeof ECOSYSTEMS)[number]): string {
  const base = purlFor(e.purl.type, e.example.name, e.example.version);
  if (!e.os) return base;
  const p = PackageURL.fromString(base);
  const os = e.os.example;
  const distro = os.versionId ? `${os.id}-${os.versionId}` : os.id;
  return new PackageURL(p.type, os.id, p.name, p.version, { distro }, undefined).toString();
}

describe('the ecosystem registry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-registry-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('declares each OSV ecosystem once, and each ecosystem has its own comparator', () => {
    const names = ECOSYSTEMS.map((e) => e.osv);
    expect(new Set(names).size).toBe(names.length);
    for (const e of ECOSYSTEMS) {
      expect(e.comparator.ecosystem, e.osv).toBe(e.osv);
      expect(getComparator(e.osv), e.osv).toBe(e.comparator);
      expect(getComparator(`${e.osv}:some-release`), e.osv).toBe(e.comparator);
      expect(e.comparator.valid(e.example.version), `${e.osv} ${e.example.version}`).toBe(true);
      expect(e.comparator.compare(e.example.version, e.example.version)).toBe(0);
    }
  });

  it('has no comparator outside the registry (every name version compare knows is an ecosystem or an OS purl type)', () => {
    const allowed = new Set<string>([...ECOSYSTEMS.map((e) => e.osv), ...OS_PACKAGE_TYPES]);
    expect(knownEcosystems().filter((n) => !allowed.has(n))).toEqual([]);
    expect(comparatorNames().sort()).toEqual([...allowed].sort());
    // Not OSV ecosystems: no comparator claims them any more.
    for (const gone of ['Amazon Linux', 'Fedora', 'Oracle Linux', 'CentOS']) expect(getComparator(gone)).toBeUndefined();
  });

  it.skipIf(!HAVE_SHARED)('uses only ecosystem names the OSV schema lists, and none for the unsupported OSes', () => {
    const schema = JSON.parse(readFileSync(shared('schemas', 'osv', 'osv-schema.json'), 'utf8')) as { $defs: { ecosystemName: { enum: string[] } } };
    const osv = new Set(schema.$defs.ecosystemName.enum);
    for (const e of ECOSYSTEMS) expect(osv.has(e.osv), e.osv).toBe(true);
    for (const label of ['Amazon Linux', 'Fedora', 'Oracle Linux', 'CentOS']) expect(osv.has(label), label).toBe(false);
  });

  it('derives PackageType and OS_PACKAGE_TYPES from the modules', () => {
    expect([...PACKAGE_TYPES].sort()).toEqual([...new Set(ECOSYSTEMS.map((e) => e.purl.type))].sort());
    expect([...OS_PACKAGE_TYPES].sort()).toEqual(['apk', 'deb', 'rpm']);
    for (const t of PACKAGE_TYPES) expect(spdxPurposeFor(t)).toBe(OS_PACKAGE_TYPES.has(t) ? 'INSTALL' : 'LIBRARY');
  });

  it('maps each ecosystem to a purl and back (purl build, purl → OSV query)', () => {
    for (const e of ECOSYSTEMS) {
      const purl = examplePurl(e);
      // purls carry the normalised name where the ecosystem has a normaliser (PyPI: PEP 503).
      const name = e.normaliseName ? e.normaliseName(e.example.name) : e.example.name;
      const back = purlEcosystem(PackageURL.fromString(purl));
      expect(back, purl).toMatchObject({ type: e.purl.type, name });
      const q = purlToQuery(purl);
      expect(q?.name, purl).toBe(name);
      expect(q?.ecosystem === e.osv || q?.ecosystem.startsWith(`${e.osv}:`), `${purl} → ${q?.ecosystem}`).toBe(true);
    }
  });

  it('gives every OS ecosystem detection facts that name it, and matches its packages by its lookup rule', () => {
    for (const e of ECOSYSTEMS) {
      const eco = e.os ? osvEcosystemFor({ ...e.os.example, detectedFrom: '/etc/os-release' }) : e.osv;
      expect(eco === e.osv || eco.startsWith(`${e.osv}:`), `${e.osv}: ${eco}`).toBe(true);
      const pkg: Package = {
        name: e.example.name, version: e.example.version, type: e.purl.type, ecosystem: eco, purl: examplePurl(e),
        sourceName: `${e.example.name}-src`, sourceVersion: `${e.example.version}`, path: '/x', layer, foundBy: 'test',
      };
      const lookups = lookupsFor(pkg);
      expect(lookups.length, e.osv).toBeGreaterThan(0);
      for (const l of lookups) expect(l.query.ecosystem).toBe(eco);
      const names = lookups.map((l) => l.query.name);
      if (e.lookup === 'name') expect(names).toEqual([e.example.name]);
      else if (e.lookup === 'binary-and-source') expect(names).toEqual([e.example.name, `${e.example.name}-src`]);
      else expect(names).toEqual([`${e.example.name}-src`]);
      expect(ecosystemSupport(pkg)).toEqual({ status: 'supported' });
      // The name normaliser is the module's: identity unless it declares one.
      expect(normalisePackageName(eco, e.example.name)).toBe(e.normaliseName ? e.normaliseName(e.example.name) : e.example.name);
    }
  });

  it('reads every ecosystem from an SBOM (one CycloneDX component each): none is dropped or unchecked', async () => {
    const components = ECOSYSTEMS.map((e, i) => ({ type: 'library', 'bom-ref': `c${i}`, name: e.example.name, version: e.example.version, purl: examplePurl(e) }));
    const file = join(dir, 'all.cdx.json');
    writeFileSync(file, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components }));
    const sbom = await readSbomFile(file);
    expect(sbom.unchecked).toEqual([]);
    expect(sbom.warnings).toEqual([]);
    expect(sbom.packages).toHaveLength(ECOSYSTEMS.length);
    for (const [i, e] of ECOSYSTEMS.entries()) {
      const p = sbom.packages[i]!;
      expect(p.type, e.osv).toBe(e.purl.type);
      expect(p.ecosystem === e.osv || p.ecosystem.startsWith(`${e.osv}:`), `${e.osv}: ${p.ecosystem}`).toBe(true);
    }
  });

  it('names, for every cataloger in the walker, the ecosystem(s) it feeds, and every cataloger it names exists', () => {
    const declared = new Set(ECOSYSTEMS.flatMap((e) => e.catalogers));
    const running = new Set(CATALOGERS.map((c) => c.name));
    expect([...running].filter((c) => !declared.has(c))).toEqual([]);
    expect([...declared].filter((c) => !running.has(c))).toEqual([]);
  });

  it('reports the OSes OSV has no ecosystem for as unsupported, naming them', () => {
    for (const u of UNSUPPORTED_OSES) {
      const os = { id: u.ids[0]!, versionId: '2', detectedFrom: '/etc/os-release' };
      expect(osvEcosystemFor(os)).toBe('');
      const pkg: Package = { name: 'openssl', version: '1.0.2k-24.amzn2', type: 'rpm', ecosystem: '', purl: 'pkg:rpm/x/openssl@1', path: '/x', layer, foundBy: 'rpm' };
      const s = ecosystemSupport(pkg, os);
      expect(s.status).toBe('unsupported');
      if (s.status !== 'supported') {
        expect(s.name).toBe(u.label(os));
        expect(s.reason).toBe(u.reason);
      }
    }
  });
});

// VEX: OpenVEX and CycloneDX documents (checked against their published schemas when ../shared
// is present) suppress exactly the findings their statements cover.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findingKey } from '../../src/model/finding.js';
import { decide, loadPolicies, loadVex } from '../../src/policy/index.js';
import { validateCycloneDx, validateOpenVex } from '../helpers/schemas.js';
import { HAVE_SHARED } from '../helpers/shared.js';
import { apt, expat, finding, nghttp2, openssl, pkg, report } from './builders.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-vex-'));
const NOW = new Date('2025-06-01T00:00:00Z');
const IMAGE_PURL = 'pkg:oci/app@sha256%3A9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08?repository_url=registry.example.com%2Fteam%2Fapp';

const openVex = {
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://example.com/vex/app-2025-05-20',
  author: 'Platform Security <security@example.com>',
  timestamp: '2025-05-20T10:00:00Z',
  version: 1,
  statements: [
    {
      vulnerability: { name: 'CVE-2024-45490', aliases: ['DEBIAN-CVE-2024-45490'] },
      products: [{ '@id': IMAGE_PURL, subcomponents: [{ '@id': 'pkg:deb/debian/libexpat1?distro=debian-12&arch=amd64' }] }],
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      impact_statement: 'XML_ParseBuffer is never called with attacker-controlled lengths',
    },
    {
      vulnerability: { name: 'GHSA-qppj-fm5r-hxr3' },
      products: [{ '@id': 'pkg:deb/debian/libnghttp2-14@1.52.0-1?arch=amd64&distro=debian-12' }],
      status: 'under_investigation',
    },
    {
      vulnerability: { name: 'CVE-2023-5678' },
      products: [{ '@id': 'pkg:oci/other@sha256%3A0000000000000000000000000000000000000000000000000000000000000000', subcomponents: [{ '@id': 'pkg:deb/debian/libssl3' }] }],
      status: 'not_affected',
      justification: 'component_not_present',
    },
    {
      vulnerability: { name: 'CVE-2011-3374' },
      products: [{ '@id': 'pkg:deb/debian/apt' }],
      status: 'not_affected',
      justification: 'inline_mitigations_already_exist',
      timestamp: '2025-05-01T00:00:00Z',
    },
    {
      vulnerability: { name: 'CVE-2011-3374' },
      products: [{ '@id': 'pkg:deb/debian/apt' }],
      status: 'affected',
      action_statement: 'upgrade when Debian ships a fix',
      timestamp: '2025-05-15T00:00:00Z',
    },
  ],
};

const cdxVex = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
  version: 1,
  components: [
    { 'bom-ref': 'libnghttp2', type: 'library', name: 'libnghttp2-14', version: '1.52.0-1', purl: 'pkg:deb/debian/libnghttp2-14@1.52.0-1?distro=debian-12&arch=amd64' },
  ],
  vulnerabilities: [
    {
      id: 'CVE-2023-44487',
      source: { name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2023-44487' },
      references: [{ id: 'GHSA-qppj-fm5r-hxr3', source: { name: 'GitHub', url: 'https://github.com/advisories/GHSA-qppj-fm5r-hxr3' } }],
      analysis: { state: 'not_affected', justification: 'requires_environment', detail: 'no HTTP/2 server in the image' },
      affects: [{ ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#libnghttp2' }],
    },
    {
      id: 'CVE-2024-45490',
      analysis: { state: 'in_triage' },
      affects: [{ ref: 'pkg:deb/debian/libexpat1@2.5.0-1?arch=amd64&distro=debian-12' }],
    },
  ],
};

function write(name: string, doc: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

describe.skipIf(!HAVE_SHARED)('VEX documents are valid against their schemas', () => {
  it('the OpenVEX document validates against the OpenVEX 0.2.0 schema', () => {
    expect(validateOpenVex(openVex)).toEqual([]);
  });

  it('the CycloneDX VEX validates against the CycloneDX 1.6 schema', () => {
    expect(validateCycloneDx(cdxVex)).toEqual([]);
  });
});

describe('VEX in decisions', () => {
  const libssl = openssl;
  const findings = [expat, nghttp2, libssl, apt];

  it('OpenVEX: not_affected suppresses (image product + subcomponent, qualifiers in any order, no version)', async () => {
    const vex = await loadVex(write('app.openvex.json', openVex));
    expect(vex.format).toBe('openvex');
    const d = decide(report(findings), await loadPolicies('default'), { now: NOW, vex: [vex] });
    expect(d.byFinding[findingKey(expat)]).toMatchObject({ action: 'ignore', decidedBy: 'vex', source: vex.source });
    expect(d.byFinding[findingKey(expat)]!.reason).toBe('VEX not_affected: vulnerable_code_not_in_execute_path: XML_ParseBuffer is never called with attacker-controlled lengths');
    // under_investigation does not suppress, but is mentioned.
    expect(d.byFinding[findingKey(nghttp2)]).toMatchObject({ action: 'block', rule: 'block-kev' });
    expect(d.byFinding[findingKey(nghttp2)]!.reason).toContain('VEX under_investigation');
    // A statement about another image does not apply.
    expect(d.byFinding[findingKey(libssl)]).toMatchObject({ action: 'warn', decidedBy: 'rule' });
    // The later `affected` statement overrides the earlier `not_affected`.
    expect(d.byFinding[findingKey(apt)]).toMatchObject({ action: 'warn', decidedBy: 'rule' });
    expect(d.byFinding[findingKey(apt)]!.reason).toContain('VEX affected: upgrade when Debian ships a fix');
  });

  it('a versioned product does not cover another version', async () => {
    const vex = await loadVex(write('v.openvex.json', { ...openVex, statements: [{ vulnerability: { name: 'CVE-2023-44487' }, products: [{ '@id': 'pkg:deb/debian/libnghttp2-14@1.52.0-1%2Bdeb12u1' }], status: 'fixed' }] }));
    const d = decide(report([nghttp2]), await loadPolicies('default'), { now: NOW, vex: [vex] });
    expect(d.byFinding[findingKey(nghttp2)]!.action).toBe('block');
    const other = finding('CVE-2023-44487', 'HIGH', pkg('deb', 'libnghttp2-14', '1.52.0-1+deb12u1'));
    expect(decide(report([other]), await loadPolicies('default'), { now: NOW, vex: [vex] }).byFinding[findingKey(other)]).toMatchObject({ action: 'ignore', reason: 'VEX fixed' });
  });

  it('CycloneDX VEX: not_affected via BOM-Link and alias; in_triage does not suppress', async () => {
    const vex = await loadVex(write('app.cdx.json', cdxVex));
    expect(vex.format).toBe('cyclonedx');
    const viaAlias = { ...nghttp2, id: 'GHSA-qppj-fm5r-hxr3', aliases: ['CVE-2023-44487'] };
    const d = decide(report([viaAlias, expat]), await loadPolicies('default'), { now: NOW, vex: [vex] });
    expect(d.byFinding[findingKey(viaAlias)]).toMatchObject({ action: 'ignore', decidedBy: 'vex', reason: 'VEX not_affected: requires_environment: no HTTP/2 server in the image' });
    expect(d.byFinding[findingKey(expat)]).toMatchObject({ action: 'block', decidedBy: 'rule' });
    expect(d.blocked).toBe(true);
  });

  it('rejects documents that are not VEX, naming the file', async () => {
    await expect(loadVex(write('bad.json', { statements: [{ vulnerability: { name: 'CVE-2024-45490' }, products: [{ '@id': IMAGE_PURL }], status: 'maybe' }] }))).rejects.toThrow(/bad\.json: statements\[0\]\.status must be one of/);
    await expect(loadVex(write('sbom.json', { spdxVersion: 'SPDX-2.3' }))).rejects.toThrow(/sbom\.json: not a VEX document/);
  });
});

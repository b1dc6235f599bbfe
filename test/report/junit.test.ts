import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { encoderFor } from '../../src/report/index.js';
import { HAVE_SHARED } from '../helpers/shared.js';
import { haveXmllint, validateJunitFile } from '../helpers/xmllint.js';
import { HOSTILE, hostileReport, hugeReport, sampleReport } from './sample-report.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const junit = encoderFor('junit');

function parse(xml: string): Json {
  const valid = XMLValidator.validate(xml);
  expect(valid, JSON.stringify(valid)).toBe(true);
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) });
  return parser.parse(xml) as Json;
}

function cases(doc: Json): Json[] {
  return doc.testsuites.testsuite.flatMap((s: Json) => s.testcase ?? []);
}

describe('junit', () => {
  it('one suite per rule, one case per finding, failures for blocks, skipped for ignores', () => {
    const doc = parse(junit.encode(sampleReport()));
    const suites = doc.testsuites.testsuite.map((s: Json) => s['@name']);
    expect(suites).toEqual(['default: default', 'exception: CVE-2023-31484', 'image: no-root-user', 'rule: fixable-high', 'rule: kev-always-block', 'vex: .portcullis/vex.json#0', 'vex: .portcullis/vex.json#1']);
    const all = cases(doc);
    expect(all).toHaveLength(8 + 1); // findings + the image violation
    const failures = all.filter((c) => c.failure !== undefined);
    const skipped = all.filter((c) => c.skipped !== undefined);
    expect(failures).toHaveLength(4);
    expect(skipped).toHaveLength(3);
    expect(doc.testsuites['@tests']).toBe('9');
    expect(doc.testsuites['@failures']).toBe('4');
    for (const s of doc.testsuites.testsuite) {
      const cs = s.testcase ?? [];
      expect(Number(s['@tests'])).toBe(cs.length);
      expect(Number(s['@failures'])).toBe(cs.filter((c: Json) => c.failure !== undefined).length);
      expect(Number(s['@skipped'])).toBe(cs.filter((c: Json) => c.skipped !== undefined).length);
    }
    const curl = all.find((c) => c['@name'] === 'CVE-2023-38545 libcurl4@7.88.1-10+deb12u5')!;
    expect(curl.failure['@message']).toBe('CRITICAL CVE-2023-38545 in libcurl4 7.88.1-10+deb12u5: fixed in 7.88.1-10+deb12u4');
    expect(curl.failure['#text']).toContain('policy: block by rule fixable-high');
  });

  it('groups by severity without a decision, and nothing fails', () => {
    const doc = parse(junit.encode(sampleReport({ noDecision: true })));
    expect(doc.testsuites.testsuite.map((s: Json) => s['@name'])).toEqual(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN']);
    expect(cases(doc).filter((c) => c.failure !== undefined)).toHaveLength(0);
  });

  it('escapes hostile text, control characters included', () => {
    const xml = junit.encode(hostileReport());
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(xml).not.toContain('<script>');
    const doc = parse(xml);
    const evil = cases(doc).find((c) => String(c['@name']).startsWith('CVE-2024-2961 evil'))!;
    expect(evil).toBeDefined();
    // The markup characters survive as text after parsing.
    expect(evil['@name']).toContain('<script>alert(1)</script>|]]>');
    expect(String(evil.failure['#text'] ?? evil.failure)).toContain(']]>');
    expect(HOSTILE).toContain(']]>');
  });

  describe.skipIf(!HAVE_SHARED || !haveXmllint())('against the XSDs (xmllint)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-junit-'));
    const variants = { scan: sampleReport(), 'no decision': sampleReport({ noDecision: true }), hostile: hostileReport(), big: hugeReport(300), sbom: sampleReport({ sbom: true }) };
    for (const [name, report] of Object.entries(variants)) {
      it(`Jenkins xUnit junit-10.xsd and the Ant JUnit.xsd: ${name}`, () => {
        const xml = junit.encode(report);
        const file = join(dir, `${name}.xml`);
        writeFileSync(file, xml);
        expect(validateJunitFile(file, 'jenkins-xunit-junit-10.xsd')).toBe('');
        // Ant's schema allows no attributes on <testsuites>; every suite must still conform.
        const ant = join(dir, `${name}.ant.xml`);
        writeFileSync(ant, xml.replace(/<testsuites [^>]*>/, '<testsuites>'));
        expect(validateJunitFile(ant, 'JUnit.xsd')).toBe('');
      });
    }
    it('the XSD check can fail', () => {
      const file = join(dir, 'broken.xml');
      writeFileSync(file, junit.encode(sampleReport()).replace(/ classname="[^"]*"/, ''));
      expect(validateJunitFile(file, 'JUnit.xsd')).not.toBe('');
    });
  });
});

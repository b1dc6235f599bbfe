// Package names, paths and texts come from the image: every format must carry them as data.
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { encoderFor, formatNames } from '../../src/report/index.js';
import { HOSTILE, hostileReport } from './sample-report.js';

const report = hostileReport();
const evilName = `evil${HOSTILE}`;

describe('hostile strings in every format', () => {
  it('JSON-based formats keep the exact text after parsing', () => {
    for (const f of ['json', 'sarif', 'cyclonedx', 'spdx', 'gitlab']) {
      const text = encoderFor(f).encode(report);
      expect(text, f).not.toMatch(/[\u0000-\u001f](?<![\n])/);
      expect(JSON.stringify(JSON.parse(text)), f).toContain(JSON.stringify(evilName).slice(1, -1));
    }
  });

  it('JUnit keeps markup as text and replaces what XML cannot carry', () => {
    const xml = encoderFor('junit').encode(report);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml);
    expect(JSON.stringify(doc)).toContain('evil<script>alert(1)</script>|]]>&\\"\'\\\\u0000\\\\u0007\\\\u001b[31m');
  });

  it('text formats never pass markup or terminal controls through', () => {
    const table = encoderFor('table').encode(report, { color: false });
    expect(table).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    const md = encoderFor('markdown').encode(report);
    expect(md).not.toMatch(/<script|<\/script|[\u0000-\u0008\u000b-\u001f]/);
    expect(md).toContain('evil&lt;script&gt;alert(1)&lt;/script&gt;\\|');
    const html = encoderFor('html').encode(report);
    const withoutData = html.replace(/<script type="application\/json" id="report-data">[^<]*<\/script>/, '');
    expect(withoutData).not.toContain('evil');
    expect(html).toContain('evil\\u003cscript\\u003e');
  });

  it('every registered format is covered here', () => {
    expect(formatNames().sort()).toEqual(['cyclonedx', 'gitlab', 'html', 'json', 'junit', 'markdown', 'sarif', 'spdx', 'table']);
  });
});

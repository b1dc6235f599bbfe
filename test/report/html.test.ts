// The HTML report in a real headless browser (Debian's chromium via playwright-core).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encoderFor } from '../../src/report/index.js';
import { scriptJson } from '../../src/report/html.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { HOSTILE, hostileReport, hugeReport, sampleReport } from './sample-report.js';

const CHROMIUM = '/usr/bin/chromium';
const html = encoderFor('html');

describe('html (static)', () => {
  it('is self-contained with a strict CSP', () => {
    const out = html.encode(sampleReport());
    expect(out).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+'/);
    expect(out).not.toMatch(/<(link|script|img)[^>]+(src|href)="(https?:)?\/\//);
    expect(out).not.toMatch(/unsafe-inline|unsafe-eval/);
  });

  it('keeps hostile text inert: JSON with < escaped, nothing raw', () => {
    const out = html.encode(hostileReport());
    expect(out.match(/<script>alert/g)).toBeNull();
    expect(out).not.toContain(']]>&');
    expect(scriptJson({ a: '</script><!--' })).toBe('{"a":"\\u003c/script\\u003e\\u003c!--"}');
  });
});

interface Loaded {
  page: Page;
  requests: string[];
  errors: string[];
}

describe.skipIf(!existsSync(CHROMIUM))('html in headless chromium', () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-html-'));

  beforeAll(async () => {
    // launch() gives the browser a fresh temporary profile of its own (it refuses --user-data-dir).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(name: string, text: string): Promise<Loaded> {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, text);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      if (!/^(file|data):/.test(r.url())) requests.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      errors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, requests, errors };
  }

  const visibleRows = (page: Page) => page.locator('#tbody tr:not([hidden])').count();

  it('renders the verdict, chart and table; filters; no errors, no network; screenshot', async () => {
    const { page, requests, errors } = await open('report', html.encode(sampleReport()));
    await expect.poll(() => page.locator('#verdict').textContent()).toContain('BLOCKED');
    expect(await page.locator('#image-name').textContent()).toBe('registry.example.com/team/app:1.4.2');
    // Chart: one bar per severity, widths in proportion.
    expect(await page.locator('#chart rect').count()).toBe(5);
    const widths = await page.locator('#chart rect').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('width'))));
    expect(widths[1]).toBeGreaterThan(widths[0]!); // HIGH 3 > CRITICAL 2
    const box = await page.locator('#chart').boundingBox();
    expect(box!.width).toBeGreaterThan(100);

    expect(await visibleRows(page)).toBe(8);
    expect(await page.locator('#shown').textContent()).toBe('Showing 8 of 8');
    await page.locator('#filter').fill('libc');
    expect(await visibleRows(page)).toBe(2); // libc6, libcurl4
    await page.locator('#filter').fill('CVE-2024-2961');
    expect(await visibleRows(page)).toBe(1);
    await page.locator('#filter').fill('');
    await page.locator('input[data-sev="HIGH"]').uncheck();
    expect(await visibleRows(page)).toBe(5);
    await page.locator('input[data-sev="HIGH"]').check();

    // Sorting by package name.
    await page.locator('th button', { hasText: 'Package' }).click();
    const names = await page.locator('#tbody tr td:nth-child(3)').allTextContents();
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })));
    await page.locator('th button', { hasText: 'Package' }).click();
    const desc = await page.locator('#tbody tr td:nth-child(3)').allTextContents();
    expect(desc).toEqual([...names].reverse());

    // Findings grouped by layer, with the history step that made the layer.
    const layers = page.locator('details.layer');
    expect(await layers.count()).toBe(3);
    expect(await layers.nth(1).locator('summary').textContent()).toContain('apt-get install -y --no-install-recommends curl');
    expect(await layers.nth(1).locator('li').count()).toBe(3);
    expect(await page.locator('#violations li').textContent()).toContain('BLOCK no-root-user');
    expect(await page.locator('#expired li').textContent()).toContain('CVE-2024-5535 expired 2024-12-31');

    await page.locator('th button', { hasText: 'Severity' }).click();
    mkdirSync(join(PROJECT_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(PROJECT_ROOT, 'test-artifacts', 'report.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 60_000);

  it('hostile names are shown as text and run nothing', async () => {
    const { page, requests, errors } = await open('hostile', html.encode(hostileReport()));
    await page.locator('#filter').fill('evil');
    expect(await visibleRows(page)).toBe(1);
    const cell = await page.locator('#tbody tr:not([hidden]) td:nth-child(3)').textContent();
    expect(cell).toBe(`evil${HOSTILE}`);
    expect(await page.locator('#tbody script, #layers script, a[href^="javascript"]').count()).toBe(0);
    expect(await page.locator('#layers').textContent()).toContain('RUN echo <script>alert(1)</script>');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  }, 60_000);

  it('an inventory lists packages; a big scan stays usable', async () => {
    const inv = await open('sbom', html.encode(sampleReport({ sbom: true })));
    expect(await visibleRows(inv.page)).toBe(8);
    expect(await inv.page.locator('#chart').count()).toBe(0);
    expect(await inv.page.locator('#sev-filters').isHidden()).toBe(true);
    await inv.page.locator('#filter').fill('npm');
    expect(await visibleRows(inv.page)).toBe(1);
    expect(inv.errors).toEqual([]);
    await inv.page.close();

    const big = await open('big', html.encode(hugeReport(3000)));
    expect(await big.page.locator('#shown').textContent()).toBe('Showing 3000 of 3000');
    await big.page.locator('input[data-sev="CRITICAL"]').uncheck();
    expect(await visibleRows(big.page)).toBe(2400);
    expect(big.errors).toEqual([]);
    expect(big.requests).toEqual([]);
    await big.page.close();
  }, 120_000);
});

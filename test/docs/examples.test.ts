// Every command example in README.md and docs/*.md runs as written. Examples are the lines of
// ```sh blocks that start with `portcullis` or `npx portcullis` (continuation lines joined); they
// run in one sandbox holding the files the docs name (image.tar, build/image.tar, policies/, OSV
// and KEV/EPSS files…), with a fixture DB and a local mirror standing in for the OSV bucket. An
// example must end with exit 0 or 1 (pass or blocked), unless its line says `# exit 2`; one that
// needs a system this suite does not start says `# needs: WHAT` and is listed as skipped.
// Synopses (`portcullis scan <image> [options]`) belong in plain ``` blocks, which are not run.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianImage } from '../fixtures/debian-image.js';
import { spawnCli, TSX_LOADER } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/shared.js';
import { buildZip, startFaultServer, type FaultServer } from '../vulndb/zipfix.js';

interface Example {
  file: string;
  line: number;
  argv: string[];
  expectError: boolean;
  /** `# needs: docker`: the example needs a system this suite does not run; listed as skipped. */
  needs?: string;
}

/** Splits a shell command line into words (quotes and backslash escapes; no expansion). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: '"' | "'" | undefined;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has || cur) words.push(cur);
  return words;
}

/** Variables the examples may use, as a CI system would set them. */
const EXAMPLE_VARS: Record<string, string> = { GITHUB_STEP_SUMMARY: 'step-summary.md' };

export function extractExamples(file: string, text: string): Example[] {
  const out: Example[] = [];
  const lines = text.split('\n');
  let inSh = false;
  let fence = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const m = /^\s*```(\S*)/.exec(l);
    if (m) {
      if (fence) {
        fence = false;
        inSh = false;
      } else {
        fence = true;
        inSh = ['sh', 'bash', 'shell', 'console'].includes(m[1]!);
      }
      continue;
    }
    if (!inSh) continue;
    let cmd = l.replace(/^\s*\$\s+/, '');
    const start = i + 1;
    while (cmd.endsWith('\\') && i + 1 < lines.length) cmd = `${cmd.slice(0, -1)} ${lines[++i]!.trim()}`;
    const comment = /\s#\s.*$/.exec(cmd)?.[0] ?? '';
    // `npm ci && npx portcullis scan image.tar`: the portcullis part is the example.
    const segment = cmd.slice(0, cmd.length - comment.length).split('&&').map((s) => s.trim()).find((s) => /^(npx\s+)?portcullis\s/.test(s));
    if (!segment) continue;
    const needs = /needs:\s*([^#]+)/.exec(comment)?.[1]?.trim();
    const words = shellWords(segment).map((w) => w.replace(/\$\{?(\w+)\}?/g, (_, v: string) => EXAMPLE_VARS[v] ?? `$${v}`));
    const argv = words[0] === 'npx' ? words.slice(2) : words.slice(1);
    out.push({ file, line: start, argv, expectError: /exit 2/.test(comment), ...(needs ? { needs } : {}) });
  }
  return out;
}

function docFiles(): string[] {
  const docs = readdirSync(join(PROJECT_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
  return ['README.md', ...docs.sort()];
}

const EXAMPLES = docFiles().flatMap((f) => extractExamples(f, readFileSync(join(PROJECT_ROOT, f), 'utf8')));
const today = new Date().toISOString();

/** Real-shaped OSV records for the fixture image's Debian 12 packages, dated today. */
function debianRecord(cve: string, source: string, events: object[], urgency: string) {
  return {
    schema_version: '1.6.0', id: `DEBIAN-${cve}`, upstream: [cve], modified: today, published: '2022-01-01T00:00:00Z', details: `${cve} in ${source}`,
    affected: [{ package: { ecosystem: 'Debian:12', name: source }, ranges: [{ type: 'ECOSYSTEM', events }], ecosystem_specific: { urgency } }],
  };
}
const RECORDS = [
  debianRecord('CVE-2019-1010022', 'glibc', [{ introduced: '0' }], 'unimportant'),
  debianRecord('CVE-2022-0563', 'util-linux', [{ introduced: '0' }], 'unimportant'),
];
const KEV = {
  title: 'CISA Catalog of Known Exploited Vulnerabilities', catalogVersion: today.slice(0, 10), dateReleased: today, count: 1,
  vulnerabilities: [{ cveID: 'CVE-2021-44228', vendorProject: 'Apache', product: 'Log4j2', vulnerabilityName: 'Apache Log4j2 RCE', dateAdded: '2021-12-10', shortDescription: 'x', requiredAction: 'Apply updates', dueDate: '2021-12-24', knownRansomwareCampaignUse: 'Known', notes: '', cwes: [] }],
};
const EPSS = `#model_version:v2025.03.14,score_date:${today}\ncve,epss,percentile\nCVE-2019-1010022,0.00123,0.41\n`;
const NVD = {
  resultsPerPage: 1, startIndex: 0, totalResults: 1, format: 'NVD_CVE', version: '2.0', timestamp: today.slice(0, 23),
  vulnerabilities: [{ cve: { id: 'CVE-2022-0563', metrics: { cvssMetricV31: [{ source: 'nvd@nist.gov', type: 'Primary', cvssData: { version: '3.1', vectorString: 'CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N', baseScore: 5.5 } }] } } }],
};

describe('command examples in README.md and docs/ run as written', () => {
  let dir: string;
  let server: FaultServer;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const img = await debianImage();
    dir = mkdtempSync(join(tmpdir(), 'portcullis-doc-examples-'));
    server = await startFaultServer();
    server.files.set('Debian', await buildZip(RECORDS));
    server.files.set('npm', await buildZip([]));
    server.files.set('kev', Buffer.from(JSON.stringify(KEV)));
    server.files.set('epss', Buffer.from(EPSS));
    // The files the docs name, as a user would have them.
    cpSync(img.dockerArchive, join(dir, 'image.tar'));
    mkdirSync(join(dir, 'build'));
    cpSync(img.ociArchive, join(dir, 'build', 'image.tar'));
    cpSync(join(PROJECT_ROOT, 'policies'), join(dir, 'policies'), { recursive: true });
    mkdirSync(join(dir, 'advisories'));
    RECORDS.forEach((r, i) => writeFileSync(join(dir, 'advisories', `${i}.json`), JSON.stringify(r)));
    writeFileSync(join(dir, 'all.zip'), await buildZip(RECORDS));
    writeFileSync(join(dir, 'kev.json'), JSON.stringify(KEV));
    writeFileSync(join(dir, 'epss.csv.gz'), gzipSync(EPSS));
    writeFileSync(join(dir, 'nvd-2024.json'), JSON.stringify(NVD));
    env = {
      HOME: dir,
      XDG_CACHE_HOME: join(dir, '.cache'),
      PORTCULLIS_DB: join(dir, 'db.sqlite'),
      PORTCULLIS_DB_SOURCES: `${server.url}/ok/{ecosystem}/all.zip`,
      PORTCULLIS_KEV_URL: `${server.url}/ok/kev`,
      PORTCULLIS_EPSS_URL: `${server.url}/ok/epss`,
    };
    // The fixture DB: the image's advisories plus KEV and EPSS, as `db import` makes it.
    const made = await spawnCli(['db', 'import', '--quiet', 'all.zip', 'kev.json', 'epss.csv.gz'], { cwd: dir, env });
    expect(made.code, made.stderr).toBe(0);
    // `policy explain` examples read a report of a scan of the image.
    const rep = await spawnCli(['scan', 'image.tar', '--quiet', '--format', 'json=report.json'], { cwd: dir, env });
    expect([0, 1], rep.stderr).toContain(rep.code);
  }, 1_800_000);

  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the examples', () => {
    expect(EXAMPLES.length).toBeGreaterThan(5);
  });

  for (const ex of EXAMPLES) {
    const title = `${ex.file}:${ex.line}: portcullis ${ex.argv.join(' ')}`;
    if (ex.needs) {
      it.skip(`${title} (needs ${ex.needs})`, () => undefined);
      continue;
    }
    it(title, async () => {
      if (ex.argv[0] === 'db' && ex.argv[1] === 'serve') {
        // A server runs until stopped: it must start and listen.
        const child = spawn(process.execPath, ['--import', TSX_LOADER, join(PROJECT_ROOT, 'src/cli/entry.ts'), ...ex.argv.map((a) => a.replace(/:8080$/, ':0'))], { cwd: dir, env: { ...process.env, ...env } });
        let err = '';
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        const listening = await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), 30_000);
          child.stderr.on('data', () => /listening|serving .* on http/i.test(err) && (clearTimeout(t), resolve(true)));
          child.on('exit', () => (clearTimeout(t), resolve(false)));
        });
        child.kill();
        expect(listening, err).toBe(true);
        return;
      }
      const r = await spawnCli(ex.argv, { cwd: dir, env, timeoutMs: 120_000 });
      const why = `${ex.file}:${ex.line} exit ${r.code}\n${r.stderr.slice(0, 2000)}`;
      if (ex.expectError) expect(r.code, why).toBe(2);
      else expect([0, 1], why).toContain(r.code);
    });
  }
});

// The formats of `scan` and `sbom` are listed the same in --help, README.md and docs/reports.md:
// a format added to (or dropped from) a command fails here until every list says so.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SBOM_OUTPUT, SCAN_OUTPUT } from '../../src/cli/format-flags.js';
import { formatNames } from '../../src/report/index.js';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/shared.js';

const read = (f: string) => readFileSync(join(PROJECT_ROOT, f), 'utf8');
const names = (text: string) => [...text.matchAll(/`([a-z]+)`/g)].map((m) => m[1]!);

describe('format lists', () => {
  it('scan writes every encoder; sbom a fixed few, with json the default', () => {
    expect(SCAN_OUTPUT.formats).toEqual(formatNames());
    expect(SCAN_OUTPUT.default).toBe('table');
    expect(SBOM_OUTPUT).toEqual({ formats: ['json', 'cyclonedx', 'spdx', 'table'], default: 'json' });
  });

  it('--help of each command lists its formats and default', async () => {
    for (const [cmd, choice] of [['scan', SCAN_OUTPUT], ['sbom', SBOM_OUTPUT]] as const) {
      const help = (await runCli([cmd, '--help'])).stdout.replace(/\s+/g, ' ');
      expect(help, cmd).toContain(`NAME: ${choice.formats.join(', ')}. Default: ${choice.default}`);
      expect(help, cmd).toContain(`--output FILE write the one format (--format NAME, else ${choice.default}) to FILE`);
    }
  });

  it('docs/reports.md lists each command\'s formats and default', () => {
    const doc = read('docs/reports.md');
    const row = (cmd: string) => doc.split('\n').find((l) => l.startsWith(`| \`${cmd}\` |`))!;
    for (const [cmd, choice] of [['scan', SCAN_OUTPUT], ['sbom', SBOM_OUTPUT]] as const) {
      const cells = row(cmd).split('|').map((c) => c.trim());
      expect(names(cells[2]!), cmd).toEqual(choice.formats);
      expect(names(cells[3]!), cmd).toEqual([choice.default]);
    }
    // The table of what each format is for has one row per encoder.
    const rows = doc.split('\n').filter((l) => /^\| `[a-z]+` \| `\./.test(l)).map((l) => names(l)[0]);
    expect(rows).toEqual(formatNames());
  });

  it('README.md lists the same formats and defaults', () => {
    const row = read('README.md').split('\n').find((l) => l.startsWith('| `--format NAME[=FILE]` |'))!;
    const [scanPart, sbomPart] = row.split('`sbom` takes');
    expect(names(scanPart!.replace('`--format NAME[=FILE]`', ''))).toEqual(['table', ...formatNames().filter((n) => n !== 'table')]);
    expect(names(sbomPart!)).toEqual(SBOM_OUTPUT.formats);
    expect(read('README.md')).toContain(`portcullis sbom <image> [--format NAME[=FILE]…] [--output FILE]   NAME: json (default), cyclonedx, spdx, table`);
  });
});

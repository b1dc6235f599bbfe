import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PortcullisError } from '../../src/errors.js';
import { formatNames } from '../../src/report/index.js';
import { parseFormatTargets, stdoutOptions, writeReports } from '../../src/report/output.js';
import { sampleReport } from './sample-report.js';

function capture(tty = false, columns?: number) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  stream.isTTY = tty;
  stream.columns = columns;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'portcullis-out-'));
}

describe('parseFormatTargets', () => {
  it('parses NAME and NAME=FILE, resolving files against cwd', () => {
    expect(parseFormatTargets(['table', 'sarif=out/r.sarif', 'json=/abs/r.json'], '/work')).toEqual([
      { format: 'table' },
      { format: 'sarif', path: '/work/out/r.sarif' },
      { format: 'json', path: '/abs/r.json' },
    ]);
    expect(parseFormatTargets(['json=-'], '/w')).toEqual([{ format: 'json' }]);
  });

  it('rejects unknown formats, two stdout formats, empty names and one file twice', () => {
    expect(() => parseFormatTargets(['yaml'])).toThrow(/unknown format "yaml" \(known: json, table/);
    expect(() => parseFormatTargets(['table', 'json'])).toThrow(/only one format can go to stdout/);
    expect(() => parseFormatTargets(['=x'])).toThrow(PortcullisError);
    expect(() => parseFormatTargets(['json='])).toThrow(/file name after "=" is empty/);
    expect(() => parseFormatTargets(['json=a', 'sarif=./a'], '/w')).toThrow(/json and sarif both write to the same file/);
  });

  it('knows every encoder', () => {
    expect(formatNames()).toEqual(['json', 'table', 'sarif', 'cyclonedx', 'spdx', 'junit', 'markdown', 'html', 'gitlab']);
  });
});

describe('writeReports', () => {
  it('writes several formats in one call, one to stdout', async () => {
    const dir = tmp();
    const out = capture();
    const targets = parseFormatTargets(['table', ...formatNames().filter((n) => n !== 'table').map((n) => `${n}=r.${n}`)], dir);
    await writeReports(sampleReport(), targets, { stdout: out.stream, cwd: dir });
    expect(readdirSync(dir).sort()).toEqual(formatNames().filter((n) => n !== 'table').map((n) => `r.${n}`).sort());
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).schemaVersion).toBe('1.0');
    expect(JSON.parse(readFileSync(join(dir, 'r.sarif'), 'utf8')).version).toBe('2.1.0');
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    expect(out.text()).toContain('PACKAGE');
    expect(out.text()).not.toMatch(/\u001b\[/);
  });

  it('colours stdout only on a TTY, honouring NO_COLOR; fits it to the terminal, else $COLUMNS, else 80', async () => {
    expect(stdoutOptions({ stdout: capture(true, 90).stream, env: {} })).toEqual({ color: true, width: 90 });
    expect(stdoutOptions({ stdout: capture(true, 90).stream, env: { NO_COLOR: '1' } })).toEqual({ color: false, width: 90 });
    expect(stdoutOptions({ stdout: capture(false).stream, env: {} })).toEqual({ color: false, width: 80 });
    expect(stdoutOptions({ stdout: capture(false).stream, env: { COLUMNS: '132' } })).toEqual({ color: false, width: 132 });
    expect(stdoutOptions({ stdout: capture(false).stream, env: { COLUMNS: 'wide' } })).toEqual({ color: false, width: 80 });
    const out = capture(true, 80);
    await writeReports(sampleReport(), [{ format: 'table' }], { stdout: out.stream, env: {} });
    expect(out.text()).toMatch(/\u001b\[/);
    // A file never gets colour, even when stdout is a terminal.
    const dir = tmp();
    await writeReports(sampleReport(), parseFormatTargets(['table=t.txt'], dir), { stdout: capture(true, 80).stream, env: {} });
    expect(readFileSync(join(dir, 't.txt'), 'utf8')).not.toMatch(/\u001b\[/);
  });

  it('a target in a missing directory fails before anything is written', async () => {
    const dir = tmp();
    const out = capture();
    const targets = parseFormatTargets(['table', 'json=a.json', 'sarif=missing/b.sarif', 'html=c.html'], dir);
    await expect(writeReports(sampleReport(), targets, { stdout: out.stream })).rejects.toThrow(/missing\/b\.sarif: directory .* does not exist/);
    expect(readdirSync(dir)).toEqual([]);
    expect(out.text()).toBe('');
  });

  it('rejects a directory as output path', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'report.json'));
    await expect(writeReports(sampleReport(), parseFormatTargets(['json=report.json'], dir), { stdout: capture().stream }))
      .rejects.toThrow(/report\.json: is a directory/);
  });

  it('a write failing midway removes the files this call created and keeps older ones', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'old.json'), 'previous');
    // A name the file system accepts but whose temp name (".NAME.<hex>.tmp") is too long: the
    // checks pass and the write itself fails, after the first two files were written.
    const long = `${'x'.repeat(240)}.sarif`;
    const targets = parseFormatTargets(['json=old.json', 'spdx=new.spdx.json', `sarif=${long}`], dir);
    await expect(writeReports(sampleReport(), targets, { stdout: capture().stream })).rejects.toThrow(/ENAMETOOLONG/);
    expect(readdirSync(dir).sort()).toEqual(['old.json']);
    // The file that existed holds a whole report (replaced atomically), never a part of one.
    expect(JSON.parse(readFileSync(join(dir, 'old.json'), 'utf8')).schemaVersion).toBe('1.0');
  });

  it('an encoder failure leaves no file', async () => {
    const dir = tmp();
    const bad = sampleReport();
    (bad as { findings: unknown }).findings = [{ broken: true }];
    await expect(writeReports(bad, parseFormatTargets(['json=a.json', 'sarif=b.sarif'], dir), { stdout: capture().stream })).rejects.toThrow();
    expect(readdirSync(dir)).toEqual([]);
  });
});

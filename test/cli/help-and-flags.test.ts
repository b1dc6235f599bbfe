// What a newcomer types first: --help on a subcommand, a mistyped flag or subcommand. Each gets
// its own help or one line naming the mistake and the likely meant name (issue 18, section 5).
import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from '../../src/cli/args.js';
import { runCli } from '../helpers/cli.js';

describe('subcommand help', () => {
  const cases: [string[], RegExp][] = [
    [['db', 'import', '--help'], /^Usage: portcullis db import PATH\.\.\./],
    [['db', 'import-nvd', '--help'], /^Usage: portcullis db import-nvd FILE\.\.\./],
    [['db', 'update', '--help'], /^Usage: portcullis db update/],
    [['db', 'status', '-h'], /^Usage: portcullis db status/],
    [['db', 'serve', '--help'], /^Usage: portcullis db serve/],
    [['policy', 'validate', '--help'], /^Usage: portcullis policy validate FILE\.\.\./],
    [['policy', 'test', '--help'], /^Usage: portcullis policy test PATH\.\.\. \[--verbose\]/],
    [['policy', 'explain', '--help'], /^Usage: portcullis policy explain REPORT\.json --finding ID/],
    [['help', 'db', 'serve'], /^Usage: portcullis db serve/],
  ];
  for (const [args, first] of cases) {
    it(`${args.join(' ')} prints that subcommand's own help`, async () => {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(first);
    });
  }

  it('each subcommand help names only its own options', async () => {
    const serve = (await runCli(['db', 'serve', '--help'])).stdout;
    expect(serve).toContain('--listen HOST:PORT');
    expect(serve).not.toContain('--ecosystem');
    const imp = (await runCli(['db', 'import', '--help'])).stdout;
    expect(imp).toContain('--ecosystem E');
    expect(imp).not.toContain('--listen');
    // The group's help still lists every subcommand.
    const group = (await runCli(['db', '--help'])).stdout;
    for (const sub of ['import', 'import-nvd', 'update', 'status', 'serve']) expect(group).toMatch(new RegExp(`^  ${sub}\\b`, 'm'));
  });
});

describe('mistyped names: one line, exit 2, with the near miss', () => {
  const cases: [string[], string][] = [
    [['scan', 'image.tar', '--fromat', 'json'], 'portcullis: scan: unknown option --fromat (did you mean --format?)'],
    [['sbom', 'image.tar', '--ouptut', 'x.json'], 'portcullis: sbom: unknown option --ouptut (did you mean --output?)'],
    [['db', 'import', '--ecosytem', 'npm', 'x'], 'portcullis: db import: unknown option --ecosytem (did you mean --ecosystem?)'],
    [['db', 'serve', '--lisen', '127.0.0.1:0'], 'portcullis: db serve: unknown option --lisen (did you mean --listen?)'],
    [['policy', 'test', '--verbos', 'x'], 'portcullis: policy test: unknown option --verbos (did you mean --verbose?)'],
    [['scan', 'image.tar', '--frobnicate'], 'portcullis: scan: unknown option --frobnicate (see portcullis scan --help)'],
    [['policy', 'test', '-x'], 'portcullis: policy test: unknown option -x (see portcullis policy test --help)'],
    [['db', 'imprt'], 'portcullis: db: unknown subcommand "imprt" (did you mean import? one of import, import-nvd, update, status, serve)'],
    [['policy', 'tset'], 'portcullis: policy: unknown subcommand "tset" (did you mean test? one of validate, test, explain)'],
    [['cache', 'purge'], 'portcullis: cache: unknown subcommand "purge" (one of info, clean)'],
    [['scna', 'image.tar'], 'portcullis: unknown command "scna" (did you mean scan? see portcullis --help)'],
    [['scan', '--format'], 'portcullis: scan: --format needs a value'],
    [['policy', 'test', '--verbose=yes', 'x'], 'portcullis: policy test: --verbose takes no value'],
    [['db', 'status', 'extra'], 'portcullis: db status: unexpected argument "extra" (this takes options only)'],
  ];
  for (const [args, line] of cases) {
    it(args.join(' '), async () => {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`${line}\n`);
    });
  }
});

describe('didYouMean', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('fromat', 'format')).toBe(1);
    expect(editDistance('format', 'format')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
  it('suggests the closest name, a unique prefix, or nothing', () => {
    const flags = ['format', 'output', 'policy', 'platform', 'quiet'];
    expect(didYouMean('fromat', flags)).toBe('format');
    expect(didYouMean('polciy', flags)).toBe('policy');
    expect(didYouMean('plat', flags)).toBe('platform');
    expect(didYouMean('zzzzzz', flags)).toBeUndefined();
    expect(didYouMean('x', flags)).toBeUndefined();
  });
});

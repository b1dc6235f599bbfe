// The ecosystem tables of docs/versions.md, docs/matching.md and docs/catalogers.md, rendered from
// the registry. test/ecosystems/docs.test.ts checks the docs hold exactly these (UPDATE_DOCS=1
// rewrites them).
import { ECOSYSTEMS, UNSUPPORTED_OSES } from '../../src/ecosystems/index.js';
import type { LookupRule } from '../../src/ecosystems/index.js';

const LOOKUP: Record<LookupRule, string> = {
  name: 'its own name, as installed',
  source: 'the **source** package, at the source version',
  origin: 'the origin (source), at the package version',
  'binary-and-source': 'the binary name, then the source RPM name, at `[epoch:]version-release`',
};

const code = (s: string) => `\`${s}\``;

export function versionsTable(): string {
  const rows = ECOSYSTEMS.map((e) => `| ${e.osv} | ${code(e.purl.type)} | ${code(e.comparator.constructor.name)} | ${e.versionScheme} |`);
  return ['| OSV ecosystem | purl type | comparator | version scheme |', '|---|---|---|---|', ...rows].join('\n');
}

export function matchingTable(): string {
  const rows = ECOSYSTEMS.map((e) => {
    const os = e.os ? `${e.os.label} (${e.os.ids.map(code).join(', ')})` : '—';
    return `| ${e.osv} | ${e.releaseSuffix ? code(e.releaseSuffix) : '—'} | ${code(e.purl.type)}${e.purl.aliases ? ` (also ${e.purl.aliases.map((a) => code(`pkg:${a}`)).join(', ')})` : ''} | ${LOOKUP[e.lookup]} | ${os} |`;
  });
  const unsupported = UNSUPPORTED_OSES.map((u) => `| ${u.label({ id: u.ids[0]!, detectedFrom: '' })} (${u.ids.map(code).join(', ')}) | ${u.reason} |`);
  return [
    '| OSV ecosystem | release suffix | purl type | looked up as | OS (os-release `ID`) |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'Detected, never matched (reported `unsupported` in coverage):',
    '',
    '| OS (os-release `ID`) | why |',
    '|---|---|',
    ...unsupported,
  ].join('\n');
}

export function catalogersTable(): string {
  const rows = ECOSYSTEMS.map((e) => `| ${e.osv} | ${code(e.purl.type)} | ${e.catalogers.length ? e.catalogers.map(code).join(', ') : 'SBOM input only'} | ${code(`${e.example.name}@${e.example.version}`)} |`);
  return ['| OSV ecosystem | purl type | found by | example |', '|---|---|---|---|', ...rows].join('\n');
}

export const DOC_TABLES: Record<string, { file: string; render: () => string }> = {
  versions: { file: 'docs/versions.md', render: versionsTable },
  matching: { file: 'docs/matching.md', render: matchingTable },
  catalogers: { file: 'docs/catalogers.md', render: catalogersTable },
};

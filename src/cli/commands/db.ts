import { PortcullisError } from '../../errors.js';
import type { Command } from '../command.js';
import { parseCommandArgs, unknownSubcommand } from '../args.js';
import { wantsProgress, type CliIO } from '../io.js';
import { resolveDbPath } from '../../vulndb/paths.js';
import { importFiles } from '../../vulndb/import-files.js';
import { openLocalDb } from '../../vulndb/local.js';
import { formatAge } from '../../vulndb/freshness.js';
import { updateSourcesFromEnv, updateDb } from '../../vulndb/update.js';
import { progressReporter } from '../../vulndb/progress.js';
import { checkFileOrDirectory, readRegularFileSync } from '../../util/regular-file.js';

const DB_OPTION = `  --db FILE           database file (env PORTCULLIS_DB; default $XDG_CACHE_HOME/portcullis/db.sqlite)`;

/** Each subcommand's own help (`portcullis db import --help`); the group's help lists them all. */
const SUBCOMMANDS: Record<string, string> = {
  import: `Usage: portcullis db import PATH... [options]

Imports OSV JSON files, directories, OSV all.zip archives, and enrichment feeds (CISA KEV JSON,
FIRST EPSS CSV[.gz], NVD CVE API 2.0 JSON) into the local DB; each input is recognised by content.

Options:
  --ecosystem E       keep only records of ecosystem E (repeatable; "Debian:12" matches
                      "Debian:12" and "Debian:12:…")
${DB_OPTION}
  --quiet             no warnings on stderr
`,
  'import-nvd': `Usage: portcullis db import-nvd FILE... [options]

Imports NVD CVE API 2.0 JSON files (CVSS vectors and base scores); exit 2 when the input holds
no NVD CVE record.

Options:
${DB_OPTION}
  --quiet             no warnings on stderr
`,
  update: `Usage: portcullis db update [options]

Downloads the OSV data of the needed ecosystems (and with --enrichment the KEV and EPSS feeds).

Options:
  --ecosystem E       ecosystem to fetch (repeatable; default: those already in the DB)
  --source URL        source URL template, {ecosystem} is replaced (repeatable, in order; env
                      PORTCULLIS_DB_SOURCES; default
                      https://osv-vulnerabilities.storage.googleapis.com/{ecosystem}/all.zip)
  --mirror URL        fallback URL template (repeatable; env PORTCULLIS_DB_MIRRORS)
  --enrichment        also fetch the KEV catalog and EPSS scores
  --kev-url URL       KEV feed URL (repeatable; env PORTCULLIS_KEV_URL)
  --epss-url URL      EPSS feed URL (repeatable; env PORTCULLIS_EPSS_URL)
  --force             ignore the stored ETag / Last-Modified
  --retries N         retries per source, 0..10 (default 2)
${DB_OPTION}
  --quiet             no progress or warnings on stderr
`,
  status: `Usage: portcullis db status [options]

Shows the DB's sources, ecosystems (records, newest record), data date and intel counts.

Options:
  --format text|json  (default text)
${DB_OPTION}
`,
  serve: `Usage: portcullis db serve [options]

Serves the DB over HTTP, read-only, compatible with the OSV API (what scan --db-url queries).
Runs until SIGTERM or SIGINT.

Options:
  --listen HOST:PORT  where to listen (default 127.0.0.1:8080)
  --token-file FILE   require "Authorization: Bearer <token>" with the token in FILE
${DB_OPTION}
  --quiet             has no effect here: serve always prints where it listens
`,
};

const USAGE = `Usage: portcullis db <subcommand> [options]

Subcommands (each has its own --help: portcullis db import --help):
  import PATH...      import OSV JSON files/dirs/all.zip, KEV JSON, EPSS CSV[.gz], NVD CVE JSON
  import-nvd FILE...  import NVD CVE API 2.0 JSON files (CVSS vectors and base scores)
  update              download the needed ecosystems (and with --enrichment KEV + EPSS)
  status              show sources, ecosystems, data date and intel counts
  serve               serve the DB over HTTP (OSV API compatible, read-only)

Common options:
${DB_OPTION}
`;

function dbPath(values: { db?: string }, io: CliIO): string {
  return resolveDbPath({ db: values.db, env: io.env, cwd: io.cwd });
}

async function runImport(args: string[], io: CliIO, nvdOnly: boolean): Promise<number> {
  const { values, positionals } = parseCommandArgs(nvdOnly ? 'db import-nvd' : 'db import', args, {
    db: { type: 'string' },
    ecosystem: { type: 'string', multiple: true },
    quiet: { type: 'boolean' },
  });
  if (positionals.length === 0) throw new PortcullisError(`db ${nvdOnly ? 'import-nvd' : 'import'}: name at least one file or directory`);
  // A FIFO or /dev/zero would block or read forever: files and directories only, refused up front.
  for (const p of positionals) checkFileOrDirectory(p, 'import input');
  const path = dbPath(values, io);
  let warnings = 0;
  const stats = await importFiles(path, positionals, {
    ecosystems: values.ecosystem ?? [],
    warn: (m) => {
      warnings++;
      if (!values.quiet && warnings <= 200) io.stderr.write(`portcullis: warning: ${m}\n`);
    },
  });
  if (nvdOnly && stats.nvd === 0) throw new PortcullisError('db import-nvd: no NVD CVE records found in the input');
  if (!values.quiet && warnings > 200) io.stderr.write(`portcullis: warning: … ${warnings - 200} more warnings\n`);
  io.stdout.write(
    `imported into ${path}: ${stats.added} added, ${stats.replaced} replaced, ${stats.kept} unchanged, ${stats.invalid} invalid, ` +
      `${stats.filtered} outside --ecosystem; KEV ${stats.kev}, EPSS ${stats.epss}, NVD ${stats.nvd}\n`,
  );
  return 0;
}

async function runUpdate(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('db update', args, {
    db: { type: 'string' },
    ecosystem: { type: 'string', multiple: true },
    source: { type: 'string', multiple: true },
    mirror: { type: 'string', multiple: true },
    enrichment: { type: 'boolean' },
    'kev-url': { type: 'string', multiple: true },
    'epss-url': { type: 'string', multiple: true },
    force: { type: 'boolean' },
    retries: { type: 'string' },
    quiet: { type: 'boolean' },
  }, false);
  const retries = values.retries === undefined ? 2 : Number(values.retries);
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new PortcullisError('db update: --retries must be an integer 0..10');
  const path = dbPath(values, io);
  const tty = wantsProgress(io, values.quiet ?? false);
  const fromEnv = updateSourcesFromEnv(io.env);
  await updateDb({
    dbPath: path,
    ecosystems: values.ecosystem,
    sources: values.source ?? fromEnv.sources,
    mirrors: [...(values.mirror ?? []), ...(fromEnv.mirrors ?? [])],
    enrichment: values.enrichment ?? false,
    kevUrls: values['kev-url'] ?? fromEnv.kevUrls,
    epssUrls: values['epss-url'] ?? fromEnv.epssUrls,
    force: values.force ?? false,
    fetch: { retries },
    onEvent: progressReporter(io.stderr, tty, values.quiet ?? false),
    warn: (m) => {
      if (!values.quiet) io.stderr.write(`portcullis: warning: ${m}\n`);
    },
  });
  io.stdout.write(`updated ${path}\n`);
  return 0;
}

async function runStatus(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('db status', args, { db: { type: 'string' }, format: { type: 'string' } }, false);
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new PortcullisError(`db status: --format must be text or json, not "${format}"`);
  const path = dbPath(values, io);
  const db = openLocalDb(path);
  try {
    const now = Date.now();
    const summary = db.summary();
    const counts = db.counts();
    const sources = db.sources().map((s) => ({ ...s, ageSeconds: Math.round((now - Date.parse(s.fetchedAt)) / 1000) }));
    const ecosystems = db.ecosystems();
    if (format === 'json') {
      const intel = { kev: counts.kev, epss: counts.epss, nvd: counts.nvd };
      io.stdout.write(`${JSON.stringify({ path, builtAt: summary.builtAt, updatedAt: summary.updatedAt, dataDate: summary.dataDate, counts, intel, sources, ecosystems }, null, 2)}\n`);
    } else {
      const dated = (d: string | undefined) => (d ? `${d.slice(0, 10)} (${formatAge(now - Date.parse(d))} ago)` : 'unknown');
      const width = Math.max(9, ...ecosystems.map((e) => e.ecosystem.length));
      const lines = [
        `database  ${path}`,
        `built     ${summary.builtAt ?? 'unknown'}`,
        `data date ${dated(summary.dataDate)}  (oldest source's data; what --max-db-age checks)`,
        `records   ${counts.records} (${counts.withdrawn} withdrawn); KEV ${counts.kev}, EPSS ${counts.epss}, NVD ${counts.nvd}`,
        '',
        'sources',
        ...sources.map((s) => `  ${s.name}  ${s.records} records  data ${dated(s.dataDate)}  fetched ${s.fetchedAt} (${formatAge(s.ageSeconds * 1000)} ago)${s.url ? `  ${s.url}` : ''}`),
      ];
      if (sources.length === 0) lines.push('  (no sources)');
      lines.push('', `ecosystems${' '.repeat(width - 8)}records  newest record`);
      lines.push(...ecosystems.map((e) => `  ${e.ecosystem.padEnd(width)}  ${String(e.records).padStart(7)}  ${dated(e.dataDate)}`));
      if (ecosystems.length === 0) lines.push('  (none)');
      io.stdout.write(`${lines.join('\n')}\n`);
    }
  } finally {
    await db.close();
  }
  return 0;
}

async function runServe(args: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('db serve', args, {
    db: { type: 'string' },
    listen: { type: 'string' },
    'token-file': { type: 'string' },
    quiet: { type: 'boolean' },
  }, false);
  const { serveDb, parseListen } = await import('../../vulndb/server.js');
  const { host, port } = parseListen(values.listen ?? '127.0.0.1:8080');
  let token: string | undefined;
  if (values['token-file']) {
    token = readRegularFileSync(values['token-file'], 'token file', 64 * 1024).toString('utf8').trim();
    if (!token) throw new PortcullisError('the token file is empty', { subject: values['token-file'] });
  }
  const server = await serveDb({ dbPath: dbPath(values, io), host, port, token });
  io.stderr.write(`portcullis: serving ${server.dbPath} on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void server.close().then(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return 0;
}

const command: Command = {
  name: 'db',
  summary: 'Manage the vulnerability database (import, update, status, serve)',
  usage: USAGE,
  subcommands: SUBCOMMANDS,
  async run(args, io) {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'import':
        return runImport(rest, io, false);
      case 'import-nvd':
        return runImport(rest, io, true);
      case 'update':
        return runUpdate(rest, io);
      case 'status':
        return runStatus(rest, io);
      case 'serve':
        return runServe(rest, io);
      default:
        throw unknownSubcommand('db', sub, Object.keys(SUBCOMMANDS));
    }
  },
};
export default command;

import { readFileSync } from 'node:fs';
import { PortcullisError } from '../../errors.js';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../args.js';
import { wantsProgress, type CliIO } from '../io.js';
import { resolveDbPath } from '../../vulndb/paths.js';
import { importFiles } from '../../vulndb/import-files.js';
import { openLocalDb } from '../../vulndb/local.js';
import { formatAge } from '../../vulndb/freshness.js';
import { updateSourcesFromEnv, updateDb } from '../../vulndb/update.js';
import { progressReporter } from '../../vulndb/progress.js';

const USAGE = `Usage: portcullis db <subcommand> [options]

Subcommands:
  import PATH…        Import OSV JSON files, directories, OSV all.zip archives, and enrichment
                      feeds (CISA KEV JSON, FIRST EPSS CSV[.gz], NVD CVE API 2.0 JSON), by content
      --ecosystem E   Keep only records of ecosystem E (repeatable; "Debian:12" matches
                      "Debian:12" and "Debian:12:…")
  import-nvd FILE…    Import NVD CVE API 2.0 JSON files (CVSS vectors and base scores)
  update              Download the needed ecosystems (and with --enrichment KEV + EPSS)
      --ecosystem E   Ecosystem to fetch (repeatable; default: those already in the DB)
      --source URL    Source URL template, {ecosystem} is replaced (repeatable, in order;
                      default https://osv-vulnerabilities.storage.googleapis.com/{ecosystem}/all.zip)
      --mirror URL    Fallback URL template (repeatable; env PORTCULLIS_DB_MIRRORS)
      --enrichment    Also fetch the KEV catalog and EPSS scores
      --kev-url URL / --epss-url URL   Enrichment feed URLs (env PORTCULLIS_KEV_URL, PORTCULLIS_EPSS_URL)
      --force         Ignore stored ETag / Last-Modified
      --retries N     Retries per source (default 2)
  status              Show sources, ecosystems (records, newest record), data date, intel counts
      --format text|json
  serve               Serve the DB over HTTP (OSV API compatible, read-only)
      --listen HOST:PORT   (default 127.0.0.1:8080)
      --token-file FILE    Require "Authorization: Bearer <token>"

Options:
  --db FILE   Database file (env PORTCULLIS_DB; default $XDG_CACHE_HOME/portcullis/db.sqlite)
  --quiet     No progress or warnings on stderr
`;

function dbPath(values: { db?: string }, io: CliIO): string {
  return resolveDbPath({ db: values.db, env: io.env, cwd: io.cwd });
}

async function runImport(args: string[], io: CliIO, nvdOnly: boolean): Promise<number> {
  const { values, positionals } = parseCommandArgs('db import', args, {
    db: { type: 'string' },
    ecosystem: { type: 'string', multiple: true },
    quiet: { type: 'boolean' },
  });
  if (positionals.length === 0) throw new PortcullisError(`db ${nvdOnly ? 'import-nvd' : 'import'}: name at least one file or directory`);
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
    try {
      token = readFileSync(values['token-file'], 'utf8').trim();
    } catch (err) {
      throw new PortcullisError(`cannot read the token file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { subject: values['token-file'] });
    }
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
        throw new PortcullisError(sub ? `db: unknown subcommand "${sub}" (import, import-nvd, update, status, serve)` : 'db: name a subcommand (import, import-nvd, update, status, serve)');
    }
  },
};
export default command;

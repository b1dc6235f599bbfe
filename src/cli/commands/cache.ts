import { resolve } from 'node:path';
import { checkCacheDir, DEFAULT_SHARED_MAX_ENTRY, DEFAULT_SHARED_TIMEOUT_MS, DEFAULT_CACHE_TTL_MS, openLayerCache, parseCacheBackend, RedisLayerCache } from '../../cache/index.js';
import { errorMessage, PortcullisError } from '../../errors.js';
import { parseDuration } from '../../vulndb/freshness.js';
import { parseCommandArgs, unknownSubcommand } from '../args.js';
import type { Command } from '../command.js';
import { CACHE_BACKEND_FLAGS } from './cache-flags.js';

const usage = `Usage: portcullis cache <info|clean> [--cache-dir DIR] [--cache-backend URL]

Manages the layer cache (per-layer inventory results, keyed by layer blob digest, diff_id and the
catalogers' versions): the per-user directory, and the shared Redis cache when one is named.

Subcommands:
  info    print the cache directory, its entry count and size (and the shared cache's)
  clean   remove every cache entry (only files the cache wrote; only portcullis keys in Redis)

Options:
  --cache-dir DIR       the cache directory (default $XDG_CACHE_HOME/portcullis/layers or
                        ~/.cache/portcullis/layers); refused unless it is yours alone
  --cache-backend URL   redis://… or rediss://… (default $PORTCULLIS_CACHE_BACKEND); credentials
                        from the URL or $PORTCULLIS_CACHE_USERNAME / $PORTCULLIS_CACHE_PASSWORD
  --cache-tls-ca F, --cache-tls-cert F, --cache-tls-key F   TLS files for rediss://
  --cache-timeout DUR   deadline of the connection and each round trip (default 5s)
`;

function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

const command: Command = {
  name: 'cache',
  summary: 'Manage the layer cache (info, clean)',
  usage,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('cache', args, CACHE_BACKEND_FLAGS);
    const [sub, ...rest] = positionals;
    if (rest.length > 0) throw new PortcullisError(`cache: unexpected argument ${JSON.stringify(rest[0])}`);
    if (sub !== 'info' && sub !== 'clean') throw unknownSubcommand('cache', sub, ['info', 'clean']);
    const dir = values['cache-dir'] !== undefined ? resolve(io.cwd, values['cache-dir']) : undefined;
    const cache = openLayerCache({ ...(dir !== undefined ? { dir } : {}), env: io.env });
    // The same trust rule as a scan: a directory others can write is not touched.
    await checkCacheDir(cache.dir, { create: false });
    const spec = parseCacheBackend(values['cache-backend'] ?? io.env.PORTCULLIS_CACHE_BACKEND, io.env);
    const tlsFile = (p: string | undefined) => (p !== undefined ? resolve(io.cwd, p) : undefined);
    const shared =
      spec.kind === 'redis'
        ? await RedisLayerCache.create({
            spec,
            tls: { ca: tlsFile(values['cache-tls-ca']), cert: tlsFile(values['cache-tls-cert']), key: tlsFile(values['cache-tls-key']) },
            timeoutMs: values['cache-timeout'] ? parseDuration(values['cache-timeout']) : DEFAULT_SHARED_TIMEOUT_MS,
            ttlMs: DEFAULT_CACHE_TTL_MS,
            maxEntryBytes: DEFAULT_SHARED_MAX_ENTRY,
          })
        : undefined;
    // Here the shared cache is what the user asked about: its failure is this command's error.
    const remote = async <T>(work: (c: RedisLayerCache) => Promise<T>): Promise<T> => {
      try {
        return await work(shared!);
      } catch (err) {
        throw new PortcullisError(`shared layer cache ${shared!.description}: ${errorMessage(err)}`);
      } finally {
        await shared!.close();
      }
    };
    switch (sub) {
      case 'info': {
        const info = await cache.info();
        io.stdout.write(`directory: ${info.dir}\nentries:   ${info.entries}\nsize:      ${humanBytes(info.bytes)} (${info.bytes} bytes)\n`);
        if (shared) {
          const r = await remote((c) => c.info());
          io.stdout.write(`shared:    ${shared.description}\nentries:   ${r.entries}\nsize:      ${humanBytes(r.bytes)} (${r.bytes} bytes)\n`);
        }
        return 0;
      }
      case 'clean': {
        const removed = await cache.clean();
        io.stdout.write(`removed ${removed} file${removed === 1 ? '' : 's'} from ${cache.dir}\n`);
        if (shared) {
          const n = await remote((c) => c.clean());
          io.stdout.write(`removed ${n} entr${n === 1 ? 'y' : 'ies'} from ${shared.description}\n`);
        }
        return 0;
      }
    }
  },
};
export default command;

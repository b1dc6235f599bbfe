import { resolve } from 'node:path';
import { openLayerCache } from '../../cache/index.js';
import { PortcullisError } from '../../errors.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';

const usage = `Usage: portcullis cache <info|clean> [--cache-dir DIR]

Manages the on-disk layer cache (per-layer inventory results, keyed by layer diff_id and the
catalogers' versions).

Subcommands:
  info    print the cache directory, its entry count and size
  clean   remove every cache entry (only files the cache wrote)

Options:
  --cache-dir DIR   the cache directory (default $XDG_CACHE_HOME/portcullis/layers or
                    ~/.cache/portcullis/layers)
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
    const { values, positionals } = parseCommandArgs('cache', args, { 'cache-dir': { type: 'string' } });
    const [sub, ...rest] = positionals;
    if (rest.length > 0) throw new PortcullisError(`cache: unexpected argument ${JSON.stringify(rest[0])}`);
    const dir = values['cache-dir'] !== undefined ? resolve(io.cwd, values['cache-dir']) : undefined;
    const cache = openLayerCache({ ...(dir !== undefined ? { dir } : {}), env: io.env });
    switch (sub) {
      case 'info': {
        const info = await cache.info();
        io.stdout.write(`directory: ${info.dir}\nentries:   ${info.entries}\nsize:      ${humanBytes(info.bytes)} (${info.bytes} bytes)\n`);
        return 0;
      }
      case 'clean': {
        const removed = await cache.clean();
        io.stdout.write(`removed ${removed} file${removed === 1 ? '' : 's'} from ${cache.dir}\n`);
        return 0;
      }
      case undefined:
        throw new PortcullisError('cache: expected a subcommand: info or clean');
      default:
        throw new PortcullisError(`cache: unknown subcommand ${JSON.stringify(sub)} (expected info or clean)`);
    }
  },
};
export default command;

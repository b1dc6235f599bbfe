// The build plugins that shape the shipped Redis client (scripts/redis-client-commands.mjs,
// scripts/lazy-builtins.mjs), run through esbuild here on the installed @redis/client.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/shared.js';
// @ts-expect-error: a build script, plain JavaScript
import { cacheCommands, redisCommandMetadata } from '../../scripts/redis-client-commands.mjs';

const require = createRequire(import.meta.url);
const METADATA = join(PROJECT_ROOT, 'node_modules/@redis/client/dist/lib/command-metadata/command-metadata-data.js');
type Table = Record<string, Record<string, { flags?: string[] }>>;

/** What `require(METADATA)` gives in a bundle built with `plugins`. */
async function bundledMetadata(plugins: Plugin[]): Promise<Table> {
  const out = await build({ stdin: { contents: `module.exports = require(${JSON.stringify(METADATA)}).COMMAND_METADATA;`, resolveDir: PROJECT_ROOT }, bundle: true, write: false, platform: 'node', format: 'cjs', plugins, logLevel: 'silent' });
  const module = { exports: {} as Table };
  new Function('module', 'exports', 'require', out.outputFiles[0]!.text)(module, module.exports, require);
  return module.exports;
}

describe('the Redis client build plugins', () => {
  it('the command metadata keeps, unchanged, the entries of the commands this project sends', async () => {
    const sent = cacheCommands(PROJECT_ROOT) as string[];
    // What src/cache/redis-cache.ts sends today.
    expect(sent).toEqual(expect.arrayContaining(['GETRANGE', 'SET', 'SCAN', 'UNLINK']));
    const real = (require(METADATA) as { COMMAND_METADATA: Table }).COMMAND_METADATA;
    const trimmed = await bundledMetadata([redisCommandMetadata(PROJECT_ROOT) as Plugin]);
    expect(Object.keys(trimmed)).toEqual(['std']);
    const names = Object.keys(trimmed.std!);
    for (const s of sent) expect(names).toContain(s.toLowerCase());
    for (const n of names) {
      expect(trimmed.std![n]).toEqual(real.std![n]);
      expect(trimmed.std![n]!.flags ?? []).not.toContain('blocking');
    }
    // The full table is ~300 commands and ten modules: what the client would otherwise build at load.
    expect(Object.keys(real.std!).length).toBeGreaterThan(200);
    expect(names.length).toBeLessThan(20);
  });

  it('a build that never meets the metadata module fails instead of shipping the whole table', async () => {
    const plain = build({ stdin: { contents: 'module.exports = 1;', resolveDir: PROJECT_ROOT }, bundle: true, write: false, platform: 'node', plugins: [redisCommandMetadata(PROJECT_ROOT) as Plugin], logLevel: 'silent' });
    await expect(plain).rejects.toThrow(/redis-command-metadata: the build never loaded/);
  });
});

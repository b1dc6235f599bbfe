// better-sqlite3, opened with its native addon named outright. Left to itself the package finds the
// addon with `bindings`, which reads a stack trace and tries up to a dozen paths at the first open;
// the CLI bundle carries the package's JavaScript (compiled with the chunks' code cache instead of
// fifteen files Node compiles from source at every scan), where `bindings` would look for the
// addon beside the bundle. The addon stays where the package's install put it.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type SqliteDatabase = Database.Database;
type Constructor = typeof Database;

const ADDON = 'better_sqlite3.node';

/**
 * The addon under a package's `build` directory when it is the one `bindings` would load:
 * build/Release (where prebuild-install and node-gyp put it) with nothing in build/ or build/Debug,
 * which `bindings` tries first. Undefined otherwise: the package then finds its addon itself.
 */
export function releaseAddon(buildDir: string): string | undefined {
  const addon = join(buildDir, 'Release', ADDON);
  return existsSync(addon) && !existsSync(join(buildDir, ADDON)) && !existsSync(join(buildDir, 'Debug', ADDON)) ? addon : undefined;
}

/** How this process opens databases: the addon's path, or the installed package's own loader. */
let opener: { nativeBinding: string } | { Installed: Constructor } | undefined;

function resolveOpener(): NonNullable<typeof opener> {
  const require = createRequire(import.meta.url);
  const addon = releaseAddon(join(dirname(require.resolve('better-sqlite3/package.json')), 'build'));
  return addon ? { nativeBinding: addon } : { Installed: require('better-sqlite3') as Constructor };
}

export function openSqlite(filename: string | Buffer, options: Database.Options = {}): SqliteDatabase {
  opener ??= resolveOpener();
  if ('Installed' in opener) return new opener.Installed(filename, options);
  return new Database(filename, { ...options, nativeBinding: opener.nativeBinding });
}

// Dependencies that only some images need (zip readers for Java/Python archives, YAML and TOML
// parsers for lock files, SQLite for rpm databases, zstd, the tar reader itself on a fully cached
// image) are loaded on first use: every CLI run otherwise pays for loading all of them.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `lazyRequire<typeof import('x')>('x')()`: the module, loaded (synchronously) on the first call. */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}

// Layer-cache flags shared by `scan` and `sbom`.
export const CACHE_FLAGS = {
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean', default: false },
} as const;

export const CACHE_USAGE = `  --cache-dir D           layer cache directory (default: $XDG_CACHE_HOME/portcullis/layers)
  --no-cache              read every layer, use and store no cached layer results
`;

export function cacheOptions(values: { 'cache-dir'?: string; 'no-cache'?: boolean }): { cacheDir?: string; noCache: boolean } {
  return { ...(values['cache-dir'] ? { cacheDir: values['cache-dir'] } : {}), noCache: values['no-cache'] === true };
}

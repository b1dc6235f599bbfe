/**
 * Caches a pure parse function: a scan evaluates the same few versions against many range events,
 * so parsing each string once matters. The cache is dropped whole when full (bounded memory).
 */
export function memoizeParse<T>(parse: (v: string) => T, max = 20_000): (v: string) => T {
  let cache = new Map<string, T>();
  return (v: string) => {
    let hit = cache.get(v);
    if (hit === undefined && !cache.has(v)) {
      hit = parse(v);
      if (cache.size >= max) cache = new Map();
      cache.set(v, hit);
    }
    return hit as T;
  };
}

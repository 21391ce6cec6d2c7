/**
 * A bounded cache for a pure function of strings. What leaves the process repeats heavily (span
 * attribute keys and values, parameterized SQL, routes, the source lines around stack frames), so
 * thousands of spans a second would otherwise recompute the same few hundred results. The cache is
 * emptied when full: memory stays bounded and a hit needs no bookkeeping. Strings longer than
 * `maxLength` (and non-strings) are computed every time.
 */
export function memoizeString<T>(fn: (value: string) => T, maxEntries: number, maxLength: number): (value: string) => T {
  let cache = new Map<string, T>();
  return (value: string): T => {
    if (typeof value !== 'string' || value.length > maxLength) return fn(value);
    let result = cache.get(value);
    if (result === undefined) {
      result = fn(value);
      if (cache.size >= maxEntries) cache = new Map();
      cache.set(value, result);
    }
    return result;
  };
}

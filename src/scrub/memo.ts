/**
 * A bounded cache for a pure function of strings. What leaves the process repeats heavily (span
 * attribute keys and values, parameterized SQL, routes, the source lines around stack frames), so
 * thousands of spans a second would otherwise recompute the same few hundred results. The cache is
 * emptied when full: memory stays bounded and a hit needs no bookkeeping. Strings longer than
 * `maxLength` (and non-strings) are computed every time.
 */
export function memoizeString(fn: (value: string) => string, maxEntries: number, maxLength: number): (value: string) => string {
  let cache = new Map<string, string>();
  return (value: string): string => {
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

/** The same for a test on keys (is this key sensitive?). */
export function memoizeKeyTest(test: (key: string) => boolean, maxEntries: number): (key: string) => boolean {
  let cache = new Map<string, boolean>();
  return (key: string): boolean => {
    if (typeof key !== 'string' || key.length > 256) return test(key);
    let result = cache.get(key);
    if (result === undefined) {
      result = test(key);
      if (cache.size >= maxEntries) cache = new Map();
      cache.set(key, result);
    }
    return result;
  };
}

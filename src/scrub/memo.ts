/** The scrubber's caches of keys and short texts: results kept at most, and the longest string cached. */
export const STRING_MEMO_ENTRIES = 2048;
export const STRING_MEMO_MAX_LENGTH = 256;

/**
 * A bounded cache for a pure function of strings. What leaves the process repeats heavily (span
 * attribute keys and values, parameterized SQL, routes, the source lines around stack frames), so
 * thousands of spans a second would otherwise recompute the same few hundred results. The cache is
 * emptied when full: memory stays bounded and a hit needs no bookkeeping. Strings longer than
 * `maxLength` or shorter than `minLength` (and non-strings) are computed every time.
 */
export function memoizeString<T>(fn: (value: string) => T, maxEntries: number, maxLength: number, minLength = 0): (value: string) => T {
  let cache = new Map<string, T>();
  return (value: string): T => {
    if (typeof value !== 'string' || value.length > maxLength || value.length < minLength) return fn(value);
    let result = cache.get(value);
    if (result === undefined) {
      result = fn(value);
      if (cache.size >= maxEntries) cache = new Map();
      cache.set(value, result);
    }
    return result;
  };
}

/**
 * {@link memoizeString} for a pure function of two strings (an attribute's key and value), without
 * building a combined key per call: a map per first string, `maxEntries` results in all.
 */
export function memoizeStringPair<T>(fn: (first: string, second: string) => T, maxEntries: number, maxLength: number): (first: string, second: string) => T {
  let cache = new Map<string, Map<string, T>>();
  let entries = 0;
  return (first: string, second: string): T => {
    if (typeof first !== 'string' || typeof second !== 'string' || first.length + second.length > maxLength) return fn(first, second);
    let results = cache.get(first);
    let result = results?.get(second);
    if (result !== undefined) return result;
    result = fn(first, second);
    if (entries >= maxEntries) {
      cache = new Map();
      entries = 0;
      results = undefined;
    }
    if (!results) {
      results = new Map();
      cache.set(first, results);
    }
    results.set(second, result);
    entries++;
    return result;
  };
}

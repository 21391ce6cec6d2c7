/**
 * One property of a value the app threw or passed on, or undefined when reading it throws (a getter
 * that throws, a hostile Proxy): observability reads such values and must never fail on them.
 */
export function readSafely(value: unknown, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

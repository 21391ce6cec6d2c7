/**
 * Mistakes that silently cost telemetry, found at start-up and said once: the libraries we instrument
 * loaded before us, and options passed to a second `initTelemetry` (or to the test kit) that no one reads.
 */
const INSTRUMENTED_PACKAGES = /[\\/]node_modules[\\/](express|pg|knex)[\\/]/;

/**
 * Which of express, pg and knex were already loaded (CommonJS) when telemetry started. An ES module app's
 * static imports put entries in the cache before any code runs, not loaded yet: pg and knex still get
 * instrumented when they run (through files they require), express does not (its instrumentation patches
 * its package entry, which the ES module loader runs without require hooks), so only express counts then.
 */
export function packagesLoadedBefore(cache: NodeJS.Dict<{ loaded?: boolean }> = require.cache): string[] {
  const found = new Set<string>();
  for (const [path, module] of Object.entries(cache)) {
    const name = INSTRUMENTED_PACKAGES.exec(path)?.[1];
    if (name && (module?.loaded !== false || name === 'express')) found.add(name);
  }
  return [...found].sort();
}

export function loadedTooEarlyWarning(names: string[]): string | undefined {
  if (names.length === 0) return undefined;
  return `${names.join(', ')} ${names.length === 1 ? 'was' : 'were'} loaded before telemetry started, so ${names.length === 1 ? 'it' : 'they'} may not be traced. Start with \`node --import express-otel-sentry/register app.js\`, or call initTelemetry() (or createTestkit()) before requiring ${names.length === 1 ? 'it' : 'them'} (in an ES module, static imports load first: import ${names.length === 1 ? 'it' : 'them'} with await import() after that call).`;
}

/** Option names given a value; a JavaScript caller may pass anything. */
export function givenOptionNames(options: unknown): string[] {
  if (options === null || typeof options !== 'object') return [];
  try {
    return Object.keys(options).filter((key) => (options as Record<string, unknown>)[key] !== undefined);
  } catch {
    return [];
  }
}

export function ignoredOptionsWarning(call: string, names: string[]): string | undefined {
  if (names.length === 0) return undefined;
  return `${call}: telemetry was already started (by the register preload, the test kit or an earlier call), so this call's options are ignored: ${names.join(', ')}. Pass them to the first call.`;
}

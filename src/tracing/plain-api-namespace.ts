import * as path from 'node:path';
import type * as KnexInstrumentationPackage from '@opentelemetry/instrumentation-knex';
import type * as SdkTrace from '@opentelemetry/sdk-trace';

type ToEsm = (mod: unknown, isNodeMode?: unknown, target?: unknown) => unknown;

const RUNTIME_FILE = path.join('_virtual', '_rolldown', 'runtime.cjs');

/** Whether every own property is a value (CommonJS exports set once), so that a copy reads as the original. */
function onlyValues(mod: object): boolean {
  return Object.getOwnPropertyNames(mod).every((key) => 'value' in Object.getOwnPropertyDescriptor(mod, key)!);
}

/**
 * What rolldown's `__toESM(mod, isNodeMode)` returns (the same keys, enumerability, `default` and
 * prototype, read-only), with each export held as a value instead of behind a getter.
 */
export function plainNamespace(mod: object, isNodeMode?: unknown): object {
  const target = Object.create(Object.getPrototypeOf(mod)) as object;
  if (isNodeMode || !(mod as { __esModule?: unknown }).__esModule || !Object.hasOwn(mod, 'default')) {
    Object.defineProperty(target, 'default', { value: mod, enumerable: true });
  }
  for (const key of Object.getOwnPropertyNames(mod)) {
    if (Object.hasOwn(target, key)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(mod, key);
    Object.defineProperty(target, key, { value: (mod as Record<string, unknown>)[key], enumerable: !descriptor || descriptor.enumerable === true });
  }
  return target;
}

/** rolldown's helper module in the package whose entry this is, and the API that package reads; undefined when it is not a rolldown build. */
function rolldownParts(entry: string): { runtime: { __toESM?: unknown }; api: unknown } | undefined {
  const directory = path.dirname(entry);
  let runtime: { __toESM?: unknown };
  try {
    runtime = require(path.join(directory, RUNTIME_FILE)) as { __toESM?: unknown };
  } catch {
    return undefined; // another build of the package: loaded as it is
  }
  return typeof runtime.__toESM === 'function' ? { runtime, api: require(require.resolve('@opentelemetry/api', { paths: [directory] })) } : undefined;
}

/**
 * Loads a package built by rolldown (`@opentelemetry/sdk-trace`, `@opentelemetry/instrumentation-knex`)
 * so that its files read `@opentelemetry/api` as plain values. rolldown's `__toESM` puts each export
 * behind a getter made with `bind`, and V8's inline caches do not hold bound getters: every
 * `_opentelemetry_api.trace` in the SDK's `Tracer#startSpan` (six to eight a span) and in the knex
 * instrumentation (eight a query) was a call into V8's runtime, ~100 ns each (bench/NOTES.md item 51).
 * The API's exports are values set once, so a copy reads the same. Only files loaded by `load` are
 * affected: the helper is put back at once, and a package already loaded is returned as it is. The
 * package is named literally by the caller (`resolve`, `load`), so that bundlers still see it; where
 * its files cannot be found (a bundle), it is just loaded.
 */
function withPlainApiNamespace<T>(resolve: () => string, load: () => T): T {
  let parts: ReturnType<typeof rolldownParts>;
  try {
    parts = rolldownParts(resolve());
  } catch {
    parts = undefined;
  }
  if (parts === undefined) return load();
  const { runtime, api } = parts;
  const original = runtime.__toESM as ToEsm;
  runtime.__toESM = ((mod, isNodeMode, target) =>
    mod === api && target === undefined && typeof mod === 'object' && mod !== null && onlyValues(mod)
      ? plainNamespace(mod, isNodeMode)
      : original(mod, isNodeMode, target)) satisfies ToEsm;
  try {
    return load();
  } finally {
    runtime.__toESM = original;
  }
}

/** `@opentelemetry/sdk-trace`, loaded on first use (see withPlainApiNamespace). */
export function loadSdkTrace(): typeof SdkTrace {
  return withPlainApiNamespace(() => require.resolve('@opentelemetry/sdk-trace'), () => require('@opentelemetry/sdk-trace') as typeof SdkTrace);
}

/** `@opentelemetry/instrumentation-knex`, loaded on first use (see withPlainApiNamespace). */
export function loadKnexInstrumentation(): typeof KnexInstrumentationPackage {
  return withPlainApiNamespace(
    () => require.resolve('@opentelemetry/instrumentation-knex'),
    () => require('@opentelemetry/instrumentation-knex') as typeof KnexInstrumentationPackage,
  );
}

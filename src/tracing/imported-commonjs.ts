import Module from 'node:module';
import { isAbsolute } from 'node:path';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { packageDir, requireHookable } from './instrumentation-hooks';

type Load = (request: string, parent: unknown, isMain: boolean, ...rest: unknown[]) => unknown;
interface LoaderInternals {
  _load: Load;
  _cache: Record<string, { loaded?: boolean } | undefined>;
}

const loader = Module as unknown as LoaderInternals;

/** The folder of package `name` whose main file `file` is, if it is one. */
function packageOfMain(file: string, name: string): string | undefined {
  const baseDir = packageDir(file, name);
  if (baseDir === undefined) return undefined;
  try {
    return require.resolve(baseDir) === file ? baseDir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A CommonJS app can still get express through `import`: an ES-module dependency imports it (Nest 12's
 * Express adapter is ESM only), or the app awaits `import('express')`. Node then loads the package's main
 * file with `Module._load(path)`, not through the `require` that OpenTelemetry's hook patches, so Express
 * went unpatched: requests named just `GET`, no route span, no word. (pg and knex were patched anyway:
 * their instrumentations patch files the main file requires.) Such a load is seen here and each
 * instrumentation patches the package as its require hook would, with no ES-module loader hook (its
 * thread and start-up time); beside one, the second patch is harmless (each unwraps before it wraps).
 * Returns the undo.
 */
export function instrumentCommonJsImports(instrumentations: readonly Instrumentation[]): () => void {
  const original = loader._load;
  let active = true;
  const patchIfInstrumented = (file: string, exports: unknown): void => {
    for (const instrumentation of instrumentations) {
      const hookable = requireHookable(instrumentation);
      if (hookable === undefined) continue;
      for (const definition of hookable.getModuleDefinitions()) {
        const baseDir = packageOfMain(file, definition.name);
        if (baseDir === undefined) continue;
        try {
          // Patched in place, as the require hook patches it: the importer reads the same exports.
          hookable._onRequire(definition, exports, definition.name, baseDir);
        } catch {
          // A patch that failed leaves the package as it is, as the require hook would.
        }
      }
    }
  };
  function load(this: unknown, ...args: Parameters<Load>): unknown {
    const [request, parent, isMain] = args;
    // Only what an ES module imports: no parent, a resolved path, not loaded before (a package loaded
    // before was patched then; the ES-module loader caches its entry before loading it).
    if (!active || parent !== undefined || isMain || typeof request !== 'string' || !isAbsolute(request) || loader._cache[request]?.loaded === true) {
      return original.apply(this, args);
    }
    const exports = original.apply(this, args);
    patchIfInstrumented(request, exports);
    return exports;
  }
  loader._load = load;
  return () => {
    active = false;
    if (loader._load === load) loader._load = original;
  };
}

import Module from 'node:module';
import { isAbsolute, sep } from 'node:path';
import type { Instrumentation } from '@opentelemetry/instrumentation';

interface ModuleDefinition {
  name: string;
}
/** What OpenTelemetry's Node instrumentations have beyond the public interface: their require hook's work. */
interface Hookable {
  getModuleDefinitions?(): ModuleDefinition[];
  _onRequire?(definition: ModuleDefinition, exports: unknown, name: string, baseDir: string): unknown;
}
type Load = (request: string, parent: unknown, isMain: boolean, ...rest: unknown[]) => unknown;
interface LoaderInternals {
  _load: Load;
  _cache: Record<string, { loaded?: boolean } | undefined>;
}

const loader = Module as unknown as LoaderInternals;

/** The folder of package `name` that `file` lies in, when `file` is that package's main file. */
function packageOfMain(file: string, name: string): string | undefined {
  const marker = `${sep}node_modules${sep}${name.split('/').join(sep)}${sep}`;
  const at = file.lastIndexOf(marker);
  if (at === -1) return undefined;
  const baseDir = file.slice(0, at + marker.length - 1);
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
 * their instrumentations patch files the main file requires.) Without the ES-module loader hook (an ES
 * module app's, which costs a thread and start-up time), such a load is seen here and each
 * instrumentation patches the package as its require hook would. Returns the undo.
 */
export function instrumentCommonJsImports(instrumentations: readonly Instrumentation[]): () => void {
  const original = loader._load;
  let active = true;
  const patchIfInstrumented = (file: string, exports: unknown): void => {
    for (const instrumentation of instrumentations) {
      const hookable = instrumentation as unknown as Hookable;
      if (typeof hookable.getModuleDefinitions !== 'function' || typeof hookable._onRequire !== 'function') continue;
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

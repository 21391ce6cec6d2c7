import type { Instrumentation } from '@opentelemetry/instrumentation';
import { packageDir, requireHookable } from '../tracing/instrumentation-hooks';

type RegistryRequire = NodeJS.Require;

/** jest sets it in every worker (and in-band, in the one process). */
export function underJest(): boolean {
  return process.env.JEST_WORKER_ID !== undefined;
}

/**
 * jest loads every module through a registry of its own, one per test file, never through Node's
 * `require`, so OpenTelemetry's require hook never sees express, pg or knex: they were left unpatched
 * and the kit had no route or query spans, without a word. Under jest this module is itself loaded by
 * that registry, so `registryRequire` is the test file's own: it loads the app's copies (from the
 * working directory, as the app resolves them) and each instrumentation patches them as its hook would.
 * Returns the names of the packages patched.
 */
export function instrumentRegistryModules(instrumentations: readonly Instrumentation[], registryRequire: RegistryRequire, cwd = process.cwd()): string[] {
  const patched: string[] = [];
  for (const instrumentation of instrumentations) {
    const hookable = requireHookable(instrumentation);
    if (hookable === undefined) continue;
    for (const definition of hookable.getModuleDefinitions()) {
      try {
        const main = registryRequire.resolve(definition.name, { paths: [cwd] });
        const baseDir = packageDir(main, definition.name);
        if (baseDir === undefined) continue; // a core module: jest loads those through Node's require, hooked
        // Patched in place, as the hooks patch these packages; a patch returning other exports would not reach the app.
        hookable._onRequire(definition, registryRequire(main), definition.name, baseDir);
        for (const file of definition.files ?? []) {
          const path = `${baseDir}${file.name.slice(definition.name.length)}`;
          let exports: unknown;
          try {
            exports = registryRequire(path);
          } catch {
            continue; // a file this version of the package does not have
          }
          hookable._onRequire(definition, exports, file.name, baseDir);
        }
        patched.push(definition.name);
      } catch {
        // Not installed where the app is, or a patch failed: that package stays as it is.
      }
    }
  }
  return patched;
}

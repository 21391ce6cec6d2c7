/**
 * OpenTelemetry's ESM loader hook: an app (or a test suite) written as ES modules needs it for express,
 * pg and knex to be instrumented; CommonJS does not (it costs start-up time), so it is registered only
 * when the code about to run is ESM, or when EXPRESS_OTEL_SENTRY_ESM_HOOK says so.
 */
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as nodeModule from 'node:module';
import * as threads from 'node:worker_threads';
import { appEntryFile, readNearestPackage } from './config/package-info';
import { parseSwitch } from './config/switch';

/** An ES module by its extension, else by the nearest package.json's `type`. */
function isEsmFile(path: string): boolean {
  const file = resolve(path);
  const ext = extname(file);
  if (ext === '.mjs' || ext === '.mts') return true;
  if (ext === '.cjs' || ext === '.cts') return false;
  return readNearestPackage(dirname(file)).type === 'module';
}

/** On or off when EXPRESS_OTEL_SENTRY_ESM_HOOK says so; a value that is neither leaves the choice to the entry file (and is reported). */
function forced(): boolean | undefined {
  return parseSwitch(process.env.EXPRESS_OTEL_SENTRY_ESM_HOOK) ?? undefined;
}

/** The app: its entry file decides (see appEntryFile for pm2). */
export function entryIsEsm(): boolean {
  const entry = appEntryFile();
  return forced() ?? (entry ? isEsmFile(entry) : false);
}

/**
 * Node's loader-hooks thread, where Node 20 runs `--require` preloads too (an ES module app preloaded
 * with `--require`): telemetry started there would be a second one, with its own start-up line, session
 * and client. Node 22.14+ says so; before, it is the worker thread that runs no script.
 */
export function isLoaderHooksThread(): boolean {
  const internal = (threads as { isInternalThread?: boolean }).isInternalThread;
  return internal ?? (!threads.isMainThread && process.argv.length < 2);
}

/** The test kit: a test run is ESM when a file named on the command line is, or the project's package is. */
export function testRunIsEsm(): boolean {
  return forced() ?? (process.argv.slice(1).some((arg) => /\.m[jt]s$/.test(arg)) || readNearestPackage().type === 'module');
}

export function registerEsmHook(): void {
  const register = (nodeModule as { register?: (specifier: string, parentURL: string) => void }).register;
  if (typeof register !== 'function') return;
  // Bundled into an ES module there is no __filename: the hook is looked up from the working directory.
  const parent = typeof __filename === 'string' ? pathToFileURL(__filename).href : pathToFileURL(`${process.cwd()}/`).href;
  try {
    register('@opentelemetry/instrumentation/hook.mjs', parent);
  } catch {
    // Not resolvable (a bundle that left it out): only ES modules loaded from here on go uninstrumented,
    // as they would anyway; the start-up check says when express was loaded untraced.
  }
}

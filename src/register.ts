/**
 * Preload: `node --import express-otel-sentry/register app.js`. Loads `.env`, starts telemetry before
 * the app's own imports (so http, express, pg and knex are instrumented) and owns SIGTERM/SIGINT.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as nodeModule from 'node:module';
import { loadDotEnv } from './dotenv';
import { initTelemetry } from './telemetry';
import { installShutdownHandlers } from './shutdown-signals';

function nearestPackageType(fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { type?: string }).type;
      } catch {
        return undefined;
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** ESM apps need OpenTelemetry's loader hook to patch express; CommonJS apps do not (it costs start-up time). */
function entryIsEsm(): boolean {
  const forced = process.env.EXPRESS_OTEL_SENTRY_ESM_HOOK;
  if (forced) return /^(1|true|on)$/i.test(forced);
  const entry = process.argv[1];
  if (!entry) return false;
  const file = resolve(entry);
  const ext = extname(file);
  if (ext === '.mjs' || ext === '.mts') return true;
  if (ext === '.cjs' || ext === '.cts') return false;
  return nearestPackageType(dirname(file)) === 'module';
}

function registerEsmHook(): void {
  const register = (nodeModule as { register?: (specifier: string, parentURL: string) => void }).register;
  if (typeof register !== 'function') return;
  register('@opentelemetry/instrumentation/hook.mjs', pathToFileURL(__filename).href);
}

try {
  loadDotEnv();
  if (entryIsEsm()) registerEsmHook();
  installShutdownHandlers(initTelemetry());
} catch (error) {
  // Strict mode (EXPRESS_OTEL_SENTRY_STRICT=1) asks for a bad configuration to stop the app at start.
  if (/^(1|true|yes)$/i.test(process.env.EXPRESS_OTEL_SENTRY_STRICT ?? '')) throw error;
  console.error(`[express-otel-sentry] telemetry is off: ${error instanceof Error ? error.message : String(error)}`);
}

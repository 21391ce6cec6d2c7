/**
 * Preload: `node --import express-otel-sentry/register app.js`. Loads `.env`, starts telemetry before
 * the app's own imports (so http, express, pg and knex are instrumented) and owns SIGTERM/SIGINT.
 */
import * as threads from 'node:worker_threads';
import { loadDotEnv } from './dotenv';
import { initTelemetry } from './telemetry';
import { installShutdownHandlers } from './shutdown-signals';

/**
 * Node's loader-hooks thread (an ES module app preloaded with `--require`): Node 20 runs `--require`
 * preloads there too, and telemetry started there would be a second one (its own start-up line, session,
 * client). Node 22.14+ says so; before, it is the thread that runs no script.
 */
function isLoaderHooksThread(): boolean {
  const internal = (threads as { isInternalThread?: boolean }).isInternalThread;
  return internal ?? (!threads.isMainThread && process.argv.length < 2);
}

try {
  if (!isLoaderHooksThread()) {
    loadDotEnv();
    installShutdownHandlers(initTelemetry());
  }
} catch (error) {
  // Strict mode (EXPRESS_OTEL_SENTRY_STRICT=1) asks for a bad configuration to stop the app at start.
  if (/^(1|true|yes)$/i.test(process.env.EXPRESS_OTEL_SENTRY_STRICT ?? '')) throw error;
  console.error(`[express-otel-sentry] telemetry is off: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * Preload: `node --import express-otel-sentry/register app.js`. Loads `.env`, starts telemetry before
 * the app's own imports (so http, express, pg and knex are instrumented) and owns SIGTERM/SIGINT.
 */
import { parseSwitch } from './config/switch';
import { loadDotEnv } from './dotenv';
import { isLoaderHooksThread } from './esm-hook';
import { initTelemetry } from './telemetry';
import { installShutdownHandlers } from './shutdown-signals';

try {
  if (!isLoaderHooksThread()) {
    loadDotEnv();
    installShutdownHandlers(initTelemetry());
  }
} catch (error) {
  // Strict mode (EXPRESS_OTEL_SENTRY_STRICT=1) asks for a bad configuration to stop the app at start.
  if (parseSwitch(process.env.EXPRESS_OTEL_SENTRY_STRICT) === true) throw error;
  console.error(`[express-otel-sentry] telemetry is off: ${error instanceof Error ? error.message : String(error)}`);
}

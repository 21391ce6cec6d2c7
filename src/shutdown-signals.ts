import type { Telemetry } from './telemetry';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/** @default 2000 ms, or EXPRESS_OTEL_SENTRY_SHUTDOWN_TIMEOUT_MS */
const DEFAULT_TIMEOUT_MS = 2000;

function timeoutFromEnv(): number {
  const raw = Number(process.env.EXPRESS_OTEL_SENTRY_SHUTDOWN_TIMEOUT_MS);
  return Number.isFinite(raw) && raw > 0 ? raw : DEFAULT_TIMEOUT_MS;
}

/**
 * On SIGTERM/SIGINT: flush both pipelines within a bounded time, then let the process end as Node would
 * have (killed by the same signal). If the app has its own handlers, they keep control: we only flush.
 */
export function installShutdownHandlers(telemetry: Telemetry, timeoutMs: number = timeoutFromEnv()): void {
  for (const signal of SIGNALS) {
    const handler = () => {
      const appHandlesIt = process.listenerCount(signal) > 1;
      const done = telemetry.shutdown(timeoutMs);
      if (appHandlesIt) return;
      void done.finally(() => {
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, handler);
  }
}

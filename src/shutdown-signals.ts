import type { Telemetry } from './telemetry';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, parseShutdownTimeout, SHUTDOWN_TIMEOUT_VARIABLE } from './config/values';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** A bad value was reported at start-up (resolveConfig), where every variable is checked. */
function timeoutFromEnv(): number {
  return parseShutdownTimeout(process.env[SHUTDOWN_TIMEOUT_VARIABLE]) ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
}

/**
 * signal-exit (in many apps through write-file-atomic, execa, foreground-child, …) listens to signals
 * only to run exit hooks: it re-raises the signal when its listeners are the only ones left. It is not the
 * app handling the signal; counted as such, each of us would wait for the other and the process would
 * never end. Its listeners per signal are the count on its shared emitter (v4, and v3's on `process`).
 */
function signalExitListeners(): number {
  const v4 = (globalThis as Record<symbol, unknown>)[Symbol.for('signal-exit emitter')];
  const v3 = (process as unknown as { __signal_exit_emitter__?: unknown }).__signal_exit_emitter__;
  let count = 0;
  for (const emitter of [v4, v3]) {
    const value = (emitter as { count?: unknown } | undefined)?.count;
    if (typeof value === 'number' && value > 0) count += value;
  }
  return count;
}

/**
 * On SIGTERM/SIGINT: flush both pipelines within a bounded time, then let the process end as Node would
 * have (killed by the same signal). If the app has its own handlers, they keep control: we only flush,
 * so that what the app still reports while it closes (requests in flight, its own last events) is sent.
 * As PID 1 (a container without an init) the kernel ignores a signal nobody handles, so Node would have
 * gone on: we only flush too, and say once how to make the signal stop the container. Shutting telemetry
 * down there left an app serving with its events silently dropped.
 */
export function installShutdownHandlers(telemetry: Telemetry, timeoutMs: number = timeoutFromEnv(), isInit = process.pid === 1): void {
  let initWarned = false;
  for (const signal of SIGNALS) {
    const handler = () => {
      const appHandlesIt = process.listenerCount(signal) - 1 - signalExitListeners() > 0;
      if (appHandlesIt || isInit) {
        if (isInit && !appHandlesIt && !initWarned) {
          initWarned = true;
          telemetry.logger.warn(`${signal} as PID 1: the kernel ignores it for a process that does not handle it, so the app goes on (telemetry flushed, not stopped). Run with an init (docker run --init, tini) or handle ${signal} in the app.`);
        }
        void telemetry.flush(timeoutMs);
        return;
      }
      void telemetry.shutdown(timeoutMs).finally(() => {
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, handler);
  }
}

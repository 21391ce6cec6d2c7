import { currentRequestTarget, type RequestTarget } from '../../src/sentry/otel-scopes';
import { getTelemetry } from '../../src/telemetry';

/**
 * The request being handled, where its Sentry data goes (see `writeTo`), or undefined when there is none
 * (telemetry not started, or a request that did not come through the instrumented http server). Writing
 * to the process-wide scope would leak one request's data into every later event, so callers then do
 * nothing.
 */
export function requestTarget(): RequestTarget | undefined {
  return getTelemetry() ? currentRequestTarget() : undefined;
}

/** What a thrown value says about itself, for a log line; its `message` may be a getter that throws too. */
export function describeThrown(error: unknown): string {
  try {
    // The name only: a message may hold what the callback was reading (an API key, an email), and log
    // lines are shipped too. The app can log its own callback's errors where it knows what they hold.
    return error instanceof Error ? `${String(error.name)} (message not logged)` : typeof error;
  } catch {
    return 'an error that cannot be described';
  }
}

/** Runs a user callback; a throw becomes `undefined` plus one debug line, never a broken request. */
export function guarded<T>(name: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (error) {
    getTelemetry()?.logger.debug(`${name} threw and was ignored: ${describeThrown(error)}`);
    return undefined;
  }
}

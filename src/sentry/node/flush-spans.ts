import { trace } from '@opentelemetry/api';

/** The registered OpenTelemetry tracer provider's forceFlush, whichever SDK registered it (none: nothing to do). */
export function flushTracerProvider(): Promise<unknown> {
  try {
    const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
    const registered = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<unknown> };
    return typeof registered.forceFlush === 'function' ? registered.forceFlush() : Promise.resolve();
  } catch {
    return Promise.resolve();
  }
}

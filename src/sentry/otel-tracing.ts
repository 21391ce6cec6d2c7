import { context, propagation, trace, type Span } from '@opentelemetry/api';
import { isTracingSuppressed, suppressTracing } from '@opentelemetry/core';
import type { AsyncContextStrategy } from '@sentry/core';

type TracingMethods = Pick<
  AsyncContextStrategy,
  'getActiveSpan' | 'withActiveSpan' | 'suppressTracing' | 'isTracingSuppressed' | 'getTraceData' | 'continueTrace'
>;

type TraceDataOptions = Parameters<NonNullable<AsyncContextStrategy['getTraceData']>>[0];

/** What the configured propagators write for the active context (or `span`): `sentry-trace`, `baggage`, `traceparent`. */
function traceData(options: TraceDataOptions = {}): ReturnType<NonNullable<AsyncContextStrategy['getTraceData']>> {
  const active = options.span ? trace.setSpan(context.active(), options.span as unknown as Span) : context.active();
  const headers: Record<string, string> = {};
  propagation.inject(active, headers);
  return {
    ...(headers['sentry-trace'] ? { 'sentry-trace': headers['sentry-trace'] } : {}),
    ...(headers.baggage ? { baggage: headers.baggage } : {}),
    ...(options.propagateTraceparent && headers.traceparent ? { traceparent: headers.traceparent } : {}),
  };
}

/**
 * Sentry's tracing calls answered by OpenTelemetry, which owns tracing here, as @sentry/opentelemetry's
 * strategy answers the active span: `getActiveSpan()` is OpenTelemetry's active span (its trace and span
 * ids for a log line), `getTraceData()`/`getTraceMetaTags()` what the configured propagators send (the
 * `<meta>` tags a server-rendered page gives Sentry's browser SDK to continue the trace), `continueTrace`
 * continues in OpenTelemetry's context, and `suppressTracing` suppresses OpenTelemetry's spans. Without
 * them Sentry's own code answered with nothing: its tracing is off. `Sentry.startSpan` still makes no span
 * (README: Coming from @sentry/node).
 */
export const OPENTELEMETRY_TRACING: TracingMethods = {
  getActiveSpan: (() => trace.getActiveSpan()) as unknown as TracingMethods['getActiveSpan'],
  withActiveSpan: ((span: Span | null, callback: () => unknown) =>
    context.with(span ? trace.setSpan(context.active(), span) : trace.deleteSpan(context.active()), callback)) as unknown as TracingMethods['withActiveSpan'],
  suppressTracing: ((callback: () => unknown) => context.with(suppressTracing(context.active()), callback)) as TracingMethods['suppressTracing'],
  isTracingSuppressed: () => isTracingSuppressed(context.active()),
  getTraceData: traceData,
  continueTrace: (({ sentryTrace, baggage }: { sentryTrace?: string | undefined; baggage?: string | string[] | undefined }, callback: () => unknown) => {
    const headers = { ...(sentryTrace ? { 'sentry-trace': sentryTrace } : {}), ...(baggage ? { baggage: Array.isArray(baggage) ? baggage.join(',') : baggage } : {}) };
    return context.with(propagation.extract(trace.deleteSpan(context.active()), headers), callback);
  }) as unknown as TracingMethods['continueTrace'],
};

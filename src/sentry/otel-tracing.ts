import { context, propagation, trace, TraceFlags, type Context, type Span } from '@opentelemetry/api';
import { isTracingSuppressed, suppressTracing } from '@opentelemetry/core';
import {
  generateSpanId, generateTraceId, getCurrentScope, SentryNonRecordingSpan, spanIsSentrySpan, withScope,
  type AsyncContextStrategy, type Scope,
} from '@sentry/core';
import { decisionSampleRand, incomingDsc, sampleRandOf } from '../tracing/sentry-baggage';
import { isDeferredParent, withDeferredParent } from '../tracing/sentry-trace-propagator';
import { getTelemetry } from '../telemetry';

type TracingMethods = Pick<
  AsyncContextStrategy,
  'getActiveSpan' | 'withActiveSpan' | 'suppressTracing' | 'isTracingSuppressed' | 'getTraceData' | 'continueTrace'
>;

/**
 * An OpenTelemetry span, not one of Sentry's: `Sentry.startSpan` runs its callback under its placeholder
 * (an unsampled Sentry span while Sentry's tracing is off), which put in OpenTelemetry's context would
 * make every span inside unsampled and tell the next service so. Sentry's spans leave OpenTelemetry's
 * context as it is (a forked scope only); `null` starts a new trace there, as Sentry's own OpenTelemetry
 * strategy has it (`startNewTrace`, `startSpan({ parentSpan: null })`).
 */
function isOpenTelemetrySpan(span: unknown): span is Span {
  return typeof span === 'object' && span !== null && !spanIsSentrySpan(span as never) && !(span instanceof SentryNonRecordingSpan)
    && typeof (span as Span).spanContext === 'function';
}

/**
 * A new trace (`withActiveSpan(null)`: `startNewTrace`, `startSpan({ parentSpan: null })`) as Sentry's own
 * OpenTelemetry setup makes it: the forked scope gets a fresh trace id, and OpenTelemetry's context a
 * remote parent of that id, so that every span inside, the outgoing headers and the events captured there
 * share one trace (an empty context gave each root span a trace of its own, pg and knex, which need a
 * parent, none, and events the scope's old id). Our sampler decides it at our rate, by the `sample_rand`
 * of its id, which the scope and the outgoing baggage carry too.
 */
function newTraceContext(scope: Scope): Context {
  const traceId = generateTraceId();
  const sampleRand = sampleRandOf(traceId);
  scope.setPropagationContext({ traceId, sampleRand });
  // Flagged as our sampler will decide it, so that headers written before any span opens (getTraceData, a
  // queue message's) say what its spans do; the deferred mark makes the sampler tag them with our rate.
  const sampled = sampleRand < ourRate();
  const parent = { traceId, spanId: generateSpanId(), traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true };
  return withDeferredParent(trace.deleteSpan(context.active()), parent);
}

/** Our traces' sample rate (0 before telemetry starts). */
const ourRate = (): number => getTelemetry()?.config.tracesSampleRate ?? 0;

/**
 * A continued trace whose caller left the decision to us (`sentry-trace` without a flag) gets it now, in
 * its flags, as our sampler will take it (the caller's `sample_rand`, else the trace id's, below our
 * rate): headers written before any span opens (`getTraceData` in a queue consumer) then say what its
 * spans do. The parent is the one extraction made and marked, so the marks still recognise it.
 */
function decideDeferredParent(extracted: Context): Context {
  const parent = trace.getSpanContext(extracted);
  if (parent && isDeferredParent(extracted, parent)) {
    const sampled = decisionSampleRand(incomingDsc(extracted, parent.traceId), parent.traceId) < ourRate();
    parent.traceFlags = sampled ? TraceFlags.SAMPLED : TraceFlags.NONE;
  }
  return extracted;
}

type TraceDataOptions = Parameters<NonNullable<AsyncContextStrategy['getTraceData']>>[0];

const SENTRY_TRACE_VALUE = /^[0-9a-f]{32}-[0-9a-f]{16}(?:-[01])?$/;
const TRACEPARENT_VALUE = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
/** A Sentry baggage member as we write it: percent-encoded, nothing an HTML attribute could be broken by. */
const SENTRY_BAGGAGE_MEMBER = /^sentry-[a-z_]+=[A-Za-z0-9%._~-]*$/;

/**
 * What the configured propagators write for the active context (or `span`), as Sentry's own `getTraceData`
 * gives it: `sentry-trace`, Sentry's members of `baggage` and `traceparent`, each checked against its
 * format. `getTraceMetaTags` puts them into a page's HTML unescaped: a caller's other baggage members (and
 * their metadata, forwarded as they came) would carry its values, or markup, into every page.
 */
function traceData(options: TraceDataOptions = {}): ReturnType<NonNullable<AsyncContextStrategy['getTraceData']>> {
  const active = isOpenTelemetrySpan(options.span) ? trace.setSpan(context.active(), options.span) : context.active();
  const headers: Record<string, string> = {};
  propagation.inject(active, headers);
  const sentryTrace = headers['sentry-trace'];
  const baggage = (headers.baggage ?? '').split(',').map((member) => member.trim()).filter((member) => SENTRY_BAGGAGE_MEMBER.test(member)).join(',');
  const traceparent = headers.traceparent;
  return {
    ...(sentryTrace && SENTRY_TRACE_VALUE.test(sentryTrace) ? { 'sentry-trace': sentryTrace } : {}),
    ...(baggage ? { baggage } : {}),
    ...(options.propagateTraceparent && traceparent && TRACEPARENT_VALUE.test(traceparent) ? { traceparent } : {}),
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
  withActiveSpan: ((span: Span | null, callback: (scope: unknown) => unknown) => {
    if (span === null) return withScope((scope) => context.with(newTraceContext(scope), () => callback(scope)));
    return isOpenTelemetrySpan(span) ? context.with(trace.setSpan(context.active(), span), () => callback(getCurrentScope())) : withScope(callback);
  }) as unknown as TracingMethods['withActiveSpan'],
  suppressTracing: ((callback: () => unknown) => context.with(suppressTracing(context.active()), callback)) as TracingMethods['suppressTracing'],
  isTracingSuppressed: () => isTracingSuppressed(context.active()),
  getTraceData: traceData,
  continueTrace: (({ sentryTrace, baggage }: { sentryTrace?: string | undefined; baggage?: string | string[] | undefined }, callback: () => unknown) => {
    const headers = { ...(sentryTrace ? { 'sentry-trace': sentryTrace } : {}), ...(baggage ? { baggage: Array.isArray(baggage) ? baggage.join(',') : baggage } : {}) };
    return context.with(decideDeferredParent(propagation.extract(trace.deleteSpan(context.active()), headers)), callback);
  }) as unknown as TracingMethods['continueTrace'],
};

import {
  createContextKey,
  isSpanContextValid,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';

const SENTRY_TRACE_HEADER = 'sentry-trace';
const SENTRY_TRACE_PATTERN = /^[ \t]*([0-9a-f]{32})-([0-9a-f]{16})(?:-([01]))?[ \t]*$/i;

/** The span context of a `sentry-trace` header without a sampled flag: its caller left the decision to us. */
const DEFERRED_PARENT = createContextKey('express-otel-sentry deferred sampling');

/**
 * Whether `parent`, the remote parent extraction settled on, came from a `sentry-trace` header without a
 * sampled flag (what Sentry's SDKs send when they only report errors): Sentry's receivers then decide by
 * their own rate. Compared by identity, so that a `traceparent` that won over that header (and carries
 * its own decision) is not taken for it.
 */
export function isDeferredParent(context: Context, parent: SpanContext): boolean {
  return context.getValue(DEFERRED_PARENT) === parent;
}

/** `context` with `parent` as its remote parent, whose sampling is left to our sampler (at our rate). */
export function withDeferredParent(context: Context, parent: SpanContext): Context {
  return trace.setSpanContext(context, parent).setValue(DEFERRED_PARENT, parent);
}

/**
 * Reads and writes Sentry's `sentry-trace` header (`<traceId>-<spanId>-<sampled>`), so that traces started
 * by Sentry-instrumented browsers and services continue here, and ours continue there. Unlike
 * `SentryPropagator` of @sentry/opentelemetry it depends on no Sentry scope: OpenTelemetry's span context is
 * the only source of truth. `baggage` is left to the W3C baggage propagator.
 */
export class SentryTraceHeaderPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (!spanContext || !isSpanContextValid(spanContext) || isTracingSuppressed(context)) return;
    const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '1' : '0';
    setter.set(carrier, SENTRY_TRACE_HEADER, `${spanContext.traceId}-${spanContext.spanId}-${sampled}`);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, SENTRY_TRACE_HEADER);
    const header = Array.isArray(raw) ? raw[0] : raw;
    if (typeof header !== 'string') return context;
    const match = SENTRY_TRACE_PATTERN.exec(header);
    if (!match) return context;
    const spanContext: SpanContext = {
      traceId: match[1].toLowerCase(),
      spanId: match[2].toLowerCase(),
      // Without a flag the decision is left open (Sentry's rule). It is not sampled for OpenTelemetry,
      // whose parent-based sampler would drop it; ours sees the mark and decides (sampler.ts).
      traceFlags: match[3] === '1' ? TraceFlags.SAMPLED : TraceFlags.NONE,
      isRemote: true,
    };
    if (!isSpanContextValid(spanContext)) return context;
    return match[3] === undefined ? withDeferredParent(context, spanContext) : trace.setSpanContext(context, spanContext);
  }

  fields(): string[] {
    return [SENTRY_TRACE_HEADER];
  }
}

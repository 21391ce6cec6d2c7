import {
  isSpanContextValid,
  trace,
  TraceFlags,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';

const SENTRY_TRACE_HEADER = 'sentry-trace';
const SENTRY_TRACE_PATTERN = /^[ \t]*([0-9a-f]{32})-([0-9a-f]{16})(?:-([01]))?[ \t]*$/i;

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
    const spanContext = {
      traceId: match[1].toLowerCase(),
      spanId: match[2].toLowerCase(),
      // Sentry leaves the decision open when the flag is missing; OpenTelemetry's parent-based sampler
      // then treats the trace as not sampled, so an absent flag counts as sampled here to keep the trace.
      traceFlags: match[3] === '0' ? TraceFlags.NONE : TraceFlags.SAMPLED,
      isRemote: true,
    };
    return isSpanContextValid(spanContext) ? trace.setSpanContext(context, spanContext) : context;
  }

  fields(): string[] {
    return [SENTRY_TRACE_HEADER];
  }
}

import { SpanKind, trace, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span } from '@opentelemetry/sdk-trace';
import type { Breadcrumb } from '@sentry/node';
import { currentRequestTarget, writeTo, type RequestTarget } from './sentry/otel-scopes';
import type { SentryOtlpSpanProcessor } from './tracing/span-processor';

/** How one request's trail is kept. */
export interface TrailSettings {
  maxBreadcrumbs: number;
  queries: boolean;
  http: boolean;
}

/**
 * The trail's settings ride on the request's target (its isolation scope or its scopes not made yet),
 * and a client span in flight carries the target it belongs to: plain (symbol) properties rather than
 * WeakMaps, whose entries cost the garbage collector more at one or more per request. Neither is
 * copied when a scope is cloned.
 */
const TRAIL = Symbol('express-otel-sentry.request-trail');
const PENDING = Symbol('express-otel-sentry.request-trail-entry');
type TrailTarget = RequestTarget & { [TRAIL]?: TrailSettings };
type PendingSpan = { [PENDING]?: { target: RequestTarget; settings: TrailSettings } };

/** Turns the trail on for a request. */
export function startRequestTrail(target: RequestTarget, settings: TrailSettings): void {
  (target as TrailTarget)[TRAIL] = settings;
}

export function trailSettingsOf(target: RequestTarget): TrailSettings | undefined {
  return (target as TrailTarget)[TRAIL];
}

function isDatabaseSpan(span: ReadableSpan): boolean {
  return span.attributes['db.system.name'] !== undefined || span.attributes['db.system'] !== undefined;
}

function isKnexSpan(span: unknown): boolean {
  const scopeName = (span as { instrumentationScope?: { name?: string } } | undefined)?.instrumentationScope?.name;
  return typeof scopeName === 'string' && scopeName.includes('knex');
}

/** pg's `pg.connect` and pg-pool's `pg-pool.connect`. */
const CONNECT_SPAN_NAME = /(?:^|\.)connect$/;

function durationMs(span: ReadableSpan): number {
  return Math.round((span.duration[0] * 1e3 + span.duration[1] / 1e6) * 100) / 100;
}

/**
 * A breadcrumb from a finished client span; SQL and URLs are scrubbed when the event is sent. Its
 * `timestamp` is given here, in the literal: added to a spread copy instead, a property V8's object cloning
 * did not see costs ~1 µs on Node 20 (bench/NOTES.md item 54).
 */
export function breadcrumbFromSpan(span: ReadableSpan, timestamp: number): Breadcrumb | undefined {
  const attributes = span.attributes;
  const failed = span.status.code === 2;
  if (isDatabaseSpan(span)) {
    const query = attributes['db.query.text'] ?? attributes['db.statement'];
    // pg's connect spans (a pooled client taken, a connection opened) say nothing the query after them
    // does not, and would take half the trail; one that failed is what the trail must show.
    if (typeof query !== 'string' && !failed && CONNECT_SPAN_NAME.test(span.name)) return undefined;
    return {
      type: 'query',
      category: 'query',
      level: failed ? 'error' : 'info',
      message: typeof query === 'string' ? query : span.name,
      data: { 'db.system.name': attributes['db.system.name'] ?? attributes['db.system'], duration_ms: durationMs(span) },
      timestamp,
    };
  }
  const url = attributes['url.full'] ?? attributes['http.url'];
  const status = attributes['http.response.status_code'] ?? attributes['http.status_code'];
  return {
    type: 'http',
    category: 'http',
    level: failed || (typeof status === 'number' && status >= 400) ? 'warning' : 'info',
    data: {
      method: attributes['http.request.method'] ?? attributes['http.method'],
      url,
      status_code: status,
      duration_ms: durationMs(span),
    },
    timestamp,
  };
}

/**
 * Each DB query and outgoing HTTP call made while handling a request becomes a breadcrumb of that
 * request, derived from its OpenTelemetry span (nothing is instrumented twice). Only requests whose
 * trail was started (by the middleware) collect them, so nothing lands on the process-wide scope.
 */
export function attachRequestTrail(processor: SentryOtlpSpanProcessor): void {
  processor.addListener({
    onStart(span: Span, parentContext: Context) {
      if (span.kind !== SpanKind.CLIENT) return;
      const target = currentRequestTarget(parentContext);
      const settings = target && trailSettingsOf(target);
      if (!target || !settings) return;
      // knex runs each query through pg: one breadcrumb per query, from the outer (knex) span.
      if (isKnexSpan(trace.getSpan(parentContext))) return;
      (span as PendingSpan)[PENDING] = { target, settings };
    },
    onEnd(span: ReadableSpan) {
      const entry = (span as PendingSpan)[PENDING];
      if (!entry) return;
      (span as PendingSpan)[PENDING] = undefined;
      const crumb = breadcrumbFromSpan(span, Date.now() / 1000);
      if (!crumb) return;
      if (crumb.type === 'query' ? !entry.settings.queries : !entry.settings.http) return;
      const max = entry.settings.maxBreadcrumbs;
      writeTo(entry.target, (scope) => scope.addBreadcrumb(crumb, max));
    },
  });
}

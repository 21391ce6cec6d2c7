import assert from 'node:assert/strict';
import { ROOT_CONTEXT, trace, TraceFlags, defaultTextMapGetter, defaultTextMapSetter } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { isDeferredParent, SentryTraceHeaderPropagator } from '../../src/tracing/sentry-trace-propagator';

const propagator = new SentryTraceHeaderPropagator();
const TRACE = '771a43a4192642f0b136d5159a501700';
const SPAN = 'b7ad6b7169203331';

describe('SentryTraceHeaderPropagator', () => {
  const extractCases: Array<[string, string | undefined, { sampled: boolean; deferred?: boolean } | undefined]> = [
    ['sampled', `${TRACE}-${SPAN}-1`, { sampled: true }],
    ['not sampled', `${TRACE}-${SPAN}-0`, { sampled: false }],
    ['deferred (no flag): not sampled for OpenTelemetry, marked as left to our sampler', `${TRACE}-${SPAN}`, { sampled: false, deferred: true }],
    ['upper case', `${TRACE.toUpperCase()}-${SPAN}-1`, { sampled: true }],
    ['garbage', 'not-a-header', undefined],
    ['all-zero trace id', `${'0'.repeat(32)}-${SPAN}-1`, undefined],
    ['absent', undefined, undefined],
  ];
  for (const [name, header, expected] of extractCases) {
    it(`extracts: ${name}`, () => {
      const carrier = header === undefined ? {} : { 'sentry-trace': header };
      const extracted = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
      const spanContext = trace.getSpanContext(extracted);
      if (!expected) return assert.equal(spanContext, undefined);
      assert.equal(isDeferredParent(extracted, spanContext!), expected.deferred ?? false);
      assert.equal(spanContext?.traceId, TRACE);
      assert.equal(spanContext?.spanId, SPAN);
      assert.equal(spanContext?.isRemote, true);
      assert.equal(spanContext?.traceFlags, expected.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE);
    });
  }

  it('a traceparent that wins over a flagless sentry-trace decides: the trace is no longer marked deferred', () => {
    const carrier = { 'sentry-trace': `${TRACE}-${SPAN}`, traceparent: `00-${TRACE}-${SPAN}-00` };
    const afterSentry = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
    const extracted = new W3CTraceContextPropagator().extract(afterSentry, carrier, defaultTextMapGetter);
    assert.equal(isDeferredParent(extracted, trace.getSpanContext(extracted)!), false);
  });

  it('injects the active span context, and nothing when tracing is suppressed', () => {
    const context = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED });
    const carrier: Record<string, string> = {};
    propagator.inject(context, carrier, defaultTextMapSetter);
    assert.equal(carrier['sentry-trace'], `${TRACE}-${SPAN}-1`);
    const suppressed: Record<string, string> = {};
    propagator.inject(suppressTracing(context), suppressed, defaultTextMapSetter);
    assert.deepEqual(suppressed, {});
  });
});

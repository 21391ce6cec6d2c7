import assert from 'node:assert/strict';
import { defaultTextMapGetter, propagation, ROOT_CONTEXT, SpanKind, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { createTrailSampler, SAMPLE_RATE_ATTRIBUTE } from '../../src/tracing/sampler';
import { sampleRandOf } from '../../src/tracing/sentry-baggage';
import { SentryTraceHeaderPropagator } from '../../src/tracing/sentry-trace-propagator';

/** A trace id every ratio above 0 samples (TraceIdRatioBased keeps ids whose folded value is under the bound). */
const SAMPLED_TRACE_ID = '00000000000000000000000000000001';
/** A trace id no ratio below 1 samples. */
const DROPPED_TRACE_ID = 'ffffffff00000000000000000000000f';

function tracerAt(rate: number, traceId = SAMPLED_TRACE_ID) {
  const provider = new TracerProvider({
    sampler: createTrailSampler({ rate }),
    idGenerator: { generateTraceId: () => traceId, generateSpanId: () => Math.random().toString(16).slice(2, 10).padEnd(16, '1') },
  });
  return provider.getTracer('sampler-test');
}

/** The trace id of {@link remoteParent}'s span context. */
const PARENT_TRACE_ID = 'a'.repeat(32);

function remoteParent(baggage?: Record<string, string>): Context {
  const withParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: PARENT_TRACE_ID, spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote: true });
  if (!baggage) return withParent;
  const entries = Object.fromEntries(Object.entries(baggage).map(([key, value]) => [key, { value }]));
  return propagation.setBaggage(withParent, propagation.createBaggage(entries));
}

function rateOn(span: unknown): unknown {
  return (span as ReadableSpan).attributes[SAMPLE_RATE_ATTRIBUTE];
}

describe('trail sampler: the sample rate Sentry scales its counts by', () => {
  const cases: Array<[string, () => unknown, unknown]> = [
    ['a trace started here at 0.2', () => rateOn(tracerAt(0.2).startSpan('root')), 0.2],
    ['a trace started here at 1.0 (Sentry reads a missing rate as 1)', () => rateOn(tracerAt(1).startSpan('root')), undefined],
    ['a trace continued from a Sentry caller at 0.25 (baggage)', () => rateOn(tracerAt(1).startSpan('server', {}, remoteParent({ 'sentry-trace_id': PARENT_TRACE_ID, 'sentry-sample_rate': '0.25' }))), 0.25],
    ['a continued trace whose baggage names another trace (a gateway started its own): not its rate', () => rateOn(tracerAt(1).startSpan('server', {}, remoteParent({ 'sentry-trace_id': 'c'.repeat(32), 'sentry-sample_rate': '0.1' }))), undefined],
    ['a continued trace whose baggage names no trace: not its rate', () => rateOn(tracerAt(1).startSpan('server', {}, remoteParent({ 'sentry-sample_rate': '0.1' }))), undefined],
    ['a continued trace whose baggage names it in upper case', () => rateOn(tracerAt(1).startSpan('server', {}, remoteParent({ 'sentry-trace_id': PARENT_TRACE_ID.toUpperCase(), 'sentry-sample_rate': '0.5' }))), 0.5],
    ['a continued trace without a rate in its baggage', () => rateOn(tracerAt(0.2).startSpan('server', {}, remoteParent())), undefined],
    ['a continued trace whose baggage rate is not a rate', () => rateOn(tracerAt(0.2).startSpan('server', {}, remoteParent({ 'sentry-trace_id': PARENT_TRACE_ID, 'sentry-sample_rate': 'abc' }))), undefined],
    ['a continued trace whose baggage rate is out of range', () => rateOn(tracerAt(0.2).startSpan('server', {}, remoteParent({ 'sentry-trace_id': PARENT_TRACE_ID, 'sentry-sample_rate': '2' }))), undefined],
    ['a child span: its parent\'s rate', () => {
      const tracer = tracerAt(0.5);
      const parent = tracer.startSpan('root');
      return rateOn(tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, parent)));
    }, 0.5],
    ['a child of a continued trace: the caller\'s rate', () => {
      const tracer = tracerAt(0.2);
      const parent = tracer.startSpan('server', {}, remoteParent({ 'sentry-trace_id': PARENT_TRACE_ID, 'sentry-sample_rate': '0.1' }));
      return rateOn(tracer.startSpan('query', { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, parent)));
    }, 0.1],
  ];
  for (const [name, run, expected] of cases) it(name, () => assert.equal(run(), expected));

  it('a parent context with an invalid span id is no parent: the trace starts here, at our rate', () => {
    for (const isRemote of [true, false]) {
      const invalidParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: '0'.repeat(16), traceFlags: TraceFlags.SAMPLED, isRemote });
      assert.equal(rateOn(tracerAt(0.2).startSpan('root', {}, invalidParent)), 0.2);
    }
  });

  it('an unexported trace: its client spans are recorded for breadcrumbs, without a rate; the others not at all', () => {
    const tracer = tracerAt(0.2, DROPPED_TRACE_ID);
    const server = tracer.startSpan('server', { kind: SpanKind.SERVER });
    assert.equal(server.isRecording(), false);
    const query = tracer.startSpan('query', { kind: SpanKind.CLIENT });
    assert.equal(query.isRecording(), true);
    assert.equal(query.spanContext().traceFlags & TraceFlags.SAMPLED, 0);
    assert.equal(rateOn(query), undefined);
  });
});

describe('trail sampler: a caller that left the decision open (sentry-trace without a flag, errors-only Sentry SDKs)', () => {
  /** What extraction makes of `sentry-trace: <trace>-<span>` and a caller's baggage. */
  function deferredParent(traceId: string, baggage?: Record<string, string>): Context {
    const extracted = new SentryTraceHeaderPropagator().extract(ROOT_CONTEXT, { 'sentry-trace': `${traceId}-${'b'.repeat(16)}` }, defaultTextMapGetter);
    if (!baggage) return extracted;
    return propagation.setBaggage(extracted, propagation.createBaggage(Object.fromEntries(Object.entries(baggage).map(([key, value]) => [key, { value }]))));
  }
  const exported = (rate: number, parent: Context) => {
    const span = tracerAt(rate).startSpan('server', { kind: SpanKind.SERVER }, parent);
    const sampled = (span.spanContext().traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
    return { sampled, rate: sampled ? rateOn(span) : undefined };
  };

  it('the caller\'s sample_rand decides at our rate: 0.9 at 0.2 is dropped, 0.1 at 0.2 is exported with our rate', () => {
    assert.deepEqual(exported(0.2, deferredParent(PARENT_TRACE_ID, { 'sentry-trace_id': PARENT_TRACE_ID, 'sentry-sample_rand': '0.9' })), { sampled: false, rate: undefined });
    assert.deepEqual(exported(0.2, deferredParent(PARENT_TRACE_ID, { 'sentry-trace_id': PARENT_TRACE_ID, 'sentry-sample_rand': '0.1', 'sentry-sample_rate': '0.5' })), { sampled: true, rate: 0.2 });
  });

  it('without a sample_rand (or one of another trace): the trace id\'s, as for a trace started here', () => {
    for (const traceId of [SAMPLED_TRACE_ID, DROPPED_TRACE_ID, 'a'.repeat(32), '1'.repeat(32)]) {
      const expected = sampleRandOf(traceId) < 0.5;
      assert.equal(exported(0.5, deferredParent(traceId)).sampled, expected, traceId);
      const foreign = { 'sentry-trace_id': 'c'.repeat(32), 'sentry-sample_rand': expected ? '0.99' : '0.01' };
      assert.equal(exported(0.5, deferredParent(traceId, foreign)).sampled, expected, `${traceId} with another trace's baggage`);
    }
  });

  it('at rate 0 nothing, at rate 1 everything (no rate attribute: 1 is what Sentry assumes)', () => {
    assert.deepEqual(exported(0, deferredParent(SAMPLED_TRACE_ID)), { sampled: false, rate: undefined });
    assert.deepEqual(exported(1, deferredParent(DROPPED_TRACE_ID, { 'sentry-trace_id': DROPPED_TRACE_ID, 'sentry-sample_rate': '0.1' })), { sampled: true, rate: undefined });
  });
});

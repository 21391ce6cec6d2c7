import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { createTrailSampler } from '../../src/tracing/sampler';
import {
  BAGGAGE_MAX_BYTES, BAGGAGE_MAX_ENTRIES, dscEntries, dscFor, joinBaggage, nonSentryEntries, sampleRandOf, type DscSettings,
} from '../../src/tracing/sentry-baggage';

const TRACE = '771a43a4192642f0b136d5159a501700';
const SETTINGS: DscSettings = { publicKey: 'pk', environment: 'production', release: 'shop@1.2.3', rate: 0.25 };

describe('Sentry baggage: the dynamic sampling context our calls send', () => {
  it('sample_rand: the trace id folded as TraceIdRatioBased folds it, in [0, 1)', () => {
    assert.equal(sampleRandOf('00000000000000000000000000000000'), 0);
    assert.equal(sampleRandOf('80000000000000000000000000000000'), 0.5);
    assert.equal(sampleRandOf('ffffffff00000000000000000000000f'), 0xfffffff0 / 2 ** 32);
  });

  it('our sampler decides a trace started here exactly when sample_rand < rate (Sentry\'s rule), as the trace-id ratio does', () => {
    for (const rate of [0.01, 0.2, 0.5, 0.99]) {
      const sampler = createTrailSampler({ rate });
      const ratio = new TraceIdRatioBasedSampler(rate);
      for (let i = 0; i < 2000; i++) {
        const traceId = randomBytes(16).toString('hex');
        const sampled = sampler.shouldSample(ROOT_CONTEXT, traceId, 'root', SpanKind.SERVER, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED;
        assert.equal(sampled, sampleRandOf(traceId) < rate, `${traceId} at ${rate}`);
        assert.equal(sampled, ratio.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED, `${traceId} at ${rate} (ratio)`);
      }
    }
  });

  it('a trace id on the trace-id ratio\'s rounding boundary: sampled, since its sample_rand is below the rate', () => {
    // Folds to 2^31 - 1: TraceIdRatioBased(0.5) keeps folded values below floor(0.5 * (2^32 - 1)) = 2^31 - 1.
    const traceId = `7fffffff${'0'.repeat(24)}`;
    assert.ok(sampleRandOf(traceId) < 0.5);
    const decision = createTrailSampler({ rate: 0.5 }).shouldSample(ROOT_CONTEXT, traceId, 'root', SpanKind.SERVER, {}, []).decision;
    assert.equal(decision, SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('a trace started here: every field Sentry\'s SDKs send, with our rate and a sample_rand that agrees with the decision', () => {
    const dsc = dscFor({ traceId: TRACE, sampled: false, continued: false, transaction: 'GET /users/:id' }, SETTINGS);
    assert.deepEqual(dsc, {
      environment: 'production', release: 'shop@1.2.3', public_key: 'pk', trace_id: TRACE, org_id: undefined,
      transaction: 'GET /users/:id', sampled: 'false', sample_rand: String(sampleRandOf(TRACE)), sample_rate: '0.25',
    });
    assert.ok(Number(dsc.sample_rand) >= 0.25, 'not sampled: sample_rand is not below the rate');
  });

  it('a trace continued from a caller that sent its DSC: forwarded unchanged (Sentry freezes it at the head)', () => {
    const incoming = { trace_id: TRACE, public_key: 'theirs', sample_rate: '0.1', sampled: 'true', sample_rand: '0.05', custom: 'x' };
    assert.equal(dscFor({ traceId: TRACE, sampled: true, continued: true, incoming, transaction: 'GET /' }, SETTINGS), incoming);
  });

  it('a trace continued from a caller without a DSC (OpenTelemetry): ours, with the caller\'s decision and no rate (unknown)', () => {
    const dsc = dscFor({ traceId: TRACE, sampled: true, continued: true }, SETTINGS);
    assert.equal(dsc.sampled, 'true');
    assert.equal(dsc.sample_rate, undefined);
    assert.equal(dsc.trace_id, TRACE);
    assert.equal(dsc.public_key, 'pk');
  });

  it('a decision left to us (deferred): the caller\'s DSC with our decision, rate and the sample_rand that decided', () => {
    const incoming = { trace_id: TRACE, public_key: 'theirs', environment: 'web', sample_rand: '0.1' };
    assert.deepEqual(dscFor({ traceId: TRACE, sampled: true, continued: true, deferred: true, incoming }, SETTINGS), {
      ...incoming, sampled: 'true', sample_rand: '0.1', sample_rate: '0.25',
    });
    const withoutDsc = dscFor({ traceId: TRACE, sampled: false, continued: true, deferred: true }, SETTINGS);
    assert.equal(withoutDsc.sample_rate, '0.25');
    assert.equal(withoutDsc.sample_rand, String(sampleRandOf(TRACE)));
    assert.equal(withoutDsc.public_key, 'pk');
  });

  it('members are percent-encoded as Sentry writes them, empty values left out', () => {
    assert.deepEqual(dscEntries({ release: 'a b,c=d', transaction: undefined, sampled: 'true', environment: '' }), [
      'sentry-release=a%20b%2Cc%3Dd', 'sentry-sampled=true',
    ]);
  });

  it('a lone surrogate in a value (a release or environment read from somewhere odd) is sent as U+FFFD, not thrown on', () => {
    assert.deepEqual(dscEntries({ release: 'r\ud800', environment: 'prod' }), ['sentry-release=r%EF%BF%BD', 'sentry-environment=prod']);
  });

  it('joined within the W3C limits: 180 members, 8192 bytes, a member that does not fit left out whole; the first of a key wins', () => {
    const many = Array.from({ length: 300 }, (_, i) => `k${i}=v`);
    assert.equal(joinBaggage(many)!.split(',').length, BAGGAGE_MAX_ENTRIES);
    const big = Array.from({ length: 10 }, (_, i) => `k${i}=${'v'.repeat(1000)}`);
    const joined = joinBaggage(['sentry-trace_id=t', ...big, 'last=1'])!;
    assert.ok(Buffer.byteLength(joined) <= BAGGAGE_MAX_BYTES);
    assert.ok(joined.startsWith('sentry-trace_id=t,'));
    assert.ok(joined.endsWith(',last=1'), 'a later member that fits still goes');
    assert.equal(joinBaggage(['a=1', 'a=2', 'b=3']), 'a=1,b=3');
    assert.equal(joinBaggage([]), undefined);
  });

  it('an app\'s own baggage header: its members that are not Sentry\'s', () => {
    assert.deepEqual(nonSentryEntries(['a=1, sentry-sample_rate=1', 'b=2;prop']), ['a=1', 'b=2;prop']);
    assert.deepEqual(nonSentryEntries(undefined), []);
  });
});

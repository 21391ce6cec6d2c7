import { INVALID_SPANID, INVALID_TRACEID, SpanKind, isSpanContextValid, trace, type Attributes, type Context, type Link } from '@opentelemetry/api';
import type { Sampler, SamplingResult } from '@opentelemetry/sdk-trace';
import { decisionSampleRand, incomingDsc, sampleRandOf, validRate } from './sentry-baggage';
import { isDeferredParent } from './sentry-trace-propagator';
import { loadSdkTrace } from './plain-api-namespace';

type SdkTrace = ReturnType<typeof loadSdkTrace>;

/** Options of {@link createTrailSampler}. */
export interface TrailSamplerOptions {
  /** Share of root traces exported, in [0, 1]; children follow their parent. */
  rate: number;
  /**
   * Record every span of unexported traces too (the local view draws each request's whole tree).
   * @default false
   */
  recordAll?: boolean;
}

/**
 * The share of traces like this one that are exported, on each exported span when below 1: Sentry
 * scales its counts and rates by it (a span without it counts as sampled at 1.0, so at 0.2 every count
 * would read five times too low). Sentry's own SDK sends it in the envelope's trace header, which OTLP
 * spans do not have.
 */
export const SAMPLE_RATE_ATTRIBUTE = 'sentry.client_sample_rate';

/**
 * The decision for a trace that starts here, by Sentry's rule: sampled exactly when the trace's
 * `sample_rand` is below the rate. The `sample_rand` is the trace id folded as TraceIdRatioBased folds it
 * ({@link sampleRandOf}), so this is OpenTelemetry's trace-id ratio in all but its rounding (its bound is
 * floor(rate * (2^32 - 1)), ours rate * 2^32: at most two of the 2^32 folded values decide otherwise),
 * and the `sample_rand` our outgoing calls send in `baggage` agrees with the decision.
 */
function sampleRandSampler(rate: number, { AlwaysOnSampler, AlwaysOffSampler, SamplingDecision }: SdkTrace): Sampler {
  if (rate >= 1) return new AlwaysOnSampler();
  if (rate <= 0) return new AlwaysOffSampler();
  const sampled: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED };
  const dropped: SamplingResult = { decision: SamplingDecision.NOT_RECORD };
  return {
    shouldSample: (_context, traceId) => (sampleRandOf(traceId) < rate ? sampled : dropped),
    toString: () => `SampleRandBelow{${rate}}`,
  };
}

/**
 * ParentBased(sample_rand < rate) decides what is exported. Of the traces it drops, the client spans (DB
 * queries, outgoing calls) are still recorded, unexported, because each request's breadcrumbs are made
 * from them; server and internal spans of those traces are not recorded at all, which spares most of the
 * cost of an unexported request (span objects, attribute copies, end-of-span processing).
 *
 * Exported spans carry {@link SAMPLE_RATE_ATTRIBUTE} when their trace's rate is below 1: ours for a
 * trace started here or left to us to decide, the caller's (`sentry-sample_rate` in `baggage`, when its `sentry-trace_id` is
 * this trace's) for one continued, the parent's for the rest.
 */
export function createTrailSampler(options: TrailSamplerOptions): Sampler {
  const sdkTrace = loadSdkTrace();
  const { SamplingDecision } = sdkTrace;
  const delegate = new sdkTrace.ParentBasedSampler({ root: sampleRandSampler(options.rate, sdkTrace) });
  const recordAll = options.recordAll ?? false;
  // One result per rate, shared by every span (the SDK copies its attributes into the span's own).
  const sampledAt = new Map<number, SamplingResult>();
  const sampledWithRate = (rate: number | undefined, result: SamplingResult): SamplingResult => {
    if (rate === undefined || rate >= 1 || result.traceState !== undefined || result.attributes !== undefined) return result;
    let shared = sampledAt.get(rate);
    if (shared === undefined && sampledAt.size < 64) sampledAt.set(rate, (shared = { decision: SamplingDecision.RECORD_AND_SAMPLED, attributes: { [SAMPLE_RATE_ATTRIBUTE]: rate } }));
    return shared ?? { decision: SamplingDecision.RECORD_AND_SAMPLED, attributes: { [SAMPLE_RATE_ATTRIBUTE]: rate } };
  };
  const rateOf = (context: Context): number | undefined => {
    const parent = trace.getSpan(context);
    const parentContext = parent?.spanContext();
    // As the parent-based sampler decided: an invalid parent makes a root. Its ids are compared with the
    // invalid ones rather than matched again (a regex each, per span); only those two occur in practice.
    if (!parentContext || parentContext.traceId === INVALID_TRACEID || parentContext.spanId === INVALID_SPANID) return options.rate;
    if (parentContext.isRemote) return validRate(incomingDsc(context, parentContext.traceId)?.sample_rate);
    return validRate((parent as { attributes?: Attributes }).attributes?.[SAMPLE_RATE_ATTRIBUTE]);
  };
  // A caller that left the decision to us (`sentry-trace` without a flag): our rate decides, by the
  // caller's sample_rand when it sent one, as Sentry's receivers do; not ParentBased, which would drop it.
  const deferred = (context: Context): SamplingResult | undefined => {
    const parent = trace.getSpanContext(context);
    if (!parent?.isRemote || !isDeferredParent(context, parent) || !isSpanContextValid(parent)) return undefined;
    const sampled = decisionSampleRand(incomingDsc(context, parent.traceId), parent.traceId) < options.rate;
    return sampled ? sampledWithRate(options.rate, { decision: SamplingDecision.RECORD_AND_SAMPLED }) : { decision: SamplingDecision.NOT_RECORD };
  };
  return {
    shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
      const decidedHere = deferred(context);
      const result = decidedHere ?? delegate.shouldSample(context, traceId, name, kind, attributes, links);
      if (result.decision === SamplingDecision.RECORD_AND_SAMPLED) return decidedHere ?? sampledWithRate(rateOf(context), result);
      if (result.decision !== SamplingDecision.NOT_RECORD || !(recordAll || kind === SpanKind.CLIENT)) return result;
      return { decision: SamplingDecision.RECORD, attributes: result.attributes, traceState: result.traceState };
    },
    toString: () => `TrailSampler{${delegate.toString()}${recordAll ? ', records all' : ', records client spans'}}`,
  };
}

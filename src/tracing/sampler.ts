import { SpanKind, type Attributes, type Context, type Link } from '@opentelemetry/api';
import {
  AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler, type Sampler, type SamplingResult,
} from '@opentelemetry/sdk-trace';

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
 * ParentBased(TraceIdRatio) decides what is exported. Of the traces it drops, the client spans (DB
 * queries, outgoing calls) are still recorded, unexported, because each request's breadcrumbs are made
 * from them; server and internal spans of those traces are not recorded at all, which spares most of the
 * cost of an unexported request (span objects, attribute copies, end-of-span processing).
 */
export function createTrailSampler(options: TrailSamplerOptions): Sampler {
  // At 1 and 0 the ratio sampler's answer is known without hashing the trace id.
  const root = options.rate >= 1 ? new AlwaysOnSampler() : options.rate <= 0 ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(options.rate);
  const delegate = new ParentBasedSampler({ root });
  const recordAll = options.recordAll ?? false;
  return {
    shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
      const result = delegate.shouldSample(context, traceId, name, kind, attributes, links);
      if (result.decision !== SamplingDecision.NOT_RECORD || !(recordAll || kind === SpanKind.CLIENT)) return result;
      return { decision: SamplingDecision.RECORD, attributes: result.attributes, traceState: result.traceState };
    },
    toString: () => `TrailSampler{${delegate.toString()}${recordAll ? ', records all' : ', records client spans'}}`,
  };
}

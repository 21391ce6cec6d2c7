import { propagation, type Context } from '@opentelemetry/api';

/**
 * Sentry's dynamic sampling context (DSC) as it travels in W3C `baggage`: `sentry-<key>=<value>` entries,
 * frozen by the service that heads the trace (@sentry/core's `dynamicSamplingContextToSentryBaggageHeader`).
 * Pure helpers; the sampler and the baggage propagator share them so that both read a caller's context
 * by the same rules.
 */

export const SENTRY_BAGGAGE_PREFIX = 'sentry-';

/** A DSC: keys without the `sentry-` prefix; an undefined value is not sent (Sentry drops empty ones too). */
export type DynamicSamplingContext = Readonly<Record<string, string | undefined>>;

/** A sample rate Sentry accepts, as a number; 0 is none (Sentry drops a 0 rate too). */
export function validRate(value: unknown): number | undefined {
  const rate = typeof value === 'string' ? Number(value) : value;
  return typeof rate === 'number' && rate > 0 && rate <= 1 ? rate : undefined;
}

/** A `sample_rand` Sentry accepts: a number in [0, 1). */
export function validSampleRand(value: unknown): number | undefined {
  const rand = typeof value === 'string' && value.trim() !== '' ? Number(value) : undefined;
  return rand !== undefined && rand >= 0 && rand < 1 ? rand : undefined;
}

/**
 * The caller's DSC for the trace `traceId`, from the context's baggage; undefined when there is none or
 * when its `sentry-trace_id` names another trace (a gateway that started a trace of its own forwards the
 * baggage of the one it received: its rate and decision are not this trace's).
 */
export function incomingDsc(context: Context, traceId: string): DynamicSamplingContext | undefined {
  const baggage = propagation.getBaggage(context);
  const owner = baggage?.getEntry(`${SENTRY_BAGGAGE_PREFIX}trace_id`)?.value;
  if (!baggage || owner === undefined || owner.toLowerCase() !== traceId) return undefined;
  const dsc: Record<string, string> = {};
  for (const [key, entry] of baggage.getAllEntries()) {
    if (key.startsWith(SENTRY_BAGGAGE_PREFIX)) dsc[key.slice(SENTRY_BAGGAGE_PREFIX.length)] = entry.value;
  }
  return dsc;
}

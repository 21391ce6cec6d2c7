import { propagation, type Context } from '@opentelemetry/api';
import { wellFormed } from '../scrub/cut';

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

/**
 * The `sample_rand` of a trace whose sampling is decided here: its id folded into 32 bits as
 * OpenTelemetry's TraceIdRatioBased sampler folds it, over 2^32. Sentry's rule is "sampled exactly when
 * sample_rand < rate"; deciding our traces by this number (see sampler.ts) makes that hold, and keeps the
 * decision a function of the trace id, so every service of ours agrees on it at equal rates.
 */
export function sampleRandOf(traceId: string): number {
  let folded = 0;
  for (let at = 0; at < 32; at += 8) folded = (folded ^ Number.parseInt(traceId.slice(at, at + 8), 16)) >>> 0;
  return folded / 2 ** 32;
}

/**
 * The `sample_rand` a decision made here goes by: the caller's, when its DSC for this trace has one
 * (so that every service deciding the trace agrees, Sentry's rule), else the trace id's.
 */
export function decisionSampleRand(incoming: DynamicSamplingContext | undefined, traceId: string): number {
  return validSampleRand(incoming?.sample_rand) ?? sampleRandOf(traceId);
}

/** W3C baggage limits (https://www.w3.org/TR/baggage/#limits). */
export const BAGGAGE_MAX_BYTES = 8192;
export const BAGGAGE_MAX_ENTRIES = 180;
const BAGGAGE_MAX_ENTRY_BYTES = 4096;

/** The DSC as baggage list members, percent-encoded as Sentry writes them; empty values are left out. */
export function dscEntries(dsc: DynamicSamplingContext): string[] {
  const entries: string[] = [];
  for (const [key, value] of Object.entries(dsc)) {
    // encodeURIComponent throws on a lone surrogate, which would take every member with it.
    if (value) entries.push(`${encodeURIComponent(SENTRY_BAGGAGE_PREFIX + key)}=${encodeURIComponent(wellFormed(value))}`);
  }
  return entries;
}

function entryKey(entry: string): string {
  const end = entry.search(/[=;]/);
  return (end === -1 ? entry : entry.slice(0, end)).trim();
}

/**
 * One `baggage` value from list members in order of precedence (the first of a key wins), within the W3C
 * limits: a member that does not fit is left out whole, never cut, as OpenTelemetry's serializer does.
 */
export function joinBaggage(entries: readonly string[]): string | undefined {
  const seen = new Set<string>();
  let header = '';
  let bytes = 0;
  for (const entry of entries) {
    if (seen.size === BAGGAGE_MAX_ENTRIES) break;
    const key = entryKey(entry);
    const size = Buffer.byteLength(entry);
    if (!key || seen.has(key) || size > BAGGAGE_MAX_ENTRY_BYTES || bytes + size + (header ? 1 : 0) > BAGGAGE_MAX_BYTES) continue;
    seen.add(key);
    bytes += size + (header ? 1 : 0);
    header = header ? `${header},${entry}` : entry;
  }
  return header || undefined;
}

/** The list members of a raw `baggage` value (or values) that are not Sentry's. */
export function nonSentryEntries(raw: string | readonly string[] | undefined): string[] {
  if (raw === undefined) return [];
  const values = typeof raw === 'string' ? [raw] : raw;
  return values.flatMap((value) => value.split(',')).map((entry) => entry.trim()).filter((entry) => {
    const key = entryKey(entry);
    return key !== '' && !key.toLowerCase().startsWith(SENTRY_BAGGAGE_PREFIX);
  });
}

/** What a DSC is made of, besides the trace: this service's Sentry settings. */
export interface DscSettings {
  /** From the DSN; none without one. */
  publicKey?: string;
  /** From the DSN's host (`o<id>.ingest…`), as Sentry's SDKs send it. */
  orgId?: string;
  environment: string;
  release?: string;
  /** Our traces' sample rate. */
  rate: number;
}

/** How the trace an outgoing call belongs to got here, and what was decided about it. */
export interface TraceOrigin {
  traceId: string;
  sampled: boolean;
  /** The trace came from a caller (else it started in this process). */
  continued: boolean;
  /** The caller left the sampling decision to us (`sentry-trace` without a flag). */
  deferred?: boolean;
  /** The caller's DSC, when it belongs to this trace ({@link incomingDsc}). */
  incoming?: DynamicSamplingContext;
  /** `<METHOD> <route template>` of the request handling it, once routed. */
  transaction?: string;
}

/**
 * The DSC an outgoing call carries. A caller's DSC is forwarded unchanged: Sentry freezes it at the head
 * of the trace; when the caller left the decision to us, with ours added. Otherwise this service heads it for Sentry and writes its own: with our rate and a
 * `sample_rand` that agrees with the decision when the decision was ours; without a rate when the
 * decision came from a caller that sent no DSC (an OpenTelemetry service: its rate is unknown, and a
 * missing rate is what Sentry reads as 1, as our spans of that trace say).
 */
export function dscFor(origin: TraceOrigin, settings: DscSettings): DynamicSamplingContext {
  const decidedHere = !origin.continued || origin.deferred === true;
  if (origin.continued && origin.incoming) {
    if (!decidedHere) return origin.incoming;
    // The caller's context, with the decision it left to us (Sentry's receivers set their rate too).
    return {
      ...origin.incoming,
      sampled: String(origin.sampled),
      sample_rand: String(decisionSampleRand(origin.incoming, origin.traceId)),
      sample_rate: String(settings.rate),
    };
  }
  return {
    environment: settings.environment,
    release: settings.release,
    public_key: settings.publicKey,
    trace_id: origin.traceId,
    org_id: settings.orgId,
    transaction: origin.transaction,
    sampled: String(origin.sampled),
    sample_rand: String(sampleRandOf(origin.traceId)),
    sample_rate: decidedHere ? String(settings.rate) : undefined,
  };
}

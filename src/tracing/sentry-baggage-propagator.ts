import {
  createContextKey, isSpanContextValid, propagation, trace, TraceFlags,
  type Baggage, type Context, type SpanContext, type TextMapGetter, type TextMapPropagator, type TextMapSetter,
} from '@opentelemetry/api';
import { getRPCMetadata, isTracingSuppressed, W3CBaggagePropagator } from '@opentelemetry/core';
import { dsnFromString } from '@sentry/core';
import { RequestRecord } from './request-record';
import { isDeferredParent } from './sentry-trace-propagator';
import {
  dscEntries, dscFor, incomingDsc, joinBaggage, nonSentryEntries, SENTRY_BAGGAGE_PREFIX, type DscSettings, type TraceOrigin,
} from './sentry-baggage';

const BAGGAGE_HEADER = 'baggage';

/** The remote parent a trace was continued from, as extraction left it (the winner of all propagators). */
const REMOTE_PARENT = createContextKey('express-otel-sentry remote parent');

/** Options of {@link SentryBaggagePropagator}. */
export interface SentryBaggagePropagatorOptions extends DscSettings {
  /**
   * W3C baggage is propagated too (OTEL_PROPAGATORS names `baggage`): every entry is extracted and the
   * context's non-Sentry entries are sent on. Otherwise only Sentry's entries are.
   */
  w3c: boolean;
}

/** The Sentry settings of a DSC from the configuration: the DSN's public key and organisation. */
export function dscSettingsFrom(dsn: string | undefined): Pick<DscSettings, 'publicKey' | 'orgId'> {
  const parsed = dsn ? dsnFromString(dsn) : undefined;
  if (!parsed) return {};
  return { publicKey: parsed.publicKey, orgId: /^o(\d+)\./.exec(parsed.host)?.[1] };
}

/** The outgoing call's request record, when the call is made while handling a request of this trace. */
function requestOf(context: Context, traceId: string): RequestRecord | undefined {
  const record = getRPCMetadata(context);
  return record instanceof RequestRecord && record.span.spanContext().traceId === traceId ? record : undefined;
}

/** The value of a header already on a plain-object carrier (an app's own `baggage` on `http.request`), and its name. */
function ownHeader(carrier: unknown): { name: string; value: string | string[] } | undefined {
  if (typeof carrier !== 'object' || carrier === null) return undefined;
  for (const [name, value] of Object.entries(carrier)) {
    if (name.toLowerCase() === BAGGAGE_HEADER && (typeof value === 'string' || Array.isArray(value))) return { name, value };
  }
  return undefined;
}

/** The context's baggage members that are not Sentry's, as OpenTelemetry's W3C propagator writes them. */
function contextEntries(baggage: Baggage | undefined): string[] {
  if (!baggage) return [];
  const entries: string[] = [];
  for (const [key, entry] of baggage.getAllEntries()) {
    if (key.startsWith(SENTRY_BAGGAGE_PREFIX)) continue;
    const metadata = entry.metadata === undefined ? '' : `;${entry.metadata.toString()}`;
    entries.push(`${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}${metadata}`);
  }
  return entries;
}

/**
 * Sentry's dynamic sampling context in `baggage`, as Sentry's SDKs send it next to `sentry-trace`, so
 * that a Sentry service downstream (or another of ours) knows the trace's rate, decision, `sample_rand`,
 * release, environment and transaction. Used in place of OpenTelemetry's W3C baggage propagator when the
 * `sentry` propagator is active: both write the one `baggage` header, so one of them writes it, merging.
 *
 * The DSC of a trace continued from a caller that sent one for it is forwarded unchanged; otherwise
 * this service writes its own (`dscFor`). It is computed once per request and trace, on the first
 * outgoing call (the route, the transaction, is known by then), and kept on the request's record; a new
 * route means a new transaction name and a new computation.
 */
export class SentryBaggagePropagator implements TextMapPropagator {
  private readonly w3c = new W3CBaggagePropagator();
  private readonly settings: DscSettings;
  private readonly forwardOthers: boolean;

  constructor(options: SentryBaggagePropagatorOptions) {
    const { w3c, ...settings } = options;
    this.settings = settings;
    this.forwardOthers = w3c;
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (!spanContext || !isSpanContextValid(spanContext) || isTracingSuppressed(context)) return;
    const own = ownHeader(carrier);
    const header = joinBaggage([
      ...this.sentryEntries(context, spanContext),
      // An app's own header keeps its members (its value wins a key), as Sentry's SDKs merge it.
      ...nonSentryEntries(own?.value),
      ...(this.forwardOthers ? contextEntries(propagation.getBaggage(context)) : []),
    ]);
    if (header !== undefined) setter.set(carrier, own?.name ?? BAGGAGE_HEADER, header);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let extracted = this.w3c.extract(context, carrier, getter);
    if (!this.forwardOthers) extracted = onlySentryBaggage(extracted);
    // Placed after the other propagators (sdk.ts), so this is the span context that won.
    const parent = trace.getSpanContext(extracted);
    return parent && parent.isRemote && isSpanContextValid(parent) ? extracted.setValue(REMOTE_PARENT, parent) : extracted;
  }

  fields(): string[] {
    return [BAGGAGE_HEADER];
  }

  private sentryEntries(context: Context, spanContext: SpanContext): string[] {
    const record = requestOf(context, spanContext.traceId);
    const cached = record?.sentryBaggage;
    if (cached && cached.route === record.route) return cached.entries;
    const entries = dscEntries(dscFor(originOf(context, spanContext, record), this.settings));
    if (record) record.sentryBaggage = { route: record.route, entries };
    return entries;
  }
}

function originOf(context: Context, spanContext: SpanContext, record: RequestRecord | undefined): TraceOrigin {
  const { traceId } = spanContext;
  const parent = context.getValue(REMOTE_PARENT) as SpanContext | undefined;
  return {
    traceId,
    sampled: (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
    continued: parent?.traceId === traceId,
    deferred: parent !== undefined && isDeferredParent(context, parent),
    incoming: incomingDsc(context, traceId),
    transaction: record?.route === undefined ? undefined : `${record.method} ${record.route}`,
  };
}

/** Without W3C baggage propagation, only Sentry's members of an incoming `baggage` are kept. */
function onlySentryBaggage(context: Context): Context {
  const baggage = propagation.getBaggage(context);
  if (!baggage) return context;
  const others = baggage.getAllEntries().map(([key]) => key).filter((key) => !key.startsWith(SENTRY_BAGGAGE_PREFIX));
  if (others.length === 0) return context;
  const kept = baggage.removeEntries(...others);
  return kept.getAllEntries().length === 0 ? propagation.deleteBaggage(context) : propagation.setBaggage(context, kept);
}

import { SpanKind, type Attributes, type AttributeValue, type SpanContext, type TraceState } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { FILTERED, type Scrubber } from '../scrub';
import { memoizeString } from '../scrub/memo';
import { compileRouteParamMask, maskRouteParams } from '../scrub/route-params';

const SQL_ATTRIBUTES = new Set(['db.query.text', 'db.statement', 'db.query.summary']);
const URL_ATTRIBUTES = new Set(['url.full', 'url.path', 'http.url', 'http.target', 'url.original']);
/** A query string without its '?' (`a=1&b=2`): scrubbed as a URL's query, values percent-decoded. */
const QUERY_ATTRIBUTES = new Set(['url.query']);
/** A server span's request target, whose segments its route names with a sensitive parameter are filtered. */
const ROUTED_URL_ATTRIBUTES = ['url.path', 'url.full', 'http.target', 'http.url'] as const;
const ROUTE_MASK_ENTRIES = 256;
const ROUTE_MASK_MAX_LENGTH = 1024;
/** The client's address on server spans is personal data (S13): it is not sent. */
const CLIENT_ADDRESS_ATTRIBUTES = new Set(['client.address', 'client.port', 'http.client_ip', 'network.peer.address', 'network.peer.port', 'net.peer.ip', 'net.sock.peer.addr']);

/** What an attribute key's value gets; decided once per key (spans repeat the same few dozen keys). */
const enum KeyRule {
  Text = 0,
  Sql = 1,
  Url = 2,
  Query = 3,
  Filtered = 4,
  /** Added to the rule: dropped from server spans. */
  ClientAddress = 5,
}

/** Below this an integer cannot be a card number (13 digits at least): most numeric attributes skip the check. */
const SMALLEST_CARD_NUMBER = 1e12;

const RULE_MEMO_ENTRIES = 1024;
const RULE_MEMO_MAX_LENGTH = 256;

/** A scrubbed copy of span attributes (server spans also lose the client's address). */
export type AttributesScrubber = (attributes: Attributes, isServer?: boolean) => Attributes;

/** A scrubbed, read-only copy of a finished span for export. */
export type SpanScrubber = (span: ReadableSpan) => ReadableSpan;

/** Sensitive keys filtered, SQL and URLs sanitized, secrets in text removed. */
export function compileAttributesScrubber(scrubber: Scrubber): AttributesScrubber {
  const ruleOf = memoizeString(
    (key: string): number =>
      (CLIENT_ADDRESS_ATTRIBUTES.has(key) ? KeyRule.ClientAddress : 0) +
      (scrubber.isSensitiveKey(key)
        ? KeyRule.Filtered
        : SQL_ATTRIBUTES.has(key) ? KeyRule.Sql : URL_ATTRIBUTES.has(key) ? KeyRule.Url : QUERY_ATTRIBUTES.has(key) ? KeyRule.Query : KeyRule.Text),
    RULE_MEMO_ENTRIES,
    RULE_MEMO_MAX_LENGTH,
  );
  const scrubScalar = (rule: number, value: string): string =>
    rule === KeyRule.Sql
      ? scrubber.scrubSql(value)
      : rule === KeyRule.Url ? scrubber.scrubUrl(value) : rule === KeyRule.Query ? scrubber.scrubUrl(`?${value}`).slice(1) : scrubber.scrubString(value);
  // Numbers that could be card numbers, maps and nested arrays (attribute values the API takes as any
  // value) go through the general scrubber: sensitive keys inside, strings, Luhn-valid numbers.
  const scrubOther = (value: unknown): unknown =>
    typeof value === 'number'
      ? (value < SMALLEST_CARD_NUMBER && value > -SMALLEST_CARD_NUMBER ? value : scrubber.scrubValue(value))
      : typeof value === 'boolean' || value === null || value === undefined ? value : scrubber.scrubValue(value);
  const scrubValue = (rule: number, value: AttributeValue | undefined): AttributeValue | undefined => {
    if (rule === KeyRule.Filtered) return typeof value === 'boolean' ? value : FILTERED; // a boolean holds no secret
    if (typeof value === 'string') return scrubScalar(rule, value);
    if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? scrubScalar(rule, item) : scrubOther(item))) as AttributeValue;
    return scrubOther(value) as AttributeValue;
  };
  return (attributes, isServer = false) => {
    const out: Attributes = {};
    for (const key of Object.keys(attributes)) {
      try {
        const rule = ruleOf(key);
        if (rule >= KeyRule.ClientAddress) {
          if (isServer) continue;
          out[key] = scrubValue(rule - KeyRule.ClientAddress, attributes[key]);
        } else {
          out[key] = scrubValue(rule, attributes[key]);
        }
      } catch {
        out[key] = FILTERED; // fail closed: a value we could not inspect is not sent
      }
    }
    return out;
  };
}

/**
 * The incoming `tracestate` is copied into every span of the trace: vendors' opaque entries, written to
 * the wire as they came unless scrubbed like any text (rare, so this costs nothing on most spans).
 */
function withScrubbedTraceState(scrubber: Scrubber, context: SpanContext): SpanContext {
  const state = context.traceState?.serialize();
  if (!state) return context;
  const scrubbed = scrubber.scrubString(state);
  if (scrubbed === state) return context;
  const traceState: TraceState = Object.create(context.traceState as object, { serialize: { value: () => scrubbed } });
  return { ...context, traceState };
}

/**
 * A server span's URL attributes with the path segments its route names with a sensitive parameter
 * filtered (`/reset/:token`): a password-reset or invite token is the path itself.
 */
function compileRouteParamFilter(scrubber: Scrubber): (attributes: Attributes) => Attributes {
  const maskOf = memoizeString((route: string) => compileRouteParamMask(route, scrubber.isSensitiveKey) ?? null, ROUTE_MASK_ENTRIES, ROUTE_MASK_MAX_LENGTH);
  return (attributes) => {
    const route = attributes['http.route'];
    const mask = typeof route === 'string' ? maskOf(route) : null;
    if (!mask) return attributes;
    for (const key of ROUTED_URL_ATTRIBUTES) {
      const value = attributes[key];
      if (typeof value === 'string') attributes[key] = maskRouteParams(value, mask);
    }
    return attributes;
  };
}

/** Compiled once per processor: the original span is never touched (other processors and the app may still read it). */
export function compileSpanScrubber(scrubber: Scrubber): SpanScrubber {
  const scrubAttributes = compileAttributesScrubber(scrubber);
  const filterRouteParams = compileRouteParamFilter(scrubber);
  const scrubEvent = (event: TimedEvent): TimedEvent => ({ ...event, name: scrubber.scrubString(event.name), attributes: event.attributes && scrubAttributes(event.attributes) });
  return (span) => {
    const status = span.status.message ? { ...span.status, message: scrubber.scrubString(span.status.message) } : span.status;
    const spanContext = withScrubbedTraceState(scrubber, span.spanContext());
    return {
      name: scrubber.scrubString(span.name),
      kind: span.kind,
      spanContext: () => spanContext,
      parentSpanContext: span.parentSpanContext,
      startTime: span.startTime,
      endTime: span.endTime,
      status,
      // The scrubbed copy is ours to change.
      attributes: span.kind === SpanKind.SERVER ? filterRouteParams(scrubAttributes(span.attributes, true)) : scrubAttributes(span.attributes),
      links: span.links.length ? span.links.map((link) => ({ ...link, attributes: link.attributes && scrubAttributes(link.attributes) })) : [],
      events: span.events.length ? span.events.map(scrubEvent) : [],
      duration: span.duration,
      ended: span.ended,
      resource: span.resource,
      instrumentationScope: span.instrumentationScope,
      droppedAttributesCount: span.droppedAttributesCount,
      droppedEventsCount: span.droppedEventsCount,
      droppedLinksCount: span.droppedLinksCount,
    };
  };
}

import { SpanKind, type Attributes, type AttributeValue } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { FILTERED, type Scrubber } from '../scrub';

const SQL_ATTRIBUTES = new Set(['db.query.text', 'db.statement', 'db.query.summary']);
const URL_ATTRIBUTES = new Set(['url.full', 'url.query', 'url.path', 'http.url', 'http.target', 'url.original']);
/** The client's address on server spans is personal data (S13): it is not sent. */
const CLIENT_ADDRESS_ATTRIBUTES = new Set(['client.address', 'client.port', 'http.client_ip', 'network.peer.address', 'network.peer.port', 'net.peer.ip', 'net.sock.peer.addr']);

function scrubScalar(scrubber: Scrubber, key: string, value: string): string {
  if (SQL_ATTRIBUTES.has(key)) return scrubber.scrubSql(value);
  if (URL_ATTRIBUTES.has(key)) return scrubber.scrubUrl(value);
  return scrubber.scrubString(value);
}

function scrubAttributeValue(scrubber: Scrubber, key: string, value: AttributeValue | undefined): AttributeValue | undefined {
  if (typeof value === 'string') return scrubScalar(scrubber, key, value);
  if (Array.isArray(value)) {
    return value.map((item) => (typeof item === 'string' ? scrubScalar(scrubber, key, item) : item)) as AttributeValue;
  }
  return value;
}

/** A scrubbed copy of span attributes: sensitive keys filtered, SQL and URLs sanitized, secrets in text removed. */
export function scrubAttributes(scrubber: Scrubber, attributes: Attributes, isServer = false): Attributes {
  const out: Attributes = {};
  for (const key of Object.keys(attributes)) {
    if (isServer && CLIENT_ADDRESS_ATTRIBUTES.has(key)) continue;
    try {
      out[key] = scrubber.isSensitiveKey(key) ? FILTERED : scrubAttributeValue(scrubber, key, attributes[key]);
    } catch {
      out[key] = FILTERED; // fail closed: a value we could not inspect is not sent
    }
  }
  return out;
}

function scrubEvent(scrubber: Scrubber, event: TimedEvent): TimedEvent {
  return { ...event, name: scrubber.scrubString(event.name), attributes: event.attributes && scrubAttributes(scrubber, event.attributes) };
}

/**
 * A scrubbed, read-only copy of a finished span for export. The original is never touched: other
 * processors and the app may still read it.
 */
export function scrubSpan(scrubber: Scrubber, span: ReadableSpan): ReadableSpan {
  const status = span.status.message ? { ...span.status, message: scrubber.scrubString(span.status.message) } : span.status;
  return {
    name: scrubber.scrubString(span.name),
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status,
    attributes: scrubAttributes(scrubber, span.attributes, span.kind === SpanKind.SERVER),
    links: span.links.map((link) => ({ ...link, attributes: link.attributes && scrubAttributes(scrubber, link.attributes) })),
    events: span.events.map((event) => scrubEvent(scrubber, event)),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

import type { Envelope, EnvelopeItem, Event, Log, Metric } from '@sentry/core';
import { FILTERED, type Scrubber } from '../scrub';
import { scrubEvent } from './scrub-event';

/**
 * Item types that need nothing here: error events were scrubbed by `beforeSend` (scrubbing them twice
 * would cost the error path for nothing), logs and metrics by their own hooks (which keep their typed
 * attributes valid), and aggregated sessions and client reports are the SDK's counts. An attachment is
 * a file the app attached on purpose, sent as it is (README, Security). A `session` names its user (`did`:
 * the id, else the e-mail or user name) and is scrubbed below.
 */
const ALREADY_SCRUBBED_OR_COUNTS = new Set(['event', 'log', 'trace_metric', 'sessions', 'client_report', 'attachment']);
/** Event-shaped items that skip `beforeSend` (Sentry runs it for error events only). */
const EVENT_SHAPED = new Set(['feedback', 'transaction']);

interface SessionPayload {
  did?: unknown;
  attrs?: unknown;
}

/** A session's user and attributes scrubbed; its counts, ids and timestamps as they are. */
function scrubSession(scrubber: Scrubber, session: SessionPayload): SessionPayload {
  return {
    ...session,
    ...(session.did === undefined ? {} : { did: scrubber.scrubValue(session.did) }),
    ...(session.attrs === undefined ? {} : { attrs: scrubber.scrubValue(session.attrs) }),
  };
}

function scrubItem(scrubber: Scrubber, item: EnvelopeItem): EnvelopeItem {
  const [header, payload] = item as [{ type: string }, unknown];
  if (ALREADY_SCRUBBED_OR_COUNTS.has(header.type)) return item;
  let scrubbed: unknown;
  try {
    if (typeof payload === 'string') scrubbed = scrubber.scrubString(payload);
    else if (payload instanceof Uint8Array) scrubbed = payload;
    else if (header.type === 'session') scrubbed = scrubSession(scrubber, payload as SessionPayload);
    else scrubbed = EVENT_SHAPED.has(header.type) ? scrubEvent(scrubber, payload as Event) : scrubber.scrubValue(payload);
  } catch {
    scrubbed = EVENT_SHAPED.has(header.type) ? undefined : FILTERED;
  }
  return [header, scrubbed] as unknown as EnvelopeItem;
}

/**
 * Every envelope passes here on its way out: what Sentry's API can send past `beforeSend` (user
 * feedback, transactions, check-ins, and any item type a later SDK adds) is scrubbed like an event.
 * Never mutates the envelope; an event-shaped item that cannot be scrubbed is left out (fail closed).
 */
export function scrubEnvelope(scrubber: Scrubber, envelope: Envelope): Envelope {
  const [headers, items] = envelope as [unknown, EnvelopeItem[]];
  if (items.every((item) => ALREADY_SCRUBBED_OR_COUNTS.has((item[0] as { type: string }).type))) return envelope;
  const kept = items.map((item) => scrubItem(scrubber, item)).filter((item) => item[1] !== undefined);
  return [headers, kept] as unknown as Envelope;
}

const TEMPLATE_ATTRIBUTE = 'sentry.message.template';
const PARAMETER_PREFIX = 'sentry.message.parameter.';
/** A template's placeholders: `%s` of `logger.fmt` (`%%` a literal `%`), `{}` of the console integration. */
const PLACEHOLDER = /%%|%s|\{\}/g;
const markerOf = (index: number) => `EOSPARAM${index}X`;

/**
 * The parameters a log's body filters: one the scrubbed body no longer shows, and, with a template, one
 * whose place scrubbing filters (each placeholder is given a marker: the value of `password=%s`). The
 * attributes are already scrubbed.
 */
function filterParametersOfFilteredPlaces(scrubber: Scrubber, raw: string, message: string, attributes: Record<string, unknown>): Record<string, unknown> {
  const parameters = Object.keys(attributes).filter((key) => key.startsWith(PARAMETER_PREFIX));
  if (parameters.length === 0 || message === raw) return attributes;
  const template = attributes[TEMPLATE_ATTRIBUTE];
  // The body still shows the value (a key that is itself a parameter, `${name}=${value}`, is only seen here)...
  const inBody = (key: string): boolean => {
    const value = attributes[key];
    return (typeof value !== 'string' && typeof value !== 'number') || message.includes(String(value));
  };
  let shown = inBody;
  if (typeof template === 'string') {
    // ...and its place was not filtered (a one-character value may show elsewhere in the body).
    let index = 0;
    const marked = scrubber.scrubString(template.replace(PLACEHOLDER, (placeholder) => (placeholder === '%%' ? '%' : markerOf(index++))));
    shown = (key) => inBody(key) && marked.includes(markerOf(Number(key.slice(PARAMETER_PREFIX.length))));
  }
  const result = { ...attributes };
  for (const key of parameters) if (!shown(key)) result[key] = FILTERED;
  return result;
}

/**
 * `beforeSendLog`: the message and every attribute (the scope's user and the app's own) scrubbed, and
 * a parameter whose place in the body was filtered filtered in its attribute too.
 */
export function scrubLog(scrubber: Scrubber, log: Log): Log | null {
  try {
    const raw = String(log.message);
    const message = scrubber.scrubString(raw);
    const attributes = log.attributes && (scrubber.scrubValue(log.attributes) as Record<string, unknown>);
    return { ...log, message, attributes: attributes && filterParametersOfFilteredPlaces(scrubber, raw, message, attributes) };
  } catch {
    return null;
  }
}

/** `beforeSendMetric`: the metric's attributes scrubbed (its name and value are the app's code). */
export function scrubMetric(scrubber: Scrubber, metric: Metric): Metric | null {
  try {
    return { ...metric, attributes: metric.attributes && scrubber.scrubValue(metric.attributes) };
  } catch {
    return null;
  }
}

import type { Envelope, EnvelopeItem, Event, Log, Metric } from '@sentry/core';
import { FILTERED, type Scrubber } from '../scrub';
import { scrubEvent } from './scrub-event';

/**
 * Item types that need nothing here: error events were scrubbed by `beforeSend` (scrubbing them twice
 * would cost the error path for nothing; one it did not scrub is, see scrubEnvelope), logs and metrics by their own hooks (which keep their typed
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

function scrubItem(scrubber: Scrubber, item: EnvelopeItem, scrubbedEvents: WeakSet<object>): EnvelopeItem {
  const [header, payload] = item as [{ type: string }, unknown];
  if (header.type === 'event' && !isScrubbedEvent(payload, scrubbedEvents)) return scrubUnscrubbedEvent(scrubber, header, payload);
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

const isScrubbedEvent = (payload: unknown, scrubbedEvents: WeakSet<object>): boolean =>
  typeof payload === 'object' && payload !== null && scrubbedEvents.has(payload);

function scrubUnscrubbedEvent(scrubber: Scrubber, header: { type: string }, payload: unknown): EnvelopeItem {
  let scrubbed: Event | undefined;
  try {
    scrubbed = typeof payload === 'object' && payload !== null ? scrubEvent(scrubber, payload as Event) : undefined;
  } catch {
    scrubbed = undefined;
  }
  return [header, scrubbed] as unknown as EnvelopeItem;
}

/**
 * Every envelope passes here on its way out: what Sentry's API can send past `beforeSend` (user
 * feedback, transactions, check-ins, and any item type a later SDK adds) is scrubbed like an event.
 * Never mutates the envelope; an event-shaped item that cannot be scrubbed is left out (fail closed).
 */
export function scrubEnvelope(scrubber: Scrubber, envelope: Envelope, scrubbedEvents: WeakSet<object> = new WeakSet()): Envelope {
  const [headers, items] = envelope as [unknown, EnvelopeItem[]];
  const passes = (item: EnvelopeItem): boolean => {
    const type = (item[0] as { type: string }).type;
    return type === 'event' ? isScrubbedEvent(item[1], scrubbedEvents) : ALREADY_SCRUBBED_OR_COUNTS.has(type);
  };
  const scrubbedHeaders = scrubTraceHeader(scrubber, headers);
  if (scrubbedHeaders === headers && items.every(passes)) return envelope;
  const kept = items.map((item) => scrubItem(scrubber, item, scrubbedEvents)).filter((item) => item[1] !== undefined);
  return [scrubbedHeaders, kept] as unknown as Envelope;
}

/**
 * The envelope header's `trace` (the dynamic sampling context) names the active span as its
 * `transaction`, and Sentry builds it after `beforeSend` (a check-in's never passes there): its text
 * values are scrubbed; the headers are the same object when nothing changed.
 */
function scrubTraceHeader(scrubber: Scrubber, headers: unknown): unknown {
  const trace = (headers as { trace?: unknown } | undefined)?.trace;
  if (typeof trace !== 'object' || trace === null) return headers;
  try {
    const scrubbed = scrubber.scrubValue(trace) as Record<string, unknown>;
    const changed = Object.keys(scrubbed).some((key) => scrubbed[key] !== (trace as Record<string, unknown>)[key]);
    return changed ? { ...(headers as object), trace: scrubbed } : headers;
  } catch {
    const { trace: _dropped, ...rest } = headers as { trace?: unknown };
    return rest;
  }
}

const TEMPLATE_ATTRIBUTE = 'sentry.message.template';
const PARAMETER_PREFIX = 'sentry.message.parameter.';
/** A template's placeholders: `%s` of `logger.fmt` (`%%` a literal `%`), `{}` of the console integration. */
const PLACEHOLDER = /%%|%s|\{\}/g;
const markerOf = (index: number) => `EOSPARAM${index}X`;

/**
 * Marking costs a scrub of the template per parameter: past this many characters in all (a template
 * with many or long parameters), every parameter is filtered when the body was.
 */
const MARKING_BUDGET_CHARS = 256 * 1024;
/** Longer values are not filled into the other places: `${name}=` needs the name, not a payload. */
const MAX_FILLED_VALUE_LENGTH = 64;

/**
 * The parameters a log's body filters: one the scrubbed body no longer shows, and, with a template, one
 * whose place scrubbing filters: the template is scrubbed with that parameter's place marked and the
 * others filled in (so `${name}=${value}` reads as `password=<marker>`), and a marker scrubbing removed
 * was a secret's place. `given` are the attributes as logged, `scrubbed` as scrubbed.
 */
function filterParametersOfFilteredPlaces(scrubber: Scrubber, raw: string, message: string, given: Record<string, unknown>, scrubbed: Record<string, unknown>): Record<string, unknown> {
  const parameters = Object.keys(scrubbed).filter((key) => key.startsWith(PARAMETER_PREFIX));
  if (parameters.length === 0 || message === raw) return scrubbed;
  const inBody = (key: string): boolean => {
    const value = scrubbed[key];
    return (typeof value !== 'string' && typeof value !== 'number') || message.includes(String(value));
  };
  let shown = inBody;
  const template = given[TEMPLATE_ATTRIBUTE];
  if (typeof template === 'string') {
    const filled = (at: number): string => {
      const value = String(given[`${PARAMETER_PREFIX}${at}`]);
      return value.length <= MAX_FILLED_VALUE_LENGTH ? value : 'x';
    };
    const placesMarked = (marked: number): string => {
      let index = 0;
      return template.replace(PLACEHOLDER, (placeholder) => {
        if (placeholder === '%%') return '%';
        const at = index++;
        return at === marked ? markerOf(at) : filled(at);
      });
    };
    // A template whose placeholders are not its parameters one for one (a literal `{}` or `%s` in it)
    // cannot be marked: fail closed, as past the budget.
    const placeholders = template.match(PLACEHOLDER)?.filter((placeholder) => placeholder !== '%%').length ?? 0;
    const markable = placeholders === parameters.length && parameters.length * template.length <= MARKING_BUDGET_CHARS;
    shown = !markable
      ? () => false
      : (key) => {
        const index = Number(key.slice(PARAMETER_PREFIX.length));
        return inBody(key) && scrubber.scrubString(placesMarked(index)).includes(markerOf(index));
      };
  }
  const result = { ...scrubbed };
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
    return { ...log, message, attributes: attributes && filterParametersOfFilteredPlaces(scrubber, raw, message, log.attributes as Record<string, unknown>, attributes) };
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

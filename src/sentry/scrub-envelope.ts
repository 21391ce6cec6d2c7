import type { Envelope, EnvelopeItem, Event, Log, Metric } from '@sentry/core';
import { FILTERED, type Scrubber } from '../scrub';
import { scrubEvent } from './scrub-event';

/**
 * Item types that need nothing here: error events were scrubbed by `beforeSend` (scrubbing them twice
 * would cost the error path for nothing), logs and metrics by their own hooks (which keep their typed
 * attributes valid), and sessions and client reports are the SDK's counts. An attachment is a file the
 * app attached on purpose, sent as it is (README, Security).
 */
const ALREADY_SCRUBBED_OR_COUNTS = new Set(['event', 'log', 'trace_metric', 'session', 'sessions', 'client_report', 'attachment']);
/** Event-shaped items that skip `beforeSend` (Sentry runs it for error events only). */
const EVENT_SHAPED = new Set(['feedback', 'transaction']);

function scrubItem(scrubber: Scrubber, item: EnvelopeItem): EnvelopeItem {
  const [header, payload] = item as [{ type: string }, unknown];
  if (ALREADY_SCRUBBED_OR_COUNTS.has(header.type)) return item;
  let scrubbed: unknown;
  try {
    if (typeof payload === 'string') scrubbed = scrubber.scrubString(payload);
    else if (payload instanceof Uint8Array) scrubbed = payload;
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

/** `beforeSendLog`: the message and every attribute (the scope's user and the app's own) scrubbed. */
export function scrubLog(scrubber: Scrubber, log: Log): Log | null {
  try {
    return { ...log, message: scrubber.scrubString(String(log.message)), attributes: log.attributes && scrubber.scrubValue(log.attributes) };
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

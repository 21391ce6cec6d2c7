import { AssertionError } from 'node:assert';
import { isDeepStrictEqual } from 'node:util';
import type { CapturedEvent, EventMatcher } from './types';

const MATCHER_FIELDS: ReadonlySet<string> = new Set<keyof EventMatcher>(['type', 'message', 'level', 'user', 'category', 'details', 'tags']);
const FIELDS_TEXT = [...MATCHER_FIELDS].join(', ');

/** From JavaScript a misspelt field (`mesage`) would match every event: refuse it. */
export function checkMatcher(call: string, matcher: unknown): asserts matcher is EventMatcher {
  if (matcher === null || typeof matcher !== 'object' || Array.isArray(matcher)) {
    throw new TypeError(`${call}: expected the fields to match, e.g. { message: 'boom' }; received ${matcher === null ? 'null' : typeof matcher}`);
  }
  const unknown = Object.keys(matcher).filter((key) => !MATCHER_FIELDS.has(key));
  if (unknown.length > 0) throw new TypeError(`${call}: unknown field(s) ${unknown.join(', ')}; the fields are ${FIELDS_TEXT}`);
}

function textMatches(expected: string | RegExp | undefined, actual: unknown): boolean {
  if (expected === undefined) return true;
  if (typeof actual !== 'string') return false;
  return typeof expected === 'string' ? actual === expected : expected.test(actual);
}

/** Every given field deep-equal (key order does not matter); ids compare as text, as Sentry sends them. */
function fieldsMatch(expected: Record<string, unknown> | undefined, actual: unknown, textIds = false): boolean {
  if (!expected) return true;
  if (actual === null || typeof actual !== 'object') return false;
  const record = actual as Record<string, unknown>;
  return Object.entries(expected).every(([key, value]) =>
    isDeepStrictEqual(record[key], value) || (textIds && key === 'id' && typeof value === 'number' && record[key] === String(value)));
}

function mainException(event: CapturedEvent) {
  return event.exception?.values?.[event.exception.values.length - 1];
}

/** The main text of an event: the exception's value or the message. */
export function eventText(event: CapturedEvent): string | undefined {
  return mainException(event)?.value ?? event.message ?? event.logentry?.message;
}

/** What a value looks like once it went over the wire (events are JSON): Dates as text, undefined keys gone. */
function asSent(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return fields;
  try {
    return JSON.parse(JSON.stringify(fields, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))) as Record<string, unknown>;
  } catch {
    return fields; // a cycle: compared as given
  }
}

export function eventMatches(event: CapturedEvent, matcher: EventMatcher): boolean {
  // Messages carry a type-less synthetic exception; their "type" does not exist.
  return (
    textMatches(matcher.type, mainException(event)?.type) &&
    textMatches(matcher.message, eventText(event)) &&
    (matcher.level === undefined || event.level === matcher.level) &&
    fieldsMatch(asSent(matcher.user), event.user, true) &&
    (matcher.category === undefined || event.tags?.['error.category'] === matcher.category) &&
    fieldsMatch(asSent(matcher.details), event.contexts?.details) &&
    fieldsMatch(asSent(matcher.tags), event.tags)
  );
}

function summary(event: CapturedEvent): string {
  return JSON.stringify({
    type: mainException(event)?.type,
    message: eventText(event),
    level: event.level,
    user: event.user,
    category: event.tags?.['error.category'],
    details: event.contexts?.details,
    tags: event.tags,
  });
}

/** `reason` replaces the opening words (a timeout says what it waited for). */
export function assertEvent(events: CapturedEvent[], matcher: EventMatcher, reason?: string): CapturedEvent {
  const found = events.find((event) => eventMatches(event, matcher));
  if (found) return found;
  const wanted = JSON.stringify(matcher, (_key, value) => (value instanceof RegExp ? String(value) : value));
  // Events arrive after the response: a synchronous check right after a request sees none yet.
  const hint = events.length === 0 && !reason ? '\n(events arrive after the response: await kit.waitForEvent(expected) waits for one)' : '';
  throw new AssertionError({
    message: `${reason ?? 'no captured event matches'} ${wanted}; captured ${events.length}:\n${events.map(summary).join('\n') || '(none)'}${hint}`,
    expected: matcher,
    actual: events.map(summary),
  });
}

import { AssertionError } from 'node:assert';
import type { CapturedEvent, EventMatcher } from './types';

function textMatches(expected: string | RegExp | undefined, actual: unknown): boolean {
  if (expected === undefined) return true;
  if (typeof actual !== 'string') return false;
  return typeof expected === 'string' ? actual === expected : expected.test(actual);
}

function fieldsMatch(expected: Record<string, unknown> | undefined, actual: unknown): boolean {
  if (!expected) return true;
  if (actual === null || typeof actual !== 'object') return false;
  const record = actual as Record<string, unknown>;
  return Object.entries(expected).every(([key, value]) => JSON.stringify(record[key]) === JSON.stringify(value));
}

/** The main text of an event: the exception's value or the message. */
export function eventText(event: CapturedEvent): string | undefined {
  const exception = event.exception?.values?.[event.exception.values.length - 1];
  return exception?.value ?? event.message ?? event.logentry?.message;
}

export function eventMatches(event: CapturedEvent, matcher: EventMatcher): boolean {
  const exception = event.exception?.values?.[event.exception.values.length - 1];
  // Messages carry a type-less synthetic exception; their "type" does not exist.
  return (
    textMatches(matcher.type, exception?.type) &&
    textMatches(matcher.message, eventText(event)) &&
    (matcher.level === undefined || event.level === matcher.level) &&
    fieldsMatch(matcher.user, event.user) &&
    (matcher.category === undefined || event.tags?.['error.category'] === matcher.category) &&
    fieldsMatch(matcher.details, event.contexts?.details) &&
    fieldsMatch(matcher.tags, event.tags)
  );
}

function summary(event: CapturedEvent): string {
  const exception = event.exception?.values?.[event.exception.values.length - 1];
  return JSON.stringify({
    type: exception?.type,
    message: eventText(event),
    level: event.level,
    user: event.user,
    category: event.tags?.['error.category'],
    details: event.contexts?.details,
  });
}

export function assertEvent(events: CapturedEvent[], matcher: EventMatcher): CapturedEvent {
  const found = events.find((event) => eventMatches(event, matcher));
  if (found) return found;
  throw new AssertionError({
    message: `no captured event matches ${JSON.stringify(matcher, (_k, v) => (v instanceof RegExp ? String(v) : v))}; captured ${events.length}:\n${events.map(summary).join('\n') || '(none)'}`,
    expected: matcher,
    actual: events.map(summary),
  });
}

import type { Event } from '@sentry/node';

/**
 * A captureMessage event. With `attachStacktrace` Sentry gives messages a synthetic, type-less
 * exception carrying the stack, so "has an exception" does not tell errors from messages.
 */
export function isMessageEvent(event: Event): boolean {
  const values = event.exception?.values ?? [];
  if (values.length === 0) return true;
  return values.every((value) => value.type === undefined && value.mechanism?.synthetic === true) && typeof event.message === 'string';
}

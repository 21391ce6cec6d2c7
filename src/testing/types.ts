import type { Breadcrumb, Event, SeverityLevel } from '@sentry/node';
import type { TelemetryOptions } from '../config/types';
import type { NormalizedSpan } from './otlp-json';

export type { NormalizedSpan as CapturedSpan } from './otlp-json';
/** A Sentry event as it went over the wire (parsed from the serialized envelope). */
export type CapturedEvent = Event;

/** Options of {@link createTestkit}: those of `initTelemetry`, minus where data goes. */
export type TestkitOptions = Omit<TelemetryOptions, 'dsn' | 'otlpEndpoint' | 'localView'>;

export interface WaitOptions {
  /** @default 5000 */
  timeout?: number | undefined;
}

/** What `expectEvent` compares; every given field must match (strings and RegExps for text). */
export interface EventMatcher {
  /** The exception type, e.g. 'PaymentError'. */
  type?: string | RegExp | undefined;
  /** The exception value or the message. */
  message?: string | RegExp | undefined;
  level?: SeverityLevel | undefined;
  /** Fields of `event.user` that must be equal (an `id` given as a number matches its text, as Sentry sends it). */
  user?: Record<string, unknown> | undefined;
  /** The `error.category` tag. */
  category?: string | undefined;
  /** Fields of `contexts.details` that must be deep-equal (key order does not matter). */
  details?: Record<string, unknown> | undefined;
  /** Tags that must be equal. */
  tags?: Record<string, string> | undefined;
}

/** A span with its children: the shape of a trace. */
export interface SpanNode {
  span: NormalizedSpan;
  children: SpanNode[];
}

export interface Testkit {
  /** Every event (errors and messages), in the order they were sent. */
  events(): CapturedEvent[];
  /** Events without an exception (captureMessage). */
  messages(): CapturedEvent[];
  /** Events with an exception. */
  exceptions(): CapturedEvent[];
  /** Every exported span (scrubbed, as it went over the wire). */
  spans(): NormalizedSpan[];
  spansOf(traceId: string): NormalizedSpan[];
  /** The span tree of the event's trace (roots first). */
  traceOf(event: CapturedEvent): SpanNode[];
  breadcrumbsOf(event: CapturedEvent): Breadcrumb[];
  /** Flushes both pipelines, then waits (without sleeping) until at least `count` events arrived. */
  waitForEvents(count: number, options?: WaitOptions): Promise<CapturedEvent[]>;
  /** Flushes, then waits until a span matches the predicate (or, given a number, until that many spans arrived); returns the matching spans. */
  waitForSpans(predicate: number | ((span: NormalizedSpan) => boolean), options?: WaitOptions): Promise<NormalizedSpan[]>;
  /**
   * Throws an AssertionError unless an event captured so far matches. Returns it. Events arrive after the
   * response: right after a request, use `waitForEvent`.
   */
  expectEvent(matcher: EventMatcher): CapturedEvent;
  /** Flushes, then waits until an event matches; returns it, or rejects with what was captured instead. */
  waitForEvent(matcher: EventMatcher, options?: WaitOptions): Promise<CapturedEvent>;
  /** Flushes, then throws unless no event was captured. */
  expectNoEvents(): Promise<void>;
  /** Flushes, then throws if any of the values appears in any captured byte (envelopes and OTLP payloads). */
  expectNoSecrets(values: ReadonlyArray<string>): Promise<void>;
  /** Every captured payload as sent (serialized envelopes and OTLP/JSON bodies). */
  payloads(): string[];
  /** Flushes both pipelines. */
  flush(): Promise<void>;
  /**
   * Forgets everything captured so far. What arrives later from spans started before it (a request of the
   * previous test still working after its response) is not captured either.
   */
  reset(): void;
}

import type { ReadableSpan, Span } from '@opentelemetry/sdk-trace';
import type { CapturedEvent } from './types';

/**
 * Which test a span belongs to: `reset()` starts a new generation, and whatever arrives afterwards from a
 * span started before it (a span ending late, an event captured by a request's work after its response)
 * belongs to the previous test and is not shown to the next. Keyed by span, not by trace, because a test
 * may continue the same trace id as the one before it (a fixed `traceparent`). Two generations are kept:
 * telemetry arriving two tests late is not recognised, and memory stays bounded.
 */
export class SpanGenerations {
  private current = new Set<string>();
  private previous = new Set<string>();

  /** A span listener: every recorded span starts here, before it can end or an event can name it. */
  readonly listener = {
    onStart: (span: Span): void => {
      // A child of a previous test's span (its request's work after the response: an audit call, a
      // webhook) is that test's too, whenever it starts.
      const parent = span.parentSpanContext;
      const generation = parent !== undefined && !parent.isRemote && this.previous.has(parent.spanId) ? this.previous : this.current;
      generation.add(span.spanContext().spanId);
    },
  };

  /** Called by `reset()`. */
  next(): void {
    this.previous = this.current;
    this.current = new Set();
  }

  isLateSpan(span: ReadableSpan): boolean {
    return this.previous.has(span.spanContext().spanId);
  }

  /** An event names the span that was active when it was captured; outside any span it is never late. */
  isLateEvent(event: CapturedEvent): boolean {
    const spanId = event.contexts?.trace?.span_id;
    return typeof spanId === 'string' && this.previous.has(spanId);
  }
}

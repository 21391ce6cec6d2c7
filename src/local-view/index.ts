import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Event } from '@sentry/node';
import type { Envelope } from '@sentry/core';
import type { Scrubber } from '../scrub';
import type { EnvelopeSink } from '../sentry/transport';
import type { SentryOtlpSpanProcessor } from '../tracing/span-processor';
import { formatEvent, formatTrace, painter, type TraceLine } from './format';

/** Options of the terminal view of what was captured. */
export interface LocalViewOptions {
  /** Where lines go. @default process.stdout.write */
  write?: (text: string) => void;
  /** ANSI colours. @default process.stdout.isTTY */
  colors?: boolean;
  /** Traces kept open at most (the oldest are forgotten). @default 500 */
  maxOpenTraces?: number;
  /** Spans shown per trace; the rest are counted, not kept (a request or job may run for hours). @default 100 */
  maxSpansPerTrace?: number;
}

const DEFAULT_MAX_OPEN_TRACES = 500;
const DEFAULT_MAX_SPANS_PER_TRACE = 100;

/** A trace's spans as far as they are shown, and how many more ended. */
interface TraceSpans {
  spans: ReadableSpan[];
  omitted: number;
}
/** Layer spans of async handlers may end just after the server span: wait a moment before printing. */
const STRAGGLER_DELAY_MS = 100;

function durationMs(span: ReadableSpan): number {
  return span.duration[0] * 1e3 + span.duration[1] / 1e6;
}

function detailOf(span: ReadableSpan, scrubber: Scrubber): string | undefined {
  const query = span.attributes['db.query.text'];
  if (typeof query === 'string') return scrubber.scrubSql(query).slice(0, 120);
  const status = span.attributes['http.response.status_code'];
  if (span.kind === SpanKind.SERVER || span.kind === SpanKind.CLIENT) {
    const url = span.attributes['url.full'];
    return [typeof url === 'string' && span.kind === SpanKind.CLIENT ? scrubber.scrubUrl(url) : undefined, status].filter(Boolean).join(' ') || undefined;
  }
  return undefined;
}

function toLines(spans: ReadableSpan[], scrubber: Scrubber): TraceLine[] {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  const lines: TraceLine[] = [];
  const visit = (span: ReadableSpan, depth: number) => {
    lines.push({ depth, name: scrubber.scrubString(span.name), durationMs: durationMs(span), error: span.status.code === 2, detail: detailOf(span, scrubber) });
    const kids = (children.get(span.spanContext().spanId) ?? []).sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
    kids.forEach((kid) => visit(kid, depth + 1));
  };
  const roots = children.get(undefined) ?? [];
  // The server span first; a span whose parent was never recorded hangs under it.
  roots.sort((a, b) => (a.kind === SpanKind.SERVER ? -1 : b.kind === SpanKind.SERVER ? 1 : 0));
  roots.forEach((root, index) => visit(root, index === 0 ? 0 : 1));
  return lines;
}

const ignore = (): void => undefined;

/**
 * Writes to stdout as `console` does: a stdout that went away (`node app.js | head -1`: EPIPE) fails the
 * write, not the process, whose 'error' event would otherwise go unhandled.
 */
function writeToStdout(text: string): void {
  const stdout = process.stdout;
  stdout.once('error', ignore);
  try {
    // An asynchronous failure reaches this callback before the stream's 'error' event, as console's does.
    stdout.write(text, (error) => {
      if (error && stdout.listenerCount('error') === 0) stdout.once('error', ignore);
    });
  } catch {
    // destroyed: nothing to show it on
  } finally {
    stdout.removeListener('error', ignore);
  }
}

/**
 * Shows each captured event and each request's span tree in the terminal: the no-account way to see what
 * would reach Sentry. Events are shown as sent (scrubbed); spans pass the same scrubber.
 */
export function attachLocalView(processor: SentryOtlpSpanProcessor, sinks: Set<EnvelopeSink>, scrubber: Scrubber, options: LocalViewOptions = {}): () => void {
  const write = options.write ?? writeToStdout;
  const paint = painter(options.colors ?? Boolean(process.stdout.isTTY));
  const maxOpen = options.maxOpenTraces ?? DEFAULT_MAX_OPEN_TRACES;
  const maxSpans = options.maxSpansPerTrace ?? DEFAULT_MAX_SPANS_PER_TRACE;
  const open = new Map<string, TraceSpans>();
  const closing = new Map<string, TraceSpans>();
  const keep = (trace: TraceSpans, span: ReadableSpan, isRoot: boolean) => {
    if (trace.spans.length < maxSpans || isRoot) trace.spans.push(span);
    else trace.omitted += 1;
  };

  const sink: EnvelopeSink = (envelope: Envelope) => {
    for (const [header, payload] of envelope[1]) {
      if (header.type === 'event') write(`${formatEvent(payload as Event, paint)}\n`);
    }
  };
  sinks.add(sink);
  const removeListener = processor.addListener({
    onEnd(span) {
      const traceId = span.spanContext().traceId;
      const late = closing.get(traceId);
      if (late) {
        keep(late, span, false);
        return;
      }
      const trace = open.get(traceId) ?? { spans: [], omitted: 0 };
      const isRoot = span.kind === SpanKind.SERVER || !span.parentSpanContext || span.parentSpanContext.isRemote === true;
      keep(trace, span, isRoot);
      open.delete(traceId);
      if (isRoot) {
        closing.set(traceId, trace);
        setTimeout(() => {
          closing.delete(traceId);
          try {
            write(`${formatTrace(traceId, toLines(trace.spans, scrubber), paint, trace.omitted)}\n`);
          } catch {
            // A view of what was captured; a span it cannot show must not become an uncaught error.
          }
        }, STRAGGLER_DELAY_MS).unref();
        return;
      }
      open.set(traceId, trace);
      if (open.size > maxOpen) open.delete(open.keys().next().value as string);
    },
  });
  return () => {
    sinks.delete(sink);
    removeListener();
  };
}

import type { Context } from '@opentelemetry/api';
import { TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Scrubber } from '../scrub';
import type { Logger } from '../logger';
import type { Undelivered } from '../delivery-warnings';
import { ExportQueue, type ExportQueueStats, type SpanLossReason } from './export-queue';
import { compileSpanScrubber, type SpanScrubber } from './scrub-span';

/** Options of {@link SentryOtlpSpanProcessor}. */
export interface SentryOtlpSpanProcessorOptions {
  /** Scrubs every span before it leaves the process. */
  scrubber: Scrubber;
  logger: Logger;
  /** Spans waiting per destination before new ones are dropped. @default 2048 */
  maxQueueSize?: number | undefined;
  /** Most spans per export request (a backlog leaves in batches this big). @default 512 */
  maxExportBatchSize?: number | undefined;
  /**
   * Queued spans that trigger an export without waiting for `scheduledDelayMillis`. Well below
   * maxExportBatchSize: under steady load spans then leave within milliseconds and die young, instead
   * of surviving into V8's old generation while a big batch fills (bench/NOTES.md: 512 → 128 cut the
   * CPU per request at sample rate 1.0 by a fifth). @default 128
   */
  exportThreshold?: number | undefined;
  /** How long spans may wait for a batch to fill; 0 exports them at once. @default 1000 */
  scheduledDelayMillis?: number | undefined;
  /** How long one export may take before it counts as failed; 0 for no limit (the exporter's requests still time out). @default 10000 */
  exportTimeoutMillis?: number | undefined;
  /** At most one "queue is full" warning per destination per interval; the drops in between are summed. @default 60000 */
  dropWarningIntervalMs?: number | undefined;
}

/** Called for every recorded span, sampled or not (breadcrumbs and the local view use it). */
export interface SpanListener {
  onStart?(span: Span, parentContext: Context): void;
  onEnd?(span: ReadableSpan): void;
}

const DEFAULTS = { maxQueueSize: 2048, maxExportBatchSize: 512, exportThreshold: 128, scheduledDelayMillis: 1000, exportTimeoutMillis: 10_000, dropWarningIntervalMs: 60_000 };

/**
 * Batches finished, sampled spans and exports them, scrubbed, to every destination at once (Sentry's
 * OTLP endpoint, an OpenTelemetry Collector, the test kit). Each destination has its own bounded queue.
 * Unsampled spans are recorded (so that listeners see every request's queries) but never exported.
 */
export class SentryOtlpSpanProcessor implements SpanProcessor {
  private readonly queues = new Map<string, ExportQueue>();
  private readonly listeners = new Set<SpanListener>();
  // Arrays of the two above for the per-span paths: iterating a Map or Set allocates an iterator per span.
  private queueList: ExportQueue[] = [];
  private listenerList: SpanListener[] = [];
  private readonly settings: Required<Omit<SentryOtlpSpanProcessorOptions, 'scrubber' | 'logger'>>;
  private readonly scrubbed = new WeakMap<ReadableSpan, ReadableSpan>();
  private readonly scrubSpan: SpanScrubber;

  constructor(private readonly options: SentryOtlpSpanProcessorOptions) {
    this.scrubSpan = compileSpanScrubber(options.scrubber);
    this.settings = {
      maxQueueSize: options.maxQueueSize ?? DEFAULTS.maxQueueSize,
      maxExportBatchSize: options.maxExportBatchSize ?? DEFAULTS.maxExportBatchSize,
      exportThreshold: Math.min(options.exportThreshold ?? DEFAULTS.exportThreshold, options.maxExportBatchSize ?? DEFAULTS.maxExportBatchSize),
      scheduledDelayMillis: options.scheduledDelayMillis ?? DEFAULTS.scheduledDelayMillis,
      exportTimeoutMillis: options.exportTimeoutMillis ?? DEFAULTS.exportTimeoutMillis,
      dropWarningIntervalMs: options.dropWarningIntervalMs ?? DEFAULTS.dropWarningIntervalMs,
    };
  }

  /**
   * Adds a destination; its name must be unique ('sentry', 'otlp', 'testkit', ...). `onLoss` is told of
   * the spans that do not arrive there, and why.
   */
  addExporter(name: string, exporter: SpanExporter, onLoss?: (reason: SpanLossReason, count: number) => void): void {
    this.queues.get(name)?.shutdown().catch(() => undefined);
    this.queues.set(
      name,
      new ExportQueue({
        name,
        exporter,
        ...this.settings,
        maxQueueSize: this.settings.maxQueueSize,
        maxBatchSize: this.settings.maxExportBatchSize,
        exportThreshold: this.settings.exportThreshold,
        prepare: (spans) => spans.map((span) => this.scrub(span)),
        logger: this.options.logger,
        onLoss,
      }),
    );
    this.queueList = [...this.queues.values()];
  }

  hasExporters(): boolean {
    return this.queues.size > 0;
  }

  addListener(listener: SpanListener): () => void {
    this.listeners.add(listener);
    this.listenerList = [...this.listeners];
    return () => {
      const removed = this.listeners.delete(listener);
      this.listenerList = [...this.listeners];
      return removed;
    };
  }

  stats(): Record<string, ExportQueueStats> {
    const out: Record<string, ExportQueueStats> = {};
    for (const [name, queue] of this.queues) out[name] = { ...queue.stats };
    return out;
  }

  onStart(span: Span, parentContext: Context): void {
    for (const listener of this.listenerList) {
      try {
        listener.onStart?.(span, parentContext);
      } catch {
        // A listener is an observer: its failure must not affect the span or the request.
      }
    }
  }

  onEnd(span: ReadableSpan): void {
    for (const listener of this.listenerList) {
      try {
        listener.onEnd?.(span);
      } catch {
        // See onStart.
      }
    }
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    for (const queue of this.queueList) queue.push(span);
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.flush()));
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.shutdown()));
  }

  /** Per destination, what did not arrive and no line counted yet (see ExportQueue.takeUndelivered). */
  takeUndelivered(): Array<{ destination: string } & Undelivered> {
    const out: Array<{ destination: string } & Undelivered> = [];
    for (const [destination, queue] of this.queues) {
      const undelivered = queue.takeUndelivered();
      if (undelivered) out.push({ destination, ...undelivered });
    }
    return out;
  }

  /** Stops every destination at once, dropping what waits and abandoning exports in flight (see ExportQueue.abort). */
  async abort(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.abort()));
  }

  private scrub(span: ReadableSpan): ReadableSpan {
    // The cache only saves work when several destinations export the same span; with one it would
    // cost a weak entry (extra GC work) per span for nothing.
    if (this.queues.size < 2) return this.scrubSpan(span);
    let copy = this.scrubbed.get(span);
    if (!copy) {
      copy = this.scrubSpan(span);
      this.scrubbed.set(span, copy);
    }
    return copy;
  }
}

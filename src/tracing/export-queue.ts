import { context } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Logger } from '../logger';

export interface ExportQueueOptions {
  /** Shown in log lines, e.g. 'sentry' or 'otlp'. */
  name: string;
  exporter: SpanExporter;
  maxQueueSize: number;
  maxBatchSize: number;
  /**
   * Queued spans that start an export at once (not waiting for the delay). Below maxBatchSize so that
   * spans leave young under steady load; a backlog still goes out in full batches of maxBatchSize.
   */
  exportThreshold: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  /** Turns raw spans into what may leave the process (scrubbed); called at export time, off the request path. */
  prepare: (spans: ReadableSpan[]) => ReadableSpan[];
  logger: Logger;
}

export interface ExportQueueStats {
  queued: number;
  exported: number;
  failed: number;
  dropped: number;
}

const DROP_WARNING_INTERVAL_MS = 60_000;

/**
 * One bounded queue per destination, so that a slow or dead collector never holds back Sentry (or the
 * reverse). When full, new spans are dropped and counted rather than letting memory grow.
 */
export class ExportQueue {
  private spans: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private lastDropWarning = 0;
  private droppedSinceWarning = 0;
  private shutDown = false;
  readonly stats: ExportQueueStats = { queued: 0, exported: 0, failed: 0, dropped: 0 };

  constructor(private readonly options: ExportQueueOptions) {}

  push(span: ReadableSpan): void {
    if (this.shutDown) return;
    if (this.spans.length >= this.options.maxQueueSize) {
      this.countDrop(1);
      return;
    }
    this.spans.push(span);
    this.stats.queued = this.spans.length;
    if (this.spans.length >= this.options.exportThreshold) this.exportSoon(0);
    else this.exportSoon(this.options.scheduledDelayMillis);
  }

  /** Exports everything queued now; resolves when the destination has answered (or timed out). */
  async flush(): Promise<void> {
    this.clearTimer();
    for (let guard = 0; guard < 10_000; guard++) {
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      if (this.spans.length === 0) break;
      await this.exportBatch();
    }
    await this.options.exporter.forceFlush?.().catch(() => undefined);
  }

  async shutdown(): Promise<void> {
    await this.flush();
    this.shutDown = true;
    await this.options.exporter.shutdown().catch(() => undefined);
  }

  private countDrop(count: number): void {
    this.stats.dropped += count;
    this.droppedSinceWarning += count;
    const now = Date.now();
    if (now - this.lastDropWarning >= DROP_WARNING_INTERVAL_MS) {
      this.options.logger.warn(
        `span queue for ${this.options.name} is full (${this.options.maxQueueSize}): dropped ${this.droppedSinceWarning} span(s), ${this.stats.dropped} in total. The destination is slow or unreachable.`,
      );
      this.lastDropWarning = now;
      this.droppedSinceWarning = 0;
    }
  }

  private exportSoon(delay: number): void {
    if (this.inFlight) return;
    if (this.timer && delay > 0) return;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.exportBatch();
    }, delay);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private exportBatch(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const batch = this.spans.splice(0, this.options.maxBatchSize);
    this.stats.queued = this.spans.length;
    if (batch.length === 0) return Promise.resolve();
    this.inFlight = this.send(batch).finally(() => {
      this.inFlight = undefined;
      if (this.spans.length > 0 && !this.shutDown) this.exportSoon(this.spans.length >= this.options.exportThreshold ? 0 : this.options.scheduledDelayMillis);
    });
    return this.inFlight;
  }

  private send(batch: ReadableSpan[]): Promise<void> {
    return new Promise<void>((resolve) => {
      let settled = false;
      const finish = (ok: boolean, reason?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        if (ok) this.stats.exported += batch.length;
        else {
          this.stats.failed += batch.length;
          this.options.logger.debug(`export of ${batch.length} span(s) to ${this.options.name} failed: ${reason ?? 'unknown'}`);
        }
        resolve();
      };
      const timeout = setTimeout(() => finish(false, 'timeout'), this.options.exportTimeoutMillis);
      timeout.unref();
      try {
        const prepared = this.options.prepare(batch);
        // The exporter's own HTTP requests must never become spans of the app.
        context.with(suppressTracing(context.active()), () => {
          this.options.exporter.export(prepared, (result) =>
            finish(result.code === ExportResultCode.SUCCESS, result.error?.message),
          );
        });
      } catch (error) {
        finish(false, error instanceof Error ? error.message : String(error));
      }
    });
  }
}

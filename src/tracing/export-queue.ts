import { AsyncResource } from 'node:async_hooks';
import { context } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { DropWarning, FailureWarning, type Undelivered } from '../delivery-warnings';
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
  /** At most one drop warning per interval; drops after a warning are summed up when it has passed. */
  dropWarningIntervalMs: number;
  /** Told of the spans that do not arrive, and why, that the destination does not count itself (Sentry's client reports). */
  onLoss?: ((reason: SpanLossReason, count: number) => void) | undefined;
}

/** How an export ends: delivered, or not, with the reason to log and the loss to report (if any). */
type ExportFinish = (ok: boolean, reason: string | undefined, loss: SpanLossReason | undefined) => void;

/** Why spans did not arrive, in the words of Sentry's client reports. */
export type SpanLossReason = 'queue_overflow' | 'network_error' | 'ratelimit_backoff' | 'send_error';

/** The code of an export not sent because the destination's rate limit lasts (see SentryRateLimits). */
export const RATE_LIMITED = 'ERATELIMITED';

/**
 * A failed export's loss to report: not sent while rate limited; a network code (ECONNREFUSED,
 * ETIMEDOUT, ...); a refusing status. None for what the server counts itself: an answered 429, and the
 * spans a 2xx partial success rejected (as Sentry's SDKs do).
 */
export function lossReasonOf(error: unknown): SpanLossReason | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === RATE_LIMITED) return 'ratelimit_backoff';
  if (typeof code === 'string') return 'network_error';
  if (code === 429 || (typeof code === 'number' && code >= 200 && code < 300)) return undefined;
  return 'send_error';
}

export interface ExportQueueStats {
  queued: number;
  exported: number;
  failed: number;
  dropped: number;
}

/**
 * One bounded queue per destination, so that a slow or dead collector never holds back Sentry (or the
 * reverse). When full, new spans are dropped and counted rather than letting memory grow.
 */
export class ExportQueue {
  private spans: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private inFlight: Promise<void> | undefined;
  /** Ends the export in flight as given up on (at `abort`). */
  private giveUpInFlight: (() => void) | undefined;
  private readonly dropWarning: DropWarning;
  private readonly failureWarning: FailureWarning;
  private shutDown = false;
  /**
   * Exports are scheduled in the context the queue was made in (start-up), not in the one of the request
   * whose span ended last: an export waiting on a slow backend kept that request, body included, alive.
   */
  private readonly scheduler = new AsyncResource('express-otel-sentry.ExportQueue');
  readonly stats: ExportQueueStats = { queued: 0, exported: 0, failed: 0, dropped: 0 };

  constructor(private readonly options: ExportQueueOptions) {
    this.dropWarning = new DropWarning(
      options.logger,
      options.dropWarningIntervalMs,
      (dropped) => `span queue for ${options.name} is full (${options.maxQueueSize}): dropped ${dropped} span(s), ${this.stats.dropped} in total. The destination is slow or unreachable.`,
    );
    this.failureWarning = new FailureWarning(
      options.logger,
      (lost) => `span export to ${options.name} resumed: ${lost} span(s) were lost while it failed.`,
    );
  }

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
    await this.close();
  }

  /**
   * Stops now: what is queued is dropped (and counted), an export in flight is abandoned with its
   * connection, so that nothing of ours keeps a process alive that is on its way out. Neither is
   * warned of here: both are counted for the one line at shutdown (`takeUndelivered`), with the last
   * real failure (the retries' connection refused, not the closed connection of the abort).
   */
  async abort(): Promise<void> {
    this.stats.dropped += this.spans.length;
    this.failureWarning.lost(this.spans.length, this.lastFailure());
    this.reportLoss('network_error', this.spans.length);
    this.spans = [];
    this.stats.queued = 0;
    this.clearTimer();
    this.giveUpInFlight?.();
    (this.options.exporter as { abort?: () => void }).abort?.();
    await this.close();
  }

  /** What did not arrive and no line counted yet (see FailureWarning); counted from now on. */
  takeUndelivered(): Undelivered | undefined {
    return this.failureWarning.takeUnreported();
  }

  /** The exporter's last failed attempt (a retry's), when it tells (see withRetries). */
  private lastFailure(): string | undefined {
    try {
      return (this.options.exporter as { lastFailure?: () => string | undefined }).lastFailure?.();
    } catch {
      return undefined;
    }
  }

  private async close(): Promise<void> {
    this.shutDown = true;
    this.dropWarning.stop();
    await this.options.exporter.shutdown().catch(() => undefined);
  }

  private countDrop(count: number): void {
    this.stats.dropped += count;
    this.dropWarning.count(count);
    this.reportLoss('queue_overflow', count);
  }

  private reportLoss(reason: SpanLossReason, count: number): void {
    if (count <= 0 || !this.options.onLoss) return;
    try {
      this.options.onLoss(reason, count);
    } catch {
      // An observer of losses cannot cause more of them.
    }
  }

  /**
   * A due export runs after the current turn's I/O (setImmediate), and a scheduled one is never pushed
   * back: re-arming a 0 ms timer on every span, as this once did, starved it under steady load until
   * the queue was full (spans then waited 17–55 ms, and on Node 24 some were dropped).
   */
  private exportSoon(delay: number): void {
    if (this.inFlight || this.immediate) return;
    if (delay > 0) {
      if (this.timer) return;
      this.timer = this.scheduler.runInAsyncScope(() => setTimeout(() => {
        this.timer = undefined;
        void this.exportBatch();
      }, delay));
      this.timer.unref();
      return;
    }
    this.clearTimer();
    this.immediate = this.scheduler.runInAsyncScope(() => setImmediate(() => {
      this.immediate = undefined;
      void this.exportBatch();
    }));
    this.immediate.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
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

  /**
   * Resolves when the destination answered. No closure here holds the batch: the exporter keeps only the
   * bytes it wrote, so the spans need not stay reachable (and survive scavenges) for the round trip.
   */
  private send(batch: ReadableSpan[]): Promise<void> {
    const { done, finish } = this.exportOutcome(batch.length);
    try {
      // The exporter's own HTTP requests must never become spans of the app.
      context.with(suppressTracing(context.active()), this.startExport, this, this.options.prepare(batch), finish);
    } catch (error) {
      finish(false, error instanceof Error ? error.message : String(error), 'send_error');
    }
    return done;
  }

  private startExport(spans: ReadableSpan[], finish: ExportFinish): void {
    this.options.exporter.export(spans, (result) => finish(result.code === ExportResultCode.SUCCESS, result.error?.message, lossReasonOf(result.error)));
  }

  /** The end of one export of `count` spans: its answer, its failure or its timeout, whichever is first. */
  private exportOutcome(count: number): { done: Promise<void>; finish: ExportFinish } {
    let resolve!: () => void;
    const done = new Promise<void>((settle) => {
      resolve = settle;
    });
    let settled = false;
    const sent = this.failureWarning.started();
    const finish: ExportFinish = (ok, reason, loss) => {
      if (settled) return;
      settled = true;
      this.giveUpInFlight = undefined;
      clearTimeout(timeout);
      if (ok) {
        this.stats.exported += count;
        this.failureWarning.succeeded(sent);
      } else {
        this.stats.failed += count;
        this.failureWarning.failed(
          sent,
          count,
          reason ?? 'unknown',
          `export of ${count} span(s) to ${this.options.name} failed: ${reason ?? 'unknown'}`,
          'Later failures are counted (telemetry.spanStats()) until an export succeeds again.',
          'A later export succeeded since; other late failures of that time are counted (telemetry.spanStats()).',
        );
        if (loss) this.reportLoss(loss, count);
      }
      resolve();
    };
    // 0: no limit here (OTEL_BSP_EXPORT_TIMEOUT's meaning); the exporter's requests still time out on their own.
    // Worded as the HTTP client words a request's own timeout (and the events' warning with it).
    const timeout = this.options.exportTimeoutMillis > 0
      ? setTimeout(() => finish(false, `no response within ${this.options.exportTimeoutMillis} ms`, 'network_error'), this.options.exportTimeoutMillis)
      : undefined;
    timeout?.unref();
    this.giveUpInFlight = () => {
      if (settled) return;
      settled = true;
      this.giveUpInFlight = undefined;
      clearTimeout(timeout);
      this.stats.failed += count;
      this.failureWarning.lost(count, this.lastFailure() ?? 'no answer before the shutdown');
      this.reportLoss('network_error', count);
      resolve();
    };
    return { done, finish };
  }
}

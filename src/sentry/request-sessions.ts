import { AsyncResource } from 'node:async_hooks';
import type { Client } from '@sentry/core';

/** What Sentry's server-side client sets when an event is captured during a request. */
export type RequestSessionStatus = 'ok' | 'errored' | 'crashed';

const FIELD: Record<RequestSessionStatus, 'exited' | 'errored' | 'crashed'> = { ok: 'exited', errored: 'errored', crashed: 'crashed' };
const MINUTE_MS = 60_000;

/**
 * Release health in request mode (S19, crash-free sessions): one count per finished request in a
 * per-minute bucket, sent as a `sessions` aggregate, as @sentry/node's Http integration does. Buckets are
 * keyed by minute number and dated only when sent, so a request costs an increment, not a Date.
 */
export class RequestSessionAggregator {
  private buckets = new Map<number, { exited: number; errored: number; crashed: number }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly scheduler = new AsyncResource('express-otel-sentry.RequestSessions');

  /**
   * @param client receives the aggregates (`client.sendSession`).
   * @param flushDelayMs how long a bucket waits before it is sent. @default 60000
   */
  constructor(private readonly client: Client, private readonly flushDelayMs = MINUTE_MS) {
    // Sentry.flush() and Sentry.close() emit 'flush': pending counts go out with them.
    client.on('flush', () => this.flush());
  }

  record(status: RequestSessionStatus | undefined): void {
    const minute = Math.floor(Date.now() / MINUTE_MS);
    let bucket = this.buckets.get(minute);
    if (!bucket) {
      bucket = { exited: 0, errored: 0, crashed: 0 };
      this.buckets.set(minute, bucket);
    }
    bucket[FIELD[status ?? 'ok'] ?? 'exited']++;
    if (!this.timer) {
      // Set in the aggregator's context, not in the request's that closed first: it would keep that
      // request alive for up to a minute.
      this.timer = this.scheduler.runInAsyncScope(() => setTimeout(() => this.flush(), this.flushDelayMs));
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buckets.size === 0) return;
    const aggregates = [...this.buckets].map(([minute, counts]) => ({ started: new Date(minute * MINUTE_MS).toISOString(), ...counts }));
    this.buckets = new Map();
    this.client.sendSession({ aggregates });
  }
}

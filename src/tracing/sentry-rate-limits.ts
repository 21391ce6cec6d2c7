import { isRateLimited, updateRateLimits, type RateLimits } from '@sentry/core';

/**
 * Sentry's rate limits for the spans sent to its OTLP endpoint, read from its answers as Sentry's own
 * transport reads them for envelopes: `X-Sentry-Rate-Limits` (per category, on any status), else a
 * `Retry-After` (on any status), else 60 s after a 429. While spans are limited, batches are dropped here instead of
 * sent: a Sentry that said stop is not asked again every second, which counts against the app's quota.
 */
export class SentryRateLimits {
  private limits: RateLimits = {};

  /** When spans may be sent again (epoch ms), or undefined when they may be sent now. */
  spansLimitedUntil(now = Date.now()): number | undefined {
    if (!isRateLimited(this.limits, 'span', now)) return undefined;
    return Math.max(this.limits.span ?? 0, this.limits.all ?? 0);
  }

  update(statusCode: number, headers: Record<string, string | undefined>, now = Date.now()): void {
    const rateLimits = headers['x-sentry-rate-limits'];
    const retryAfter = headers['retry-after'];
    if (rateLimits === undefined && retryAfter === undefined && statusCode !== 429) return;
    this.limits = updateRateLimits(this.limits, { statusCode, headers: { 'x-sentry-rate-limits': rateLimits ?? null, 'retry-after': retryAfter ?? null } }, now);
  }
}

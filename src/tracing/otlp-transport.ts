import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { diag } from '@opentelemetry/api';
import { OTLPExporterError, type ExportResponse, type IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { HttpClient, type HttpClientError } from '../http-client/client';
import { mergeHeaders } from '../http-client/headers';
import { sentryRefusal } from '../sentry-refusal';
import { RATE_LIMITED } from './export-queue';
import type { SentryRateLimits } from './sentry-rate-limits';

const gzipAsync = promisify(gzip);

/** What the transport needs of OpenTelemetry's resolved exporter configuration. */
export interface OtlpTransportSettings {
  url: string;
  headers: () => Promise<Record<string, string>>;
  compression: 'gzip' | 'none';
  userAgent?: string;
  /** Trusted CAs and a client certificate for https (mutual TLS). @default Node's CAs, no client certificate */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** Sentry's OTLP endpoint: its rate limits are obeyed (a limited batch is dropped, not sent or retried). */
  sentryRateLimits?: SentryRateLimits;
  /** An http: proxy to tunnel through (see HttpClient). @default undefined: direct */
  proxy?: string | undefined;
}

/** OpenTelemetry's OTLP HTTP transport answers these with a retry, after Retry-After if given. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);
const USER_AGENT = 'express-otel-sentry OTLP/HTTP';
/** Sentry's answers to a DSN with a wrong key or project. */
const SENTRY_DSN_STATUS = new Set([401, 403, 404]);

/** Retry-After in milliseconds (seconds or an HTTP date), as OpenTelemetry reads it. */
export function retryAfterMillis(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number.parseInt(value, 10);
  if (Number.isInteger(seconds)) return seconds > 0 ? seconds * 1000 : -1;
  const delay = new Date(value).getTime() - Date.now();
  return delay >= 0 ? delay : 0;
}

/**
 * An OTLP/HTTP JSON answer's `partialSuccess` (the spec's way to accept a request while refusing some of
 * its spans, e.g. too large or too old), when it refused any.
 */
export function rejectedSpans(body: Buffer): { count: number; message: string } | undefined {
  if (body.length === 0 || body.length > MAX_PARTIAL_SUCCESS_BYTES || body[0] !== 0x7b /* { */) return undefined;
  try {
    const partial = (JSON.parse(body.toString('utf8')) as { partialSuccess?: { rejectedSpans?: unknown; errorMessage?: unknown } }).partialSuccess;
    const count = Number(partial?.rejectedSpans ?? 0);
    if (!(count > 0)) return undefined;
    return { count, message: typeof partial?.errorMessage === 'string' && partial.errorMessage !== '' ? partial.errorMessage : 'no reason given' };
  } catch {
    return undefined;
  }
}

/** A partial-success answer is a few hundred bytes; a larger body is not read for one. */
const MAX_PARTIAL_SUCCESS_BYTES = 64 * 1024;

/**
 * OTLP/HTTP on {@link HttpClient} instead of `http.request` (why: see HttpClient). Answers as
 * OpenTelemetry's HttpExporterTransport does: 2xx success, 429/502/503/504 and network errors
 * retryable, the rest a failure carrying the status and body.
 */
export function createOtlpHttpTransport(settings: OtlpTransportSettings): IExporterTransport {
  const url = new URL(settings.url);
  const client = new HttpClient(url, { maxSockets: 2, ...settings.tls, proxy: settings.proxy });
  const path = `${url.pathname}${url.search}`;
  const userAgent = settings.userAgent ? `${settings.userAgent} ${USER_AGENT}` : USER_AGENT;
  return {
    async send(data, timeoutMillis): Promise<ExportResponse> {
      const limits = settings.sentryRateLimits;
      const limitedUntil = limits?.spansLimitedUntil();
      if (limitedUntil !== undefined) {
        const error = new OTLPExporterError(`not sent: Sentry's rate limit for spans lasts until ${new Date(limitedUntil).toISOString()}`);
        return { status: 'failure', error: Object.assign(error, { code: RATE_LIMITED }) };
      }
      try {
        const gzipped = settings.compression === 'gzip';
        const body = gzipped ? await gzipAsync(data) : data;
        // Ours replace a configured header of the same name in any case (a `user-agent=` in OTEL_EXPORTER_OTLP_HEADERS).
        const headers = mergeHeaders(await settings.headers(), { 'User-Agent': userAgent }, gzipped ? { 'Content-Encoding': 'gzip' } : undefined);
        const response = await client.request({ path, headers, body, timeoutMs: timeoutMillis });
        // The host is named: with a collector and Sentry both configured, the warning's destination name alone
        // ('otlp') does not say which address refused.
        const answer = `${url.host} answered ${response.statusCode} ${response.statusMessage}`.trimEnd();
        if (limits) {
          limits.update(response.statusCode, response.headers);
          // Sentry's 429 is a rate limit to wait out, not an answer to retry within the export.
          if (response.statusCode === 429) return { status: 'failure', error: new OTLPExporterError(sentryRefusal(429, url.host, 'spans', response.headers['retry-after']).reason, 429) };
          // A wrong key or project: say which, as the events' warning does.
          if (SENTRY_DSN_STATUS.has(response.statusCode)) {
            return { status: 'failure', error: new OTLPExporterError(sentryRefusal(response.statusCode, url.host, 'spans').reason, response.statusCode, response.body.toString('utf8')) };
          }
        }
        if (response.statusCode <= 299) {
          const rejected = rejectedSpans(response.body);
          if (rejected === undefined) return { status: 'success', data: response.body };
          // Counted as a failed export (flush answers false): the spans' data did not all arrive.
          return { status: 'failure', error: new OTLPExporterError(`${url.host} rejected ${rejected.count} of the spans: ${rejected.message}`, response.statusCode) };
        }
        if (RETRYABLE_STATUS.has(response.statusCode)) {
          const retryAfter = response.headers['retry-after'];
          return {
            status: 'retryable',
            retryInMillis: retryAfterMillis(retryAfter),
            // What the warning says once the retries are spent: a rate limit is not an outage.
            error: new OTLPExporterError(retryAfter === undefined ? answer : `${answer} (Retry-After: ${retryAfter})`, response.statusCode),
          };
        }
        return { status: 'failure', error: new OTLPExporterError(answer, response.statusCode, response.body.toString('utf8')) };
      } catch (error) {
        const code = (error as HttpClientError).code;
        return code !== undefined && RETRYABLE_NETWORK_CODES.has(code)
          ? { status: 'retryable', error: error as Error }
          : { status: 'failure', error: error as Error };
      }
    },
    shutdown() {
      client.close();
    },
  };
}

const MAX_ATTEMPTS = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;

// Retry-After: 0 reads as -1 (as in OpenTelemetry); setTimeout would warn about a negative delay. A wait
// between attempts does not hold a process that has finished its work, as a request in flight holds it
// only briefly (see HOLD_PROCESS_MS); a flush that was asked for holds it itself.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(ms, 0)).unref());

/** The code of a request failed because our client was closed (a shutdown's abort): not a reason of the destination's. */
const CLIENT_CLOSED = 'ERR_CLIENT_CLOSED';

function closedByUs(result: ExportResponse): boolean {
  return result.status !== 'success' && (result.error as HttpClientError | undefined)?.code === CLIENT_CLOSED;
}

/** A retrying transport that tells the last failed attempt's reason (for the line at shutdown, see ExportQueue.abort). */
export interface RetryingTransport extends IExporterTransport {
  lastFailure(): string | undefined;
}

/**
 * OpenTelemetry's RetryingTransport (not exported by otlp-exporter-base): up to 5 retries of a
 * retryable answer, exponential backoff with jitter or the server's Retry-After, all within the
 * export's timeout. An attempt cut short by the client's close (a shutdown) does not replace the
 * failure before it: "connection refused" stays the reason, not "the client is closed".
 */
export function withRetries(transport: IExporterTransport): RetryingTransport {
  let lastFailure: string | undefined;
  const attempt = async (data: Uint8Array, timeoutMillis: number, previous: ExportResponse | undefined): Promise<ExportResponse> => {
    const result = await transport.send(data, timeoutMillis);
    if (result.status === 'success') return result;
    const previousError = previous?.status === 'retryable' ? previous.error : undefined;
    if (closedByUs(result) && previousError) return { status: 'failure', error: previousError };
    if (result.error) lastFailure = result.error.message;
    return result;
  };
  return {
    async send(data, timeoutMillis) {
      const deadline = Date.now() + timeoutMillis;
      let nextBackoff = INITIAL_BACKOFF_MS;
      let result = await attempt(data, timeoutMillis, undefined);
      for (let retry = 0; retry < MAX_ATTEMPTS && result.status === 'retryable'; retry++) {
        const backoff = Math.max(Math.min(nextBackoff * (1 + (Math.random() * 2 - 1) * JITTER), MAX_BACKOFF_MS), 0);
        nextBackoff *= BACKOFF_MULTIPLIER;
        const wait = result.retryInMillis ?? backoff;
        const remaining = deadline - Date.now();
        if (wait > remaining || remaining <= 0) {
          diag.info(`Export retry time ${Math.round(wait)}ms does not fit in the remaining timeout ${Math.round(remaining)}ms, not retrying further.`);
          return result;
        }
        await sleep(wait);
        result = await attempt(data, remaining, result); // what OpenTelemetry's RetryingTransport gives a retry
      }
      return result;
    },
    lastFailure: () => lastFailure,
    shutdown: () => transport.shutdown(),
  };
}

import { AsyncResource } from 'node:async_hooks';
import * as http from 'node:http';
import * as https from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { isWrapped } from '@opentelemetry/instrumentation';
import {
  createTransport, type BaseTransportOptions, type Envelope, type Transport, type TransportMakeRequestResponse,
  type TransportRequest,
} from '@sentry/core';
import type { makeNodeTransport } from '@sentry/node';
import { DropWarning, FailureWarning, type Undelivered } from '../delivery-warnings';
import { HOLD_PROCESS_MS, HttpClient } from '../http-client/client';
import { SILENT_LOGGER, type Logger } from '../logger';
import { sentryRefusal, type RefusalLasts } from '../sentry-refusal';

const gzipAsync = promisify(gzip);

/** Receives every envelope the SDK sends (the test kit, the local view). */
export type EnvelopeSink = (envelope: Envelope) => void;

/**
 * How long Sentry may stay silent on a connection before the request is abandoned. The SDK's own
 * agent timeout only closes idle sockets: a backend that accepts and never answers would otherwise hold
 * each request forever, fill the SDK's 64-slot send buffer and silently drop every later event, even
 * after the backend recovers.
 */
export const SENTRY_RESPONSE_TIMEOUT_MS = 10_000;

type NodeTransportOptions = Parameters<typeof makeNodeTransport>[0];
type HttpModule = NonNullable<NodeTransportOptions['httpModule']>;

type RequestFunction = (options: http.RequestOptions, callback: (res: http.IncomingMessage) => void) => http.ClientRequest;

/**
 * The module's `request` without OpenTelemetry's wrapper (its shimmer keeps the original): requests to
 * Sentry are never traced anyway (the instrumentation's ignore hook says so), and going around the
 * wrapper spares what it does before asking that hook, per envelope (parsing the options into a URL).
 */
function untracedRequest(module: typeof http | typeof https): RequestFunction {
  const current = module.request;
  const original = isWrapped(current) ? (current as unknown as { __original?: unknown }).__original : undefined;
  return typeof original === 'function' ? (original as RequestFunction) : (current as RequestFunction);
}

function withResponseTimeout(native: typeof http | typeof https, timeoutMs: number): HttpModule {
  return {
    request(options, callback) {
      const request = untracedRequest(native);
      const req = request.call(native, options as http.RequestOptions, callback as (res: http.IncomingMessage) => void);
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`Sentry did not answer within ${timeoutMs} ms`)));
      const hold = setTimeout(() => req.socket?.unref(), HOLD_PROCESS_MS); // as our client does (see HttpClient)
      hold.unref();
      req.once('close', () => clearTimeout(hold));
      return req;
    },
  };
}

/** Bodies above this are gzipped, as @sentry/node does. */
const GZIP_THRESHOLD_BYTES = 32 * 1024;

/** The proxy @sentry/node would use for `url` (option, then https_proxy/http_proxy, unless no_proxy exempts the host). */
export function proxyFor(url: URL, proxy: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = proxy || (url.protocol === 'https:' ? env.https_proxy : undefined) || env.http_proxy;
  if (!configured) return undefined;
  const exempt = env.no_proxy?.split(',').some((host) => url.host.endsWith(host) || url.hostname.endsWith(host));
  return exempt ? undefined : configured;
}

/**
 * @sentry/node's HTTP transport (keep-alive, gzip above 32 KB, rate-limit headers, one retry of a
 * reused connection the server closed, a response timeout) on our {@link HttpClient} rather than
 * `http.request` (why: see HttpClient), and without loading @sentry/node's entry for it. Through a
 * proxy, or with an `httpModule` of the app's, Sentry's own transport is loaded and used instead.
 */
function makeNetworkTransport(options: NodeTransportOptions): Transport {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    return createTransport(options, () => Promise.resolve({})); // Sentry's transport sends nothing either
  }
  if (options.httpModule || proxyFor(url, options.proxy)) {
    const native = url.protocol === 'https:' ? https : http;
    const { makeNodeTransport } = require('@sentry/node') as typeof import('@sentry/node');
    return makeNodeTransport({ ...options, httpModule: options.httpModule ?? withResponseTimeout(native, SENTRY_RESPONSE_TIMEOUT_MS) });
  }
  const client = new HttpClient(url, { ca: options.caCerts, keepAlive: options.keepAlive ?? true, maxSockets: 30 });
  const path = `${url.pathname}${url.search}`;
  const send = async (request: TransportRequest): Promise<TransportMakeRequestResponse> => {
    const headers: Record<string, string> = { ...options.headers };
    let body = request.body;
    if (body.length > GZIP_THRESHOLD_BYTES) {
      headers['content-encoding'] = 'gzip';
      body = await gzipAsync(body);
    }
    const response = await client.request({ path, headers, body, timeoutMs: SENTRY_RESPONSE_TIMEOUT_MS });
    return {
      statusCode: response.statusCode,
      headers: {
        'retry-after': response.headers['retry-after'] ?? null,
        'x-sentry-rate-limits': response.headers['x-sentry-rate-limits'] ?? null,
      },
    };
  };
  return createTransport(options, send);
}

/**
 * Envelopes sent or waiting for a connection at once (@sentry/core's default is 64): a burst of errors
 * (an outage failing every request in flight) would drop the rest. Bounded: a few MB at most.
 */
export const SENTRY_SEND_BUFFER_SIZE = 256;
/** At most one warning per interval about envelopes dropped because the send buffer was full. */
const OVERFLOW_WARNING_INTERVAL_MS = 60_000;

/** Envelopes that did not arrive: refused (not 2xx), failed on the network, or dropped before sending. */
export interface DeliveryFailures {
  count: number;
  /**
   * Set by the transport: what did not arrive and no line counted yet, the envelopes still waiting for
   * an answer included (for the one line at shutdown: a process on its way out loses them).
   */
  undelivered?: () => Undelivered | undefined;
  /** Set by the transport: at shutdown, says what its send buffer dropped since its last warning (see DropWarning.stop). */
  close?: () => void;
}

function arrived(response: TransportMakeRequestResponse): boolean {
  // No status: the transport dropped the envelope (rate limited, or its buffer full) without sending it.
  return response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 300;
}

export interface TeeTransportOptions {
  /** Receive every envelope (the test kit, the local view). */
  sinks: Set<EnvelopeSink>;
  /** A DSN is configured: envelopes leave the machine. */
  sendToNetwork: boolean;
  /** Counts what was sent and did not arrive. */
  failures?: DeliveryFailures;
  /** Runs first, for the sinks and the network alike (the scrubbing of what skipped `beforeSend`). */
  prepare?: (envelope: Envelope) => Envelope;
  /** Told when envelopes stop arriving (once, until one arrives again) and when the send buffer overflows. */
  logger?: Logger;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : typeof error === 'string' ? error : 'unknown';
}

/**
 * Sends envelopes to Sentry when a DSN is configured, and hands each one to the registered sinks.
 * Without a DSN the pipeline still runs (so the local view and the test kit see real events), but
 * nothing leaves the machine. Delivery failures are counted and warned of as the span exports' are.
 */
export function makeTeeTransportFactory(tee: TeeTransportOptions) {
  const { sinks, sendToNetwork, failures = { count: 0 }, prepare = (envelope: Envelope) => envelope, logger = SILENT_LOGGER } = tee;
  return (options: BaseTransportOptions): Transport => {
    const failureWarning = new FailureWarning(logger, (lost) => `delivery to Sentry resumed: ${lost} envelope(s) were lost while it failed.`);
    const bufferSize = options.bufferSize ?? SENTRY_SEND_BUFFER_SIZE;
    const overflowWarning = new DropWarning(
      logger,
      OVERFLOW_WARNING_INTERVAL_MS,
      (dropped) => `Sentry's send buffer is full (${bufferSize} envelopes waiting): dropped ${dropped} item(s), ${overflowed} in total. Sentry is slow or unreachable.`,
    );
    let overflowed = 0;
    failures.close = () => overflowWarning.stop();
    const recordDroppedEvent: BaseTransportOptions['recordDroppedEvent'] = (reason, category, quantity) => {
      if (reason === 'queue_overflow') {
        overflowed += quantity ?? 1;
        overflowWarning.count(quantity ?? 1);
      }
      options.recordDroppedEvent(reason, category, quantity);
    };
    const network = sendToNetwork
      ? makeNetworkTransport({ ...(options as NodeTransportOptions), bufferSize, recordDroppedEvent })
      : undefined;
    const sender = new AsyncResource('express-otel-sentry.SentryTransport');
    const host = hostOf(options.url);
    /** Envelopes sent and not answered yet. */
    let waiting = 0;
    failures.undelivered = () => {
      const lost = failureWarning.takeUnreported();
      if (waiting === 0) return lost;
      // Said once: those still waiting are counted now, whatever their answer.
      const unanswered = { count: (lost?.count ?? 0) + waiting, reason: lost?.reason ?? 'Sentry had not answered yet' };
      waiting = 0;
      return unanswered;
    };
    return {
      send(raw: Envelope): PromiseLike<TransportMakeRequestResponse> {
        let envelope: Envelope;
        try {
          envelope = prepare(raw);
        } catch {
          return Promise.resolve({}); // what cannot be prepared (scrubbed) is not sent
        }
        for (const sink of sinks) {
          try {
            sink(envelope);
          } catch {
            // A sink is an observer; it cannot stop delivery.
          }
        }
        if (!network) return Promise.resolve({});
        // Sent from the context the transport was made in, and answered at once: a send made in the
        // request's context, or awaited there, kept that context (its request, body included) alive until
        // Sentry answered; with Sentry slow, every failed request stayed in memory. Sentry's transport
        // keeps the send in its buffer (flush waits for it) and records what it loses itself.
        const sent = failureWarning.started();
        waiting += 1;
        sender.runInAsyncScope(() => {
          Promise.resolve(network.send(envelope)).finally(() => {
            waiting = Math.max(waiting - 1, 0); // those counted at shutdown were set aside already
          }).then(
            (response) => {
              if (arrived(response)) failureWarning.succeeded(sent);
              else {
                failures.count += 1;
                // No status: dropped unsent (rate limited, or the buffer full), recorded as such by Sentry's transport.
                if (response.statusCode !== undefined) {
                  const { reason, lasts } = sentryRefusal(response.statusCode, host, 'events', response.headers?.['retry-after']);
                  failureWarning.failed(sent, 1, reason, `an envelope did not reach Sentry: ${reason}`, UNTIL[lasts], LATER_ARRIVED);
                }
              }
            },
            (error: unknown) => {
              failures.count += 1;
              const reason = reasonOf(error);
              failureWarning.failed(sent, 1, reason, `an envelope did not reach Sentry: ${reason}`, UNTIL['until-recovered'], LATER_ARRIVED);
            },
          );
        });
        return Promise.resolve({});
      },
      flush(timeout?: number): PromiseLike<boolean> {
        return network ? network.flush(timeout) : Promise.resolve(true);
      },
    };
  };
}

/** The envelope URL's host alone: its query holds the DSN's key. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'Sentry';
  }
}

// Said of whatever the envelope held (an event, a session, a client report), and of what follows it.
const UNTIL: Record<RefusalLasts, string> = {
  'until-recovered': 'What is sent to Sentry (events, sessions, client reports) is lost until it accepts an envelope again; later failures are logged at debug level.',
  'until-dsn-fixed': 'Nothing sent to Sentry arrives until the DSN is corrected; later failures are logged at debug level.',
  'while-rate-limited': 'What is sent to Sentry is dropped while the limit lasts; later failures are logged at debug level.',
};
const LATER_ARRIVED = 'Sentry has accepted envelopes sent after it, so that outage is over; envelopes of that time that fail late are logged at debug level.';

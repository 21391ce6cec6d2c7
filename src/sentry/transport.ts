import * as http from 'node:http';
import * as https from 'node:https';
import { isWrapped } from '@opentelemetry/instrumentation';
import type { BaseTransportOptions, Envelope, Transport, TransportMakeRequestResponse } from '@sentry/core';
import { makeNodeTransport } from '@sentry/node';

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

function withResponseTimeout(url: string, timeoutMs: number): HttpModule | undefined {
  let native: typeof http | typeof https;
  try {
    native = new URL(url).protocol === 'https:' ? https : http;
  } catch {
    return undefined; // the SDK reports an unusable URL itself
  }
  return {
    request(options, callback) {
      const request = untracedRequest(native);
      const req = request.call(native, options as http.RequestOptions, callback as (res: http.IncomingMessage) => void);
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`Sentry did not answer within ${timeoutMs} ms`)));
      return req;
    },
  };
}

/**
 * Sends envelopes to Sentry when a DSN is configured, and hands each one to the registered sinks.
 * Without a DSN the pipeline still runs (so the local view and the test kit see real events), but
 * nothing leaves the machine.
 */
export function makeTeeTransportFactory(sinks: Set<EnvelopeSink>, sendToNetwork: boolean) {
  return (options: BaseTransportOptions): Transport => {
    const nodeOptions = options as NodeTransportOptions;
    const network = sendToNetwork
      ? makeNodeTransport({ ...nodeOptions, httpModule: nodeOptions.httpModule ?? withResponseTimeout(options.url, SENTRY_RESPONSE_TIMEOUT_MS) })
      : undefined;
    return {
      send(envelope: Envelope): PromiseLike<TransportMakeRequestResponse> {
        for (const sink of sinks) {
          try {
            sink(envelope);
          } catch {
            // A sink is an observer; it cannot stop delivery.
          }
        }
        return network ? network.send(envelope) : Promise.resolve({});
      },
      flush(timeout?: number): PromiseLike<boolean> {
        return network ? network.flush(timeout) : Promise.resolve(true);
      },
    };
  };
}

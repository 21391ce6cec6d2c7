import * as http from 'node:http';
import * as https from 'node:https';

export type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
export type Scheme = 'http' | 'https';

/** A server class whose `emit('request', req, res)` hands a request to the app. */
export interface RequestServer {
  proto: { emit: Emit };
  scheme: Scheme;
}

/**
 * Whether a server event hands a request and its response to the app: 'request', or what Node emits
 * instead when the app listens for it (`Expect: 100-continue`, another expectation). Node's documented
 * answer to those is the request handler itself (`res.writeContinue(); app(req, res)`), so their requests
 * get a span and an isolation scope as any other: without them, one request's user and breadcrumbs
 * reached another's events through the process-wide scope.
 */
export function handsOverRequest(event: string | symbol): boolean {
  return event === 'request' || event === 'checkContinue' || event === 'checkExpectation';
}

type Http2 = typeof import('node:http2');

/** Required when telemetry starts, not when this library is imported: loading node:http2 costs a few ms. */
function http2(): Http2 {
  return require('node:http2') as Http2;
}

let servers: readonly RequestServer[] | undefined;

/**
 * Every server prototype that hands requests to the app. http2's servers do not inherit http.Server's
 * `emit`: without their own patch, HTTP/1.1 requests served through `allowHTTP1` (ordinary
 * `http.IncomingMessage`s, which Express serves as any other) had no span and no isolation scope, so one
 * request's user and breadcrumbs reached another's events. node:http2 exports neither class, so a server
 * that never listens gives each prototype (no socket, no handle, nothing left behind).
 */
export function requestServers(): readonly RequestServer[] {
  if (!servers) {
    const { createServer, createSecureServer } = http2();
    servers = [
      { proto: http.Server.prototype as unknown as { emit: Emit }, scheme: 'http' },
      { proto: https.Server.prototype as unknown as { emit: Emit }, scheme: 'https' },
      { proto: Object.getPrototypeOf(createServer()) as { emit: Emit }, scheme: 'http' },
      { proto: Object.getPrototypeOf(createSecureServer()) as { emit: Emit }, scheme: 'https' },
    ];
  }
  return servers;
}

/**
 * The request and response classes of HTTP/2 streams (http2's compatibility API), whose listeners need the
 * request's context as http's do.
 */
export function http2RequestClasses(): [object, object] {
  const { Http2ServerRequest, Http2ServerResponse } = http2();
  return [Http2ServerRequest.prototype, Http2ServerResponse.prototype];
}

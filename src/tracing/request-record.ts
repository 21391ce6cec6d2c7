import type { Span } from '@opentelemetry/api';
import { RPCType, type RPCMetadata } from '@opentelemetry/core';

/**
 * Tracing's per-request state lives in one plain object per request, never in properties of the request
 * or the response. Express gives both a new prototype on every request (`Object.setPrototypeOf`), after
 * which V8 makes a new hidden class for each of them: every property that code adds, rewrites with a
 * value of another kind, or looks up on them misses V8's inline caches and goes through the runtime
 * (a few thousand machine instructions each, counted with `bench/instructions.js`). An object of a
 * class of our own keeps one hidden class, so reading and writing its fields stays cheap.
 */

export function endQuietly(span: Span): void {
  try {
    span.end();
  } catch {
    // A span that cannot end must not break the request.
  }
}

/** What route spans keep per request (express-request.ts). */
export class RouteSlots {
  /** The route span to end when the response closes: undefined before the first, null once ended. */
  openRouteSpan: Span | null | undefined = undefined;
  /** Flat pairs (router invocation, mount template) of the routers entered; see `enterMount`. */
  mounts: unknown[] | undefined = undefined;
  /** The response has closed: no 'close' is left to end a route span. */
  closed = false;

  /** On the response's 'close': ends the route span still open, if any. */
  closeRoute(): void {
    this.closed = true;
    const span = this.openRouteSpan;
    if (!span) return;
    this.openRouteSpan = null;
    endQuietly(span);
  }
}

/**
 * A request with a server span of ours (http-server.ts): its RPC metadata, through which Express's
 * instrumentation names the server span after the route (`http.route`), with the server span's state
 * and the route slots beside it.
 */
export class RequestRecord extends RouteSlots implements RPCMetadata {
  readonly type = RPCType.HTTP;
  route: string | undefined = undefined;
  /** Set once the server span has ended (on close, on a response error, or on a throw of the app). */
  serverSpanEnded = false;
  /**
   * The Sentry baggage members of this request's outgoing calls and the route they were computed for
   * (sentry-baggage-propagator.ts): made on the first call, not again for each.
   */
  sentryBaggage: { route: string | undefined; entries: string[] } | undefined = undefined;

  constructor(
    readonly span: Span,
    readonly method: string,
  ) {
    super();
  }
}

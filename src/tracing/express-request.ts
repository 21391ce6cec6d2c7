import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { RPCMetadata } from '@opentelemetry/core';
import { NO_CONTEXT } from './emitter-context';
import { describeFailure, describeRoute, type RouteSpanInfo } from './express-route';
import { endQuietly, RequestRecord, RouteSlots } from './request-record';

/**
 * Per-request state of the Express instrumentation (express-instrumentation.ts): the routers a request
 * is inside, and the route span its response ends when it closes. It lives in the request's
 * RequestRecord when our server span made one (request-record.ts says why not on the request or the
 * response), else in RouteSlots of its own on the response (an app handed requests some other way).
 */

export interface Request {
  /** The `next` of the router invocation now dispatching this request (Express sets and restores it). */
  next?: unknown;
}

export interface Response {
  on(event: 'close', listener: (this: Response) => void): unknown;
  closed?: boolean;
  [SLOTS]?: RouteSlots;
}

const SLOTS = Symbol('express-otel-sentry.route-slots');
/** Distinct mount chains remembered per route: a route is mounted in few places; past this, no caching. */
const MAX_CHAINS_PER_ROUTE = 64;

function recordFailure(span: Span, error: unknown): void {
  try {
    const { exception, message } = describeFailure(error);
    span.recordException(exception);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  } catch {
    // Recording is best effort; the request goes on.
  }
}

/** Ends the route span still open on a response; one function for all responses (the slots ride on it). */
function closeRouteOnClose(this: Response): void {
  this[SLOTS]?.closeRoute();
}
// Bookkeeping only: emitter-context.ts adds it as is instead of binding it to the request's context.
(closeRouteOnClose as unknown as Record<symbol, boolean>)[NO_CONTEXT] = true;

/**
 * The request's route slots: its record, when the RPC metadata of its context is one, else the
 * response's own, made on first use.
 */
export function routeSlotsOf(rpc: RPCMetadata | undefined, res: Response): RouteSlots {
  if (rpc instanceof RequestRecord) return rpc;
  let slots = res[SLOTS];
  if (slots === undefined) {
    slots = new RouteSlots();
    res[SLOTS] = slots;
    if (res.closed === true) slots.closed = true;
    else res.on('close', closeRouteOnClose);
  }
  return slots;
}

/**
 * Makes `span` the request's open route span; returns false when the response has already closed (no
 * 'close' will come). A span still open here was left by a handler that moved routing on without its
 * `next` (e.g. through `req.next`): routing is past it, so it ends.
 */
export function watchResponse(slots: RouteSlots, span: Span): boolean {
  const previous = slots.openRouteSpan;
  if (previous) endQuietly(previous);
  slots.openRouteSpan = span;
  return !slots.closed;
}

/** Ends `span` if it is still the request's open span; records `error` on it when it is a failure. */
export function finish(slots: RouteSlots, span: Span, error: unknown, failed: boolean): void {
  if (slots.openRouteSpan !== span) return;
  slots.openRouteSpan = null;
  if (failed) recordFailure(span, error);
  endQuietly(span);
}

/**
 * The routers this request is inside. Nothing pops an entry when a router is left (that would take a
 * closure per router and request): entries are keyed by the router invocation they were entered from
 * (`req.next` then, which Express sets per invocation and restores on exit), and an entry keyed by the
 * invocation now dispatching was entered from here and has been left, with everything entered after it.
 */
function activeMounts(slots: RouteSlots, req: Request): unknown[] | undefined {
  const mounts = slots.mounts;
  if (mounts === undefined) return undefined;
  const current = req.next;
  for (let i = mounts.length - 2; i >= 0; i -= 2) {
    if (mounts[i] === current) {
      mounts.length = i;
      break;
    }
  }
  return mounts;
}

/** Records that the request enters a mounted router or app (`template` is '' when it adds nothing). */
export function enterMount(slots: RouteSlots, req: Request, template: string): void {
  const mounts = activeMounts(slots, req);
  if (mounts === undefined) slots.mounts = [req.next, template];
  else mounts.push(req.next, template);
}

/** The route span info for a route layer, per chain of mount templates. */
export class RouteRecord {
  private readonly root: RouteSpanInfo;
  private chains: Map<string, RouteSpanInfo> | undefined;

  constructor(private readonly own: string | undefined) {
    this.root = describeRoute([], own);
  }

  infoFor(slots: RouteSlots, req: Request): RouteSpanInfo {
    const mounts = activeMounts(slots, req);
    if (mounts === undefined) return this.root;
    let key: string | undefined;
    for (let i = 1; i < mounts.length; i += 2) {
      const template = mounts[i] as string;
      if (template !== '') key = key === undefined ? template : `${key}\u0000${template}`;
    }
    if (key === undefined) return this.root;
    let info = this.chains?.get(key);
    if (info === undefined) {
      info = describeRoute(key.split('\u0000'), this.own);
      this.chains ??= new Map();
      if (this.chains.size < MAX_CHAINS_PER_ROUTE) this.chains.set(key, info);
    }
    return info;
  }
}

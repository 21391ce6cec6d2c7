import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { NO_CONTEXT } from './emitter-context';
import { describeFailure, describeRoute, type RouteSpanInfo } from './express-route';

/**
 * Per-request state of the Express instrumentation (express-instrumentation.ts), kept on the request
 * and the response under symbols: the routers a request is inside, and the route span its response
 * ends when it closes.
 */

export interface Request {
  /** The `next` of the router invocation now dispatching this request (Express sets and restores it). */
  next?: unknown;
  /** Flat pairs (router invocation, mount template) of the routers entered; see {@link enterMount}. */
  [MOUNTS]?: unknown[];
}

export interface Response {
  on(event: 'close', listener: (this: Response) => void): unknown;
  closed?: boolean;
  /** The route span to end when the response closes: undefined before the first, null once ended. */
  [OPEN_SPAN]?: Span | null;
}

const MOUNTS = Symbol('express-otel-sentry.express-mounts');
const OPEN_SPAN = Symbol('express-otel-sentry.express-span');
/** Distinct mount chains remembered per route: a route is mounted in few places; past this, no caching. */
const MAX_CHAINS_PER_ROUTE = 64;

export function endQuietly(span: Span): void {
  try {
    span.end();
  } catch {
    // A span that cannot end must not break the request.
  }
}

function recordFailure(span: Span, error: unknown): void {
  try {
    const { exception, message } = describeFailure(error);
    span.recordException(exception);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  } catch {
    // Recording is best effort; the request goes on.
  }
}

/** Ends the route span still open on a response; one function for all responses (the span rides on it). */
function endOnClose(this: Response): void {
  const span = this[OPEN_SPAN];
  if (span) {
    this[OPEN_SPAN] = null;
    endQuietly(span);
  }
}
// Bookkeeping only: emitter-context.ts adds it as is instead of binding it to the request's context.
(endOnClose as unknown as Record<symbol, boolean>)[NO_CONTEXT] = true;

/**
 * Makes `span` the response's open route span; returns false when the response has already closed (no
 * 'close' will come). A span still open here was left by a handler that moved routing on without its
 * `next` (e.g. through `req.next`): routing is past it, so it ends.
 */
export function watchResponse(res: Response, span: Span): boolean {
  const previous = res[OPEN_SPAN];
  if (previous) endQuietly(previous);
  res[OPEN_SPAN] = span;
  if (res.closed === true) return false;
  if (previous === undefined) res.on('close', endOnClose);
  return true;
}

/** Ends `span` if it is still the response's open span; records `error` on it when it is a failure. */
export function finish(res: Response, span: Span, error: unknown, failed: boolean): void {
  if (res[OPEN_SPAN] !== span) return;
  res[OPEN_SPAN] = null;
  if (failed) recordFailure(span, error);
  endQuietly(span);
}

/**
 * The routers this request is inside. Nothing pops an entry when a router is left (that would take a
 * closure per router and request): entries are keyed by the router invocation they were entered from
 * (`req.next` then, which Express sets per invocation and restores on exit), and an entry keyed by the
 * invocation now dispatching was entered from here and has been left, with everything entered after it.
 */
function activeMounts(req: Request): unknown[] | undefined {
  const mounts = req[MOUNTS];
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
export function enterMount(req: Request, template: string): void {
  const mounts = activeMounts(req);
  if (mounts === undefined) req[MOUNTS] = [req.next, template];
  else mounts.push(req.next, template);
}

/** The route span info for a route layer, per chain of mount templates. */
export class RouteRecord {
  private readonly root: RouteSpanInfo;
  private chains: Map<string, RouteSpanInfo> | undefined;

  constructor(private readonly own: string | undefined) {
    this.root = describeRoute([], own);
  }

  infoFor(req: Request): RouteSpanInfo {
    const mounts = activeMounts(req);
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

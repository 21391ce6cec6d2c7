import { context, trace, TraceFlags, type Context, type Span } from '@opentelemetry/api';
import { getRPCMetadata, RPCType, type RPCMetadata } from '@opentelemetry/core';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped, type InstrumentationConfig } from '@opentelemetry/instrumentation';
import { contributes, isFailure, layerPathOf, mountPathOf, type RouteSpanInfo } from './express-route';
import { enterMount, finish, RouteRecord, routeSlotsOf, watchResponse, type Request, type Response } from './express-request';
import { endQuietly, type RouteSlots } from './request-record';
import { hasServerSpan, runOutsideServer } from './http-server';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The instrumentation scope of Express spans (exported spans name it). */
export const EXPRESS_SCOPE = 'express-otel-sentry/express';
const EXPRESS_SCOPE_VERSION = '0.1.0';

type Next = (error?: unknown) => unknown;
type Handle = ((req: Request, res: Response, next: Next) => unknown) & Record<string, unknown>;
type Method = (this: Router, ...args: unknown[]) => unknown;

interface Layer {
  handle: Handle;
  route?: unknown;
  /** The name of the function given to `use`/`route`, set by Express before any wrapper replaces the handle. */
  name?: unknown;
  [PATCHED]?: true;
}

interface Router {
  stack?: Layer[];
}

interface RouterPrototype {
  route: Method;
  use: Method;
}

interface ExpressModule {
  Router?: { prototype?: { route?: unknown } } & Partial<RouterPrototype>;
  application?: { handle: AppHandle };
}
type AppHandle = (this: unknown, req: IncomingMessage, res: ServerResponse, callback?: unknown) => unknown;

function patchHandle(original: AppHandle): AppHandle {
  return function handle(this: unknown, req, res, callback) {
    // Every request served by a server has its span: no closure is made for it.
    if (hasServerSpan(res)) return original.call(this, req, res, callback);
    return runOutsideServer(req, res, () => original.call(this, req, res, callback));
  };
}

const PATCHED = Symbol('express-otel-sentry.express-layer');

/**
 * The layer's handle replaced by an own property: express-async-errors (Express 4) turns `handle` into a
 * setter that wraps what is set in its own promise catcher, so an async middleware wrapped again by us
 * would pass one rejection to `next` twice (the second reaching Express's own handler, its HTML page
 * and stack).
 */
function setHandle(layer: Layer, handle: Handle): void {
  Object.defineProperty(layer, 'handle', { value: handle, writable: true, configurable: true, enumerable: true });
}

/** Keeps the original handle's own and inherited properties (a router's `stack`, `params`...) reachable, as upstream does. */
function mirror(original: Handle, wrapper: Handle): Handle {
  for (const key in original) {
    Object.defineProperty(wrapper, key, {
      configurable: true,
      enumerable: true,
      get: () => original[key],
      set: (value: unknown) => {
        original[key] = value;
      },
    });
  }
  Object.defineProperty(wrapper, 'name', { configurable: true, value: original.name });
  return wrapper;
}

/**
 * No parent span, no span (as upstream). Nor under a parent that is neither recorded nor sampled (an
 * unexported request): the child would be a non-recording span that nothing reads, and the route's
 * queries keep the request's trace through the parent.
 */
function wantsChildSpan(parent: Span | undefined): boolean {
  return parent !== undefined && (parent.isRecording() || (parent.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0);
}

/**
 * A router, an app given to `router.use`, or the wrapper `app.use` makes around a sub-app. Also when a
 * wrapper stands between the layer and them: express-async-errors (which README recommends on Express 4)
 * replaces every handle with a function that copies only the handle's own properties, so a router keeps
 * its `stack` but loses `handle` (on its prototype), and `mounted_app` is renamed. The layer's name is
 * taken from the function given to `use` before any wrapper (Express 4 and 5 alike).
 */
function isMount(layer: Layer): boolean {
  const handle = layer.handle;
  return (
    Array.isArray(handle.stack) ||
    (typeof handle.handle === 'function' && typeof handle.set === 'function') ||
    handle.name === 'mounted_app' ||
    layer.name === 'router' ||
    layer.name === 'mounted_app'
  );
}

function routerPrototype(exports: ExpressModule): RouterPrototype | undefined {
  const Router = exports?.Router;
  // Express 5 exports the `router` package's constructor; Express 4 its router object, methods on itself.
  const proto = typeof Router?.prototype?.route === 'function' ? Router.prototype : Router;
  const candidate = proto as Partial<RouterPrototype> | undefined;
  return typeof candidate?.route === 'function' && typeof candidate.use === 'function' ? (candidate as RouterPrototype) : undefined;
}

/**
 * Express spans as @opentelemetry/instrumentation-express 0.72 makes them with
 * `ignoreLayersType: [MIDDLEWARE, ROUTER]`, for a fraction of its cost: only route layers (`app.get`,
 * `router.route`...) are wrapped for spans; middleware layers are left as they are (upstream wraps every
 * layer and does its route bookkeeping for each, even those it ignores), except middleware mounted at a
 * path, which names the requests it answers (wrapMountedMiddleware); mounted routers and apps get one
 * push per request so that a route learns its full template (`/api/users/:id`).
 *
 * A route layer's span is named `request handler - <template>` on Express 4 and `request handler` on
 * Express 5, as upstream names them with the routers each installs today (upstream's name follows the
 * matched path the router keeps: Express 5 with router 2.0 to 2.2 got the template), carries `http.route`, `express.name` and
 * `express.type` = 'request_handler', is active while the route's handlers run, and ends when they call
 * `next` (recording a failure passed to it) or when the response closes. The server span's `http.route`
 * comes from the RPC metadata (http-server.ts). No parent span, no span.
 *
 * Where upstream is wrong, this is not: a sub-app's mount path is part of its routes' templates; a router
 * entered and left without a match does not prefix later routes; every matched route sets `http.route`
 * (upstream drops it when the URL does not start with the template: `/?page=2`, case, encoding); a 404
 * sets none (upstream gives it the mount path of the last router passed); a failure whose fields throw
 * when read is recorded without breaking the request.
 */
export class LeanExpressInstrumentation extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super(EXPRESS_SCOPE, EXPRESS_SCOPE_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'express',
        ['>=4.0.0 <6'],
        (exports: ExpressModule, moduleVersion?: string) => {
          const proto = routerPrototype(exports);
          if (proto) {
            // Express 4 names a route's span by its template; Express 5 does not, whatever its router
            // package (router 2.0 to 2.2 kept the matched path upstream reads, 2.3 does not).
            const namedByTemplate = moduleVersion?.startsWith('4.') === true;
            // `app.use` and `app.get/route` go through these, for the app's router as for any other.
            if (isWrapped(proto.route)) this._unwrap(proto, 'route');
            this._wrap(proto, 'route', (original) => this.patchRoute(original, namedByTemplate));
            if (isWrapped(proto.use)) this._unwrap(proto, 'use');
            this._wrap(proto, 'use', (original) => this.patchUse(original));
          }
          // Serverless adapters call `app.handle(req, res)` with no server's 'request' (runOutsideServer).
          const application = exports?.application;
          if (typeof application?.handle === 'function') {
            if (isWrapped(application.handle)) this._unwrap(application, 'handle');
            this._wrap(application, 'handle', patchHandle);
          }
          return exports;
        },
        (exports: ExpressModule | undefined) => {
          if (exports?.application) this._unwrap(exports.application, 'handle');
          const proto = exports && routerPrototype(exports);
          if (!proto) return;
          this._unwrap(proto, 'route');
          this._unwrap(proto, 'use');
        },
      ),
    ];
  }

  private patchRoute(original: Method, namedByTemplate: boolean): Method {
    const wrapRoute = (layer: Layer, path: string | undefined) => this.wrapRoute(layer, path, namedByTemplate);
    return function route(this: Router) {
      // eslint-disable-next-line prefer-rest-params
      const result = original.apply(this, arguments as unknown as unknown[]);
      try {
        const stack = this.stack;
        const layer = stack?.[stack.length - 1];
        // eslint-disable-next-line prefer-rest-params
        if (layer && layer.route === result) wrapRoute(layer, layerPathOf(arguments));
      } catch {
        // An unexpected router shape: the route goes untraced.
      }
      return result;
    };
  }

  private patchUse(original: Method): Method {
    const wrapMount = (layer: Layer, template: string) => this.wrapMount(layer, template);
    const wrapMountedMiddleware = (layer: Layer, path: string) => this.wrapMountedMiddleware(layer, path);
    return function use(this: Router) {
      const before = Array.isArray(this?.stack) ? this.stack.length : -1;
      // eslint-disable-next-line prefer-rest-params
      const result = original.apply(this, arguments as unknown as unknown[]);
      try {
        const stack = this.stack;
        if (before >= 0 && stack) {
          // eslint-disable-next-line prefer-rest-params
          const path = mountPathOf(arguments);
          const template = contributes(path) ? path : '';
          // `use(path, a, b, ...)` adds one layer per function; middleware mounted at the root (`use(fn)`,
          // `use('/', fn)`: loggers, parsers, a catch-all 404) and error handlers stay unwrapped.
          for (let i = before; i < stack.length; i++) {
            const layer = stack[i];
            if (typeof layer?.handle !== 'function' || layer.handle.length === 4) continue;
            if (isMount(layer)) wrapMount(layer, template);
            else if (template !== '') wrapMountedMiddleware(layer, template);
          }
        }
      } catch {
        // An unexpected router shape: routes below this mount lose its path.
      }
      return result;
    };
  }

  /** A mounted router or app: one push on the request, so that routes inside know the mount template. */
  private wrapMount(layer: Layer, template: string): void {
    if (layer[PATCHED]) return;
    layer[PATCHED] = true;
    const original = layer.handle;
    const wrapper = function mounted(this: unknown, req: Request, res: Response, _next: Next) {
      try {
        enterMount(routeSlotsOf(getRPCMetadata(context.active()), res), req, template);
      } catch {
        // Bookkeeping only.
      }
      // eslint-disable-next-line prefer-rest-params
      return original.apply(this, arguments as unknown as Parameters<Handle>);
    } as Handle;
    setHandle(layer, mirror(original, wrapper));
  }

  /**
   * Middleware mounted at a path (`use('/static', serveStatic)`, a proxy, a GraphQL endpoint): while it
   * has the request, the request is named after its mount template (parent mounts included), as Sentry
   * names it; so a request it answers, or whose failure it throws or passes to `next`, keeps that name.
   * When it passes the request on (`next()`), the name goes back to what it was: a later route names
   * the request, and a request nothing routes stays unnamed (one `GET`, not one name per prefix it went
   * through). No span, as for other middleware.
   */
  private wrapMountedMiddleware(layer: Layer, path: string): void {
    const original = layer.handle;
    if (layer[PATCHED]) return;
    layer[PATCHED] = true;
    const record = new RouteRecord(path);
    const wrapper = function mountedMiddleware(this: unknown, req: Request, res: Response, next: Next) {
      let rpc: RPCMetadata | undefined;
      let named: string | undefined;
      let previous: string | undefined;
      try {
        rpc = getRPCMetadata(context.active());
        if (rpc?.type === RPCType.HTTP) {
          named = record.infoFor(routeSlotsOf(rpc, res), req).httpRoute;
          previous = rpc.route;
          rpc.route = named;
        }
      } catch {
        named = undefined;
      }
      if (rpc === undefined || named === undefined || typeof next !== 'function') {
        // eslint-disable-next-line prefer-rest-params
        return original.apply(this, arguments as unknown as Parameters<Handle>);
      }
      const metadata = rpc;
      const passOn: Next = function (this: unknown) {
        // eslint-disable-next-line prefer-rest-params
        const error = arguments[0] as unknown;
        if (!isFailure(error) && metadata.route === named) metadata.route = previous;
        // eslint-disable-next-line prefer-rest-params
        return next.apply(this, arguments as unknown as [unknown]);
      };
      return original.call(this, req, res, passOn);
    } as Handle;
    setHandle(layer, mirror(original, wrapper));
  }

  /** A route layer (its handle dispatches to the route's handlers): one span per dispatch. */
  private wrapRoute(layer: Layer, ownPath: string | undefined, namedByTemplate: boolean): void {
    const original = layer.handle;
    if (layer[PATCHED] || typeof original !== 'function' || original.length === 4) return;
    layer[PATCHED] = true;
    const record = new RouteRecord(ownPath);
    // Read per span: setTracerProvider may replace the tracer after the route was made. Attributes are
    // set after the start, where the SDK validates each once (at the start it does so twice, allocating
    // a WeakSet per attribute each time); no sampler of ours reads them.
    const startSpan = (name: string, info: RouteSpanInfo, parent: Context) => {
      const span = this.tracer.startSpan(name, undefined, parent);
      if (span.isRecording()) span.setAttributes(info.attributes);
      return span;
    };
    const wrapper = function routeHandler(this: unknown, req: Request, res: Response, next: Next) {
      let parent: Context | undefined;
      let span: Span | undefined;
      let active: Context | undefined;
      let slots: RouteSlots | undefined;
      let watched = true;
      try {
        parent = context.active();
        const rpc = getRPCMetadata(parent);
        slots = routeSlotsOf(rpc, res);
        const info = record.infoFor(slots, req);
        if (rpc?.type === RPCType.HTTP) rpc.route = info.httpRoute;
        if (wantsChildSpan(trace.getSpan(parent))) {
          span = startSpan(namedByTemplate ? info.name : 'request handler', info, parent);
          active = trace.setSpan(parent, span);
          watched = watchResponse(slots, span);
        }
      } catch {
        if (span) endQuietly(span);
        span = undefined;
      }
      if (span === undefined || active === undefined || slots === undefined) {
        // eslint-disable-next-line prefer-rest-params
        return original.apply(this, arguments as unknown as Parameters<Handle>);
      }

      const routeSpan = span;
      const routeSlots = slots;
      const parentContext = parent as Context;
      // The continuation runs in the parent's context: later layers are not inside this route's span.
      const tracedNext: Next = function (this: unknown, error?: unknown) {
        try {
          finish(routeSlots, routeSpan, error, isFailure(error));
        } catch {
          // Bookkeeping only.
        }
        return context.with(parentContext, next, this, error);
      };
      try {
        return context.with(active, original, this, req, res, tracedNext);
      } catch (error) {
        // Express catches its handlers' throws; this is whatever escapes the dispatch itself.
        finish(routeSlots, routeSpan, error, true);
        throw error;
      } finally {
        // The response closed before the route ran: no 'close' will end the span.
        if (!watched) finish(routeSlots, routeSpan, undefined, false);
      }
    } as Handle;
    setHandle(layer, mirror(original, wrapper));
  }
}

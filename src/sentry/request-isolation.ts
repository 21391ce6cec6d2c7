import type * as http from 'node:http';
import {
  defineIntegration, getIsolationScope, httpRequestToRequestData,
  withIsolationScope, type Client, type Event,
} from '@sentry/core';
import { isolationScopeIn, LazyRequestScopes, useOpenTelemetryContextForScopes, withRequestScopes } from './otel-scopes';
import { methodForName } from '../tracing/http-attributes';
import { routeOf, type RequestContextHook } from '../tracing/http-server';
import { handsOverRequest, requestServers, type Emit } from '../tracing/request-servers';
import { RequestSessionAggregator, type RequestSessionStatus } from './request-sessions';

type RequestPair = { request: http.IncomingMessage; response: http.ServerResponse };
type Scope = ReturnType<typeof getIsolationScope>;

/** Where the request waits, unconverted, until an event needs it (scope merging copies a function as is). */
const REQUEST_KEY = 'expressOtelSentryRequest';
const PATCHED = Symbol.for('express-otel-sentry.request-isolation');
/** Same symbol as tracing's emitter-context NO_CONTEXT (a global symbol, so no import between the two). */
const NO_CONTEXT = Symbol.for('express-otel-sentry.no-context');
const SESSION = Symbol('express-otel-sentry.request-session');

export interface RequestIsolationOptions {
  /**
   * Keep Sentry's scopes in OpenTelemetry's context, put there by tracing's server-span emit through
   * this hook (one AsyncLocalStorage run per request, scopes made only when used). Only when tracing
   * runs. @default undefined: Sentry's own store, one isolation scope made per request
   */
  requestContext?: RequestContextHook;
  /** Called once, when the first request arrives (never throws into it). @default undefined */
  onFirstRequest?: (() => void) | undefined;
}

interface RequestMetadata {
  [REQUEST_KEY]?: () => { request: unknown; response: unknown };
  requestSession?: { status?: RequestSessionStatus };
  normalizedRequest?: unknown;
  ipAddress?: string;
}

/**
 * Sets up a fresh isolation scope for one request, cloned from the process-wide one: tags and contexts
 * set at start-up apply to every request. A user and breadcrumbs there do not: they were put there by work
 * outside any request (a job run from a timer), and a request's user and trail are its own.
 */
function requestIsolationScope(base: Scope, client: Client, request: unknown, response: unknown): Scope {
  const scope = base.clone();
  if (scope.getLastBreadcrumb()) scope.clearBreadcrumbs();
  const user = scope.getUser();
  if (user && Object.keys(user).length > 0) scope.setUser(null);
  scope.setClient(client);
  scope.setSDKProcessingMetadata({ [REQUEST_KEY]: () => ({ request, response }), requestSession: { status: 'ok' } });
  // Request mode: the process session ends, and this request's events count against its own session.
  if (scope.getSession()) scope.setSession();
  return scope;
}

/** Where Sentry's client marked the request `errored` or `crashed` if it captured an error; a scope never made captured nothing. */
function sessionStatusOf(scope: Scope | undefined): RequestSessionStatus | undefined {
  return scope ? (scope.getScopeData().sdkProcessingMetadata as RequestMetadata).requestSession?.status : 'ok';
}

/** The request's scopes: made up front (Sentry's own store) or on first use (OpenTelemetry's context). */
type RequestScopes = Scope | LazyRequestScopes;

/**
 * Holds a request's scopes until its session is counted. The response keeps the holder, set before
 * Express changes the response's prototype, and is never written again: a write to the response after
 * that goes through V8's runtime (see tracing's request-record.ts), one to the holder does not.
 */
interface SessionHolder {
  scopes: RequestScopes | undefined;
}

type SessionResponse = http.ServerResponse & { [SESSION]?: SessionHolder };

/** Starts a request's session: counted once its response closes, by what its scopes captured. */
type StartSession = (response: SessionResponse, scopes: RequestScopes) => void;

function sessionStarter(client: Client, sessions: RequestSessionAggregator): StartSession {
  // One listener for all responses (the scopes ride on the response): nothing to allocate per request,
  // and marked so that tracing does not wrap it in the request's context, which it does not need.
  const recordSession = function (this: SessionResponse) {
    const holder = this[SESSION];
    const scopes = holder?.scopes;
    if (!holder || !scopes) return;
    holder.scopes = undefined;
    sessions.record(sessionStatusOf(scopes instanceof LazyRequestScopes ? scopes.isolationScopeIfMade() : scopes));
  };
  (recordSession as { [NO_CONTEXT]?: boolean })[NO_CONTEXT] = true;
  return (response, scopes) => {
    client.emit('startRequestSession');
    response.on('close', recordSession);
    response[SESSION] = { scopes };
  };
}

function withFirstRequestCall(start: StartSession, call: (() => void) | undefined): StartSession {
  if (!call) return start;
  let called = false;
  return (response, scopes) => {
    if (!called) {
      called = true;
      try {
        call();
      } catch {
        // a check about the setup, never the request's failure
      }
    }
    start(response, scopes);
  };
}

/** Tracing runs: the request's scopes go into its context, made on first use. */
function installInRequestContext(hook: RequestContextHook, client: Client, startSession: StartSession): void {
  useOpenTelemetryContextForScopes();
  hook.extend = (ctx, request, res) => {
    const response = res as SessionResponse;
    try {
      const base = isolationScopeIn(ctx);
      const scopes = new LazyRequestScopes(() => requestIsolationScope(base, client, request, response));
      startSession(response, scopes);
      return withRequestScopes(ctx, scopes);
    } catch {
      // The request goes on with the process-wide scopes rather than not at all.
      return ctx;
    }
  };
}

function isolatedEmit(original: Emit, client: Client, startSession: StartSession): Emit {
  const wrapped = function emitInRequestScope(this: unknown, event: string | symbol, req?: unknown, res?: unknown): boolean {
    // eslint-disable-next-line prefer-rest-params
    if (!handsOverRequest(event) || (res as SessionResponse)[SESSION] !== undefined) return original.apply(this, arguments as unknown as [string]);
    const response = res as SessionResponse;
    const isolationScope = requestIsolationScope(getIsolationScope(), client, req, response);
    startSession(response, isolationScope);
    return withIsolationScope(isolationScope, () => original.call(this, event, req, res));
  };
  (wrapped as unknown as Record<symbol, Emit>)[PATCHED] = original;
  return wrapped;
}

/** A later copy of this module (jest: one per test file) takes over from the one before, as tracing's http-server does. */
function patch(proto: { emit: Emit }, client: Client, startSession: StartSession): void {
  const current = proto.emit;
  proto.emit = isolatedEmit((current as unknown as Record<symbol, Emit | undefined>)[PATCHED] ?? current, client, startSession);
}

/** The URL as the client sent it (Express's `originalUrl`: its `url` is relative to the current mount). */
function requestedUrl(request: http.IncomingMessage): string | undefined {
  const original = (request as { originalUrl?: unknown }).originalUrl;
  return typeof original === 'string' ? original : request.url;
}

/**
 * The request as Sentry's request data has it, or undefined when it cannot be read: a request with no
 * socket (an app's sub-request, an adapter's) throws from Express's `protocol` getter, and an event
 * processor that throws makes Sentry drop the event. The protocol is then the socket's, or http.
 */
function normalizedRequest(request: http.IncomingMessage): Record<string, unknown> | undefined {
  const view = (protocol?: string) => Object.create(request, {
    url: { value: requestedUrl(request) },
    ...(protocol === undefined ? {} : { protocol: { value: protocol } }),
  }) as http.IncomingMessage;
  for (const protocol of [undefined, (request.socket as { encrypted?: unknown } | null | undefined)?.encrypted === true ? 'https' : 'http']) {
    try {
      const { data: _body, ...withoutBody } = httpRequestToRequestData(view(protocol));
      return withoutBody;
    } catch {
      // the next view, or no request data
    }
  }
  return undefined;
}

/** Request data for an event, built only when an event is (what the Http integration did on every request). */
function addRequestData(event: Event): Event {
  const metadata = event.sdkProcessingMetadata as RequestMetadata | undefined;
  const get = metadata?.[REQUEST_KEY];
  if (!metadata || typeof get !== 'function') return event;
  delete metadata[REQUEST_KEY];
  const { request, response } = get() as RequestPair;
  if (!metadata.normalizedRequest) {
    // The parsed body (req.body) is left out: RequestData attaches any body it finds, whatever
    // dataCollection says. Bodies reach events only through the scrubbing middleware, the opt-in. The URL
    // is the one the client asked for: inside a mounted router or sub-app, Express has cut `url` short.
    const normalized = normalizedRequest(request);
    if (normalized) metadata.normalizedRequest = normalized;
  }
  metadata.ipAddress ??= request.socket?.remoteAddress;
  if (!event.transaction && event.type === undefined) {
    // Named as the server span is: after the matched route, else the method alone, so that errors
    // group per endpoint (S19), never per id (a failing router.param loader or a mounted middleware
    // fails before any route matched).
    const route = routeOf(response);
    const method = methodForName(request.method || 'GET');
    event.transaction = route === undefined ? method : `${method} ${route}`;
  }
  if (response.headersSent && !event.contexts?.response) {
    // Object.assign: a spread copy that gains a key costs V8 a fresh map (bench/NOTES.md item 54).
    event.contexts = Object.assign({}, event.contexts, { response: { status_code: response.statusCode } });
  }
  return event;
}

/**
 * One Sentry isolation scope per incoming request, so that user, tags, breadcrumbs and contexts set while
 * handling it stay on its events; and request-mode sessions for release health. It replaces @sentry/node's
 * Http integration, which also clones scopes for a Sentry trace, reads and copies every header, and builds
 * request data on every request: here tracing belongs to OpenTelemetry and request data is built only
 * when an event needs it. List it before RequestData, which reads what `processEvent` adds.
 */
export const requestIsolationIntegration = defineIntegration((options: RequestIsolationOptions = {}) => ({
  name: 'ExpressOtelSentryRequestIsolation',
  setup(client: Client) {
    const startSession = withFirstRequestCall(sessionStarter(client, new RequestSessionAggregator(client)), options.onFirstRequest);
    if (options.requestContext) {
      installInRequestContext(options.requestContext, client, startSession);
      return;
    }
    for (const { proto } of requestServers()) patch(proto, client, startSession);
  },
  processEvent: addRequestData,
}));

import * as http from 'node:http';
import * as https from 'node:https';
import {
  defineIntegration, getIsolationScope, httpRequestToRequestData, stripUrlQueryAndFragment, withIsolationScope,
  type Client, type Event,
} from '@sentry/core';
import { RequestSessionAggregator, type RequestSessionStatus } from './request-sessions';

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
type RequestPair = { request: http.IncomingMessage; response: http.ServerResponse };
type Scope = ReturnType<typeof getIsolationScope>;

/** Where the request waits, unconverted, until an event needs it (scope merging copies a function as is). */
const REQUEST_KEY = 'expressOtelSentryRequest';
const PATCHED = Symbol.for('express-otel-sentry.request-isolation');
/** Same symbol as tracing's emitter-context NO_CONTEXT (a global symbol, so no import between the two). */
const NO_CONTEXT = Symbol.for('express-otel-sentry.no-context');
const SESSION_SCOPE = Symbol('express-otel-sentry.session-scope');

interface RequestMetadata {
  [REQUEST_KEY]?: () => { request: unknown; response: unknown };
  requestSession?: { status?: RequestSessionStatus };
  normalizedRequest?: unknown;
  ipAddress?: string;
}

function isolatedEmit(original: Emit, client: Client, sessions: RequestSessionAggregator): Emit {
  // One listener for all responses (the scope rides on the response): nothing to allocate per request,
  // and marked so that tracing does not wrap it in the request's context, which it does not need.
  const recordSession = function (this: http.ServerResponse & { [SESSION_SCOPE]?: Scope }) {
    const scope = this[SESSION_SCOPE];
    if (!scope) return;
    this[SESSION_SCOPE] = undefined;
    sessions.record((scope.getScopeData().sdkProcessingMetadata as RequestMetadata).requestSession?.status);
  };
  (recordSession as { [NO_CONTEXT]?: boolean })[NO_CONTEXT] = true;

  const wrapped = function emitInRequestScope(this: unknown, event: string | symbol, req?: unknown, res?: unknown): boolean {
    // eslint-disable-next-line prefer-rest-params
    if (event !== 'request') return original.apply(this, arguments as unknown as [string]);
    const response = res as http.ServerResponse & { [SESSION_SCOPE]?: Scope };
    const isolationScope = getIsolationScope().clone();
    isolationScope.setClient(client);
    isolationScope.setSDKProcessingMetadata({ [REQUEST_KEY]: () => ({ request: req, response }), requestSession: { status: 'ok' } });
    // Request mode: the process session ends, and this request's events count against its own session.
    isolationScope.setSession();
    client.emit('startRequestSession');
    response[SESSION_SCOPE] = isolationScope;
    response.on('close', recordSession);
    return withIsolationScope(isolationScope, () => original.call(this, event, req, res));
  };
  (wrapped as unknown as Record<symbol, Emit>)[PATCHED] = original;
  return wrapped;
}

function patch(proto: { emit: Emit }, client: Client, sessions: RequestSessionAggregator): void {
  if ((proto.emit as unknown as Record<symbol, unknown>)[PATCHED]) return;
  proto.emit = isolatedEmit(proto.emit, client, sessions);
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
    // dataCollection says. Bodies reach events only through the scrubbing middleware, the opt-in.
    const { data: _body, ...withoutBody } = httpRequestToRequestData(request);
    metadata.normalizedRequest = withoutBody;
  }
  metadata.ipAddress ??= request.socket?.remoteAddress;
  if (!event.transaction && event.type === undefined) {
    event.transaction = `${(request.method || 'GET').toUpperCase()} ${stripUrlQueryAndFragment(request.url || '/')}`;
  }
  if (response.headersSent && !event.contexts?.response) {
    event.contexts = { ...event.contexts, response: { status_code: response.statusCode } };
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
export const requestIsolationIntegration = defineIntegration(() => ({
  name: 'ExpressOtelSentryRequestIsolation',
  setup(client: Client) {
    const sessions = new RequestSessionAggregator(client);
    patch(http.Server.prototype as unknown as { emit: Emit }, client, sessions);
    patch(https.Server.prototype as unknown as { emit: Emit }, client, sessions);
  },
  processEvent: addRequestData,
}));

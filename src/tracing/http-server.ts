import { ServerResponse } from 'node:http';
import type * as http from 'node:http';
import { errorMonitor } from 'node:events';
import {
  context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer,
} from '@opentelemetry/api';
import { getRPCMetadata, setRPCMetadata } from '@opentelemetry/core';
import { bindRequestContext, installEmitterContext } from './emitter-context';
import { methodForName, normalizedMethod, parseHost, requestUrlParts } from './http-attributes';
import { RequestRecord } from './request-record';
import { watchQueuedResponse, type PipelinedSocket } from './pipelined-responses';
import { REQUEST_ROOT_CONTEXT } from './lean-context';
import { handsOverRequest, requestServers, type Emit, type Scheme } from './request-servers';

/** The instrumentation scope of server spans (exported spans name it). */
export const HTTP_SERVER_SCOPE = 'express-otel-sentry/http-server';

const PATCHED = Symbol.for('express-otel-sentry.http-server-span');

function forwardedHost(headers: http.IncomingHttpHeaders): { host: string; proto?: string } | undefined {
  const forwarded = headers.forwarded;
  if (forwarded) {
    // The first entry that names a host wins, with that entry's proto (RFC 7239; what HttpInstrumentation does).
    for (const entry of forwarded.split(',')) {
      const fields: Record<string, string> = {};
      for (const pair of entry.split(';')) {
        const at = pair.indexOf('=');
        if (at > 0) fields[pair.slice(0, at).trim().toLowerCase()] = pair.slice(at + 1).trim().replace(/^"|"$/g, '');
      }
      if (fields.host) return { host: fields.host, proto: fields.proto };
    }
  }
  const xHost = headers['x-forwarded-host'];
  const host = Array.isArray(xHost) ? xHost[0] : xHost;
  if (host) {
    const xProto = headers['x-forwarded-proto'];
    return { host, proto: Array.isArray(xProto) ? xProto[0] : xProto };
  }
  return undefined;
}

/** The host the client asked for: HTTP/2 sends it as `:authority` rather than `Host`. */
function hostOf(headers: http.IncomingHttpHeaders): string | undefined {
  if (headers.host !== undefined) return headers.host;
  const authority = headers[':authority'];
  return typeof authority === 'string' ? authority : undefined;
}

/**
 * The stable HTTP server attributes that OpenTelemetry's HttpInstrumentation sets, without the client's
 * address (personal data, dropped before export anyway).
 */
function requestAttributes(req: http.IncomingMessage, scheme: Scheme): Attributes {
  const headers = req.headers;
  const method = req.method ?? 'GET';
  const normalized = normalizedMethod(method);
  const attributes: Attributes = {
    'http.request.method': normalized,
    'url.scheme': scheme,
    'network.protocol.version': req.httpVersion,
  };
  if (normalized !== method) attributes['http.request.method_original'] = method;
  const forwarded = forwardedHost(headers);
  const host = hostOf(headers);
  const server = forwarded ? parseHost(forwarded.host, forwarded.proto) : host ? parseHost(host, scheme) : undefined;
  if (server) {
    attributes['server.address'] = server.host;
    if (server.port !== undefined) attributes['server.port'] = Number(server.port);
  }
  const userAgent = headers['user-agent'];
  if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;
  const url = requestUrlParts(req.url ?? '/', scheme, host);
  if (url.path !== undefined) attributes['url.path'] = url.path;
  if (url.query) attributes['url.query'] = url.query;
  return attributes;
}

/**
 * Lets the Sentry layer put a request's scopes into the request's context inside the server span's
 * `context.with`: one AsyncLocalStorage run per request instead of two, and listeners bound to the
 * request see the scopes too. `extend` is set once Sentry is set up; it must not throw.
 */
export interface RequestContextHook {
  extend?: (ctx: Context, request: http.IncomingMessage, response: http.ServerResponse) => Context;
}

type TracedResponse = http.ServerResponse & { [RECORD]?: RequestRecord };

const RECORD = Symbol('express-otel-sentry.request-record');

/** Whether this response's request has its server span already (from a server's emit, or from `runOutsideServer`). */
export function hasServerSpan(response: http.ServerResponse): boolean {
  return (response as TracedResponse)[RECORD] !== undefined;
}

/** The route template Express matched for this response's request (the server span's `http.route`), if any yet. */
export function routeOf(response: http.ServerResponse): string | undefined {
  return (response as TracedResponse)[RECORD]?.route;
}

function endServerSpan(record: RequestRecord, res: http.ServerResponse): void {
  const { span, method } = record;
  if (!span.isRecording()) return;
  const status = res.statusCode;
  span.setAttribute('http.response.status_code', status);
  if (record.route !== undefined) {
    span.setAttribute('http.route', record.route);
    span.updateName(`${method} ${record.route}`);
  }
  if (!(status >= 100 && status < 500)) span.setStatus({ code: SpanStatusCode.ERROR });
  if (status >= 500 && status < 600) span.setAttribute('error.type', String(status));
  span.end();
}

function failServerSpan(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.setAttribute('error.type', err.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  span.recordException(err);
  span.end();
}

/**
 * The record whose server span is still open, marked ended: whichever of close, error or a throw comes
 * first ends the span. (A flag on the record: clearing a property of the response costs a trip through
 * V8's runtime, see request-record.ts.)
 */
function takeOpenRecord(record: RequestRecord | undefined): RequestRecord | undefined {
  if (!record || record.serverSpanEnded) return undefined;
  record.serverSpanEnded = true;
  return record;
}

// Shared by all responses (the record rides on the response), so nothing is allocated per request for
// them; added before the request's context is bound, so they are not wrapped in it (they need none).
function onResponseClose(this: TracedResponse): void {
  const record = this[RECORD];
  if (!record) return;
  record.closeRoute();
  if (takeOpenRecord(record)) endServerSpan(record, this);
}

function onResponseError(this: TracedResponse, error: unknown): void {
  const record = takeOpenRecord(this[RECORD]);
  if (record) failServerSpan(record.span, error);
}

/**
 * One server span per incoming request, made where the request is handed to the app
 * (`Server#emit('request')`, or 'checkContinue' / 'checkExpectation': see handsOverRequest). It replaces HttpInstrumentation's incoming side, which computes the same
 * attributes with much more work per request (URL objects, metrics, hooks, a second set of listeners).
 * The span is active while the app handles the request, listeners added to the request and response
 * run in its context, and Express fills in `http.route` through the RPC metadata, as with
 * HttpInstrumentation.
 */
function tracedEmit(original: Emit, scheme: Scheme, tracer: Tracer, hook: RequestContextHook): Emit {
  const wrapped = function emitWithServerSpan(this: unknown, event: string | symbol, req?: unknown, res?: unknown): boolean {
    // Not a request, or one handed on again (a 'checkContinue' listener that emits 'request'): it has its span.
    if (!handsOverRequest(event) || (res as TracedResponse)[RECORD] !== undefined) {
      // eslint-disable-next-line prefer-rest-params
      return original.apply(this, arguments as unknown as [string]);
    }
    const active = startRequest(req as http.IncomingMessage, res as TracedResponse, scheme, tracer, hook);
    const record = (res as TracedResponse)[RECORD]!;
    return context.with(active, () => {
      try {
        return original.call(this, event, req, res);
      } catch (error) {
        const open = takeOpenRecord(record);
        if (open) failServerSpan(open.span, error);
        throw error;
      }
    });
  };
  (wrapped as unknown as Record<symbol, Emit>)[PATCHED] = original;
  return wrapped;
}

/** Starts the request's server span (its record set on the response) and returns the context the app runs in. */
function startRequest(request: http.IncomingMessage, response: TracedResponse, scheme: Scheme, tracer: Tracer, hook: RequestContextHook): Context {
  const method = methodForName(request.method || 'GET');
  const parent = propagation.extract(REQUEST_ROOT_CONTEXT, request.headers);
  // Attributes are added after sampling: an unexported request never computes them (the sampler
  // does not read them), and the SDK validates each once instead of twice.
  const span = tracer.startSpan(method, { kind: SpanKind.SERVER }, parent);
  if (span.isRecording()) span.setAttributes(requestAttributes(request, scheme));
  // Set before Express gives the response its new prototype, so that adding it stays cheap.
  const record = new RequestRecord(span, method);
  response[RECORD] = record;
  response.on('close', onResponseClose);
  response.on(errorMonitor, onResponseError);
  if (!response.socket && request.socket) watchQueuedResponse(request.socket as unknown as PipelinedSocket, record, response, onResponseClose);
  const traced = setRPCMetadata(trace.setSpan(parent, span), record);
  const active = hook.extend ? hook.extend(traced, request, response) : traced;
  bindRequestContext(request, response, active);
  return active;
}

/**
 * Whether a request reaching Express with no server span is an invocation of its own. Not: a sub-request
 * the app runs inside a traced request (express-batch calls `app(req, res)` per batched call: its spans and
 * events belong to the outer request), a fake response (not Node's ServerResponse: a sub-request or a
 * test's mock), or a WebSocket express-ws hands to the app with a dummy response (answered 101 long before).
 */
function isInvocation(request: http.IncomingMessage, response: http.ServerResponse): boolean {
  return response instanceof ServerResponse && request.headers?.upgrade === undefined && !(getRPCMetadata(context.active()) instanceof RequestRecord);
}

/** The tracer and hook of the running tracing (traceIncomingRequests), for requests no server hands over. */
let running: { tracer: Tracer; hook: RequestContextHook } | undefined;

/**
 * A request handed to Express with no http server emitting 'request': serverless adapters
 * (serverless-http, @codegenie/serverless-express) call the app themselves. It gets its server span and
 * isolation here, as the emit would have given them (without, no span at all, and one invocation's user
 * and breadcrumbs reached another's events). Such a response may never emit 'close' (@codegenie's does
 * not): 'finish' ends it too. A request that has its span (from the server, or a mounting app) just runs.
 */
export function runOutsideServer(request: http.IncomingMessage, response: http.ServerResponse, run: () => unknown): unknown {
  const traced = response as TracedResponse;
  const current = running;
  if (current === undefined || traced[RECORD] !== undefined || !isInvocation(request, response)) return run();
  let active: Context;
  try {
    const encrypted = (request.socket as { encrypted?: unknown } | null | undefined)?.encrypted === true;
    active = startRequest(request, traced, encrypted ? 'https' : 'http', current.tracer, current.hook);
    traced.on('finish', onResponseClose);
  } catch {
    return run(); // an adapter's odd request: served untraced rather than not at all
  }
  const record = traced[RECORD]!;
  return context.with(active, () => {
    try {
      return run();
    } catch (error) {
      const open = takeOpenRecord(record);
      if (open) failServerSpan(open.span, error);
      throw error;
    }
  });
}

/**
 * A copy of this module loaded again in the same process with a fresh global (jest: one per test file,
 * all sharing Node's http) takes over from the one before: it wraps that copy's original `emit`, so
 * requests get the live copy's tracer and scopes, not a dead one's. Its undo puts the older one back.
 */
function patch(proto: { emit: Emit }, scheme: Scheme, tracer: Tracer, hook: RequestContextHook): () => void {
  const current = proto.emit;
  const original = (current as unknown as Record<symbol, Emit | undefined>)[PATCHED] ?? current;
  const hadOwn = Object.prototype.hasOwnProperty.call(proto, 'emit');
  proto.emit = tracedEmit(original, scheme, tracer, hook);
  return () => {
    if (hadOwn) proto.emit = current;
    else delete (proto as { emit?: Emit }).emit;
  };
}

/** Starts server spans for every http, https and http2 server; returns the undo. */
export function traceIncomingRequests(tracer: Tracer, hook: RequestContextHook = {}): () => void {
  const undo = [
    installEmitterContext(),
    ...requestServers().map(({ proto, scheme }) => patch(proto, scheme, tracer, hook)),
  ];
  const started = { tracer, hook };
  running = started;
  return () => {
    undo.forEach((fn) => fn());
    if (running === started) running = undefined;
  };
}

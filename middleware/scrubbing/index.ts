import type { Event } from '@sentry/node';
import type { RequestHandler } from 'express';
import { FILTERED, type ScrubOptions } from '../../src/scrub';
import { getTelemetry } from '../../src/telemetry';
import { SCRUBBED_REQUEST_MARK } from '../../src/sentry/scrub-event';
import { checkBoolean, checkOptionsObject, checkPositiveInteger } from '../shared/options';
import { writeTo } from '../../src/sentry/otel-scopes';
import { requestTarget } from '../shared/request-scope';
import { compileScrubbers, type RouteScrubRule, type ScrubberFor } from './rules';
import { SAFE_HEADERS, snapshotRequest } from './snapshot';

export type { RouteScrubRule } from './rules';

/** Options of {@link scrubbing}. */
export interface ScrubbingOptions extends ScrubOptions {
  /** Largest body (serialized, in UTF-8 bytes) attached to events; larger ones are cut at a character boundary. @default 16384 */
  maxBodyBytes?: number | undefined;
  /** Request headers attached to events (lower case); all others are left out. @default SAFE_HEADERS */
  headers?: ReadonlyArray<string> | undefined;
  /** Attach the body at all. @default true */
  body?: boolean | undefined;
  /** Per-route extra rules, compiled once. @default [] */
  routes?: ReadonlyArray<RouteScrubRule> | undefined;
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

function checkScrubbingOptions(options: ScrubbingOptions): void {
  checkOptionsObject('scrubbing', options, ['maxBodyBytes', 'headers', 'body', 'routes', 'keys', 'patterns', 'allowKeys', 'maxDepth']);
  checkPositiveInteger('scrubbing', 'maxBodyBytes', options.maxBodyBytes);
  checkBoolean('scrubbing', 'body', options.body);
  const { headers, routes } = options;
  if (headers !== undefined && (!Array.isArray(headers) || headers.some((name) => typeof name !== 'string'))) {
    throw new TypeError("scrubbing({ headers }): headers must be an array of header names, e.g. ['accept', 'user-agent']");
  }
  if (routes !== undefined && (!Array.isArray(routes) || routes.some((route) => route === null || typeof route !== 'object' || !(typeof route.path === 'string' || route.path instanceof RegExp)))) {
    throw new TypeError("scrubbing({ routes }): routes must be an array of rules with a path prefix or RegExp, e.g. [{ path: '/payments', keys: ['iban'] }]");
  }
}

/**
 * Attaches a scrubbed snapshot of the request (method, URL, query, safe headers, body up to a cap) to
 * every event of that request (S13). It reads the request when an event is built, so it may be mounted
 * before the body parser; events still pass the global scrubber before they leave.
 */
export function scrubbing(options: ScrubbingOptions = {}): RequestHandler {
  checkScrubbingOptions(options);
  const { maxBodyBytes = DEFAULT_MAX_BODY_BYTES, headers = SAFE_HEADERS, body = true, routes = [], ...rules } = options;
  const allowedHeaders = new Set(headers.map((name) => name.toLowerCase()));
  // Compiled now (a bad rule throws here), again only if the telemetry's rules are not the ones seen.
  let globalRules = getTelemetry()?.scrubRules;
  let scrubberFor: ScrubberFor = compileScrubbers(globalRules, rules, routes);
  const currentScrubberFor = (): ScrubberFor => {
    const now = getTelemetry()?.scrubRules;
    if (now !== globalRules) {
      globalRules = now;
      scrubberFor = compileScrubbers(now, rules, routes);
    }
    return scrubberFor;
  };

  return function scrubbingMiddleware(req, _res, next) {
    const target = requestTarget();
    if (target) {
      writeTo(target, (scope) => scope.addEventProcessor((event: Event) => {
        try {
          event.request = snapshotRequest(req, currentScrubberFor()(req), allowedHeaders, body ? maxBodyBytes : 0);
          event.sdkProcessingMetadata = { ...event.sdkProcessingMetadata, [SCRUBBED_REQUEST_MARK]: true };
        } catch {
          event.request = { url: FILTERED };
        }
        return event;
      }));
    } else {
      getTelemetry()?.logger.debug('scrubbing: no request scope');
    }
    next();
  };
}

import type { Event } from '@sentry/node';
import type { Request, RequestHandler } from 'express';
import { createScrubber, defaultScrubber, FILTERED, type Scrubber, type ScrubOptions } from '../../src/scrub';
import { getTelemetry } from '../../src/telemetry';
import { SCRUBBED_REQUEST_MARK } from '../../src/sentry/scrub-event';
import { checkOptionsObject, checkPositiveInteger } from '../shared/options';
import { writeTo } from '../../src/sentry/otel-scopes';
import { requestTarget } from '../shared/request-scope';
import { SAFE_HEADERS, snapshotRequest } from './snapshot';

/** Extra rules for the routes whose path matches. */
export interface RouteScrubRule extends ScrubOptions {
  /** A path prefix ('/payments') or a RegExp tested against the path. */
  path: string | RegExp;
}

/** Options of {@link scrubbing}. */
export interface ScrubbingOptions extends ScrubOptions {
  /** Largest body (serialized) attached to events; larger ones are truncated. @default 16384 */
  maxBodyBytes?: number;
  /** Request headers attached to events (lower case); all others are left out. @default SAFE_HEADERS */
  headers?: ReadonlyArray<string>;
  /** Attach the body at all. @default true */
  body?: boolean;
  /** Per-route extra rules, compiled once. @default [] */
  routes?: ReadonlyArray<RouteScrubRule>;
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

function hasRules(options: ScrubOptions): boolean {
  return Boolean(options.keys?.length || options.patterns?.length || options.allowKeys?.length);
}

/**
 * Attaches a scrubbed snapshot of the request (method, URL, query, safe headers, body up to a cap) to
 * every event of that request (S13). It reads the request when an event is built, so it may be mounted
 * before the body parser; events still pass the global scrubber before they leave.
 */
export function scrubbing(options: ScrubbingOptions = {}): RequestHandler {
  checkOptionsObject('scrubbing', options);
  checkPositiveInteger('scrubbing', 'maxBodyBytes', options.maxBodyBytes);
  const { maxBodyBytes = DEFAULT_MAX_BODY_BYTES, headers = SAFE_HEADERS, body = true, routes = [], ...rules } = options;
  const base: Scrubber = hasRules(rules) ? createScrubber(rules) : defaultScrubber();
  const compiledRoutes = routes.map((route) => {
    const { path, ...routeRules } = route;
    return {
      matches: typeof path === 'string' ? (p: string) => p.startsWith(path) : (p: string) => path.test(p),
      scrubber: createScrubber({
        keys: [...(rules.keys ?? []), ...(routeRules.keys ?? [])],
        patterns: [...(rules.patterns ?? []), ...(routeRules.patterns ?? [])],
        allowKeys: [...(rules.allowKeys ?? []), ...(routeRules.allowKeys ?? [])],
      }),
    };
  });
  const allowedHeaders = new Set(headers.map((name) => name.toLowerCase()));
  const scrubberFor = (req: Request): Scrubber => compiledRoutes.find((route) => route.matches(req.path))?.scrubber ?? base;

  return function scrubbingMiddleware(req, _res, next) {
    const target = requestTarget();
    if (target) {
      writeTo(target, (scope) => scope.addEventProcessor((event: Event) => {
        try {
          const snapshot = snapshotRequest(req, scrubberFor(req), allowedHeaders, body ? maxBodyBytes : 0);
          event.request = { ...snapshot, data: body ? snapshot.data : undefined };
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

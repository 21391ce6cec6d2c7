import type { Breadcrumb, Event, Scope } from '@sentry/node';
import type { RequestHandler } from 'express';
import { startRequestTrail, type TrailSettings } from '../../src/request-trail';
import { getTelemetry } from '../../src/telemetry';
import { checkBoolean, checkOptionsObject, checkPositiveInteger } from '../shared/options';
import { writeTo } from '../../src/sentry/otel-scopes';
import { requestTarget } from '../shared/request-scope';

/** Options of {@link breadcrumbs}. */
export interface BreadcrumbsOptions {
  /** Most breadcrumbs kept per request (at most 100, the Sentry client's own limit); the oldest are dropped first. @default 100 */
  max?: number | undefined;
  /** A breadcrumb for the incoming request itself (method and path). @default true */
  request?: boolean | undefined;
  /** A breadcrumb for each DB query (sanitized SQL and duration). @default true */
  queries?: boolean | undefined;
  /** A breadcrumb for each outgoing HTTP call (scrubbed URL and status). @default true */
  http?: boolean | undefined;
}

export const DEFAULT_MAX_BREADCRUMBS = 100;

/**
 * The request's own trail, in order: the request, each query and outgoing call made while handling it
 * (from its OpenTelemetry spans), and `addBreadcrumb` calls. Per request, bounded.
 */
export function breadcrumbs(options: BreadcrumbsOptions = {}): RequestHandler {
  checkOptionsObject('breadcrumbs', options, ['max', 'request', 'queries', 'http']);
  // Above the client's own limit, Sentry would cut the trail back to it on the next addBreadcrumb anyway.
  checkPositiveInteger('breadcrumbs', 'max', options.max, DEFAULT_MAX_BREADCRUMBS);
  for (const name of ['request', 'queries', 'http'] as const) checkBoolean('breadcrumbs', name, options[name]);
  const settings: TrailSettings = {
    maxBreadcrumbs: options.max ?? DEFAULT_MAX_BREADCRUMBS,
    queries: options.queries ?? true,
    http: options.http ?? true,
  };
  const recordRequest = options.request ?? true;
  const keepLast = (event: Event): Event => {
    if (event.breadcrumbs && event.breadcrumbs.length > settings.maxBreadcrumbs) {
      event.breadcrumbs = event.breadcrumbs.slice(-settings.maxBreadcrumbs);
    }
    return event;
  };
  const limitsBreadcrumbs = settings.maxBreadcrumbs < DEFAULT_MAX_BREADCRUMBS;
  const addKeepLast = (scope: Scope) => scope.addEventProcessor(keepLast);

  return function breadcrumbsMiddleware(req, _res, next) {
    const target = requestTarget();
    if (target) {
      startRequestTrail(target, settings);
      if (limitsBreadcrumbs) writeTo(target, addKeepLast);
      if (recordRequest) {
        const url = req.originalUrl ?? req.url;
        const method = req.method;
        const queryAt = url.indexOf('?');
        const crumb: Breadcrumb = {
          type: 'http',
          category: 'request',
          // The query string stays in data.url, where it is scrubbed as a URL when an event is sent.
          message: `${method} ${queryAt === -1 ? url : url.slice(0, queryAt)}`,
          data: { method, url },
          timestamp: Date.now() / 1000,
        };
        writeTo(target, (scope) => scope.addBreadcrumb(crumb, settings.maxBreadcrumbs));
      }
    } else {
      getTelemetry()?.logger.debug('breadcrumbs: no request scope (is initTelemetry running before express loads?)');
    }
    next();
  };
}

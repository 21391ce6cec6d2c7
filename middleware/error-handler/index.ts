import { safeCaptureException } from '../../src/helpers';
import type { ErrorRequestHandler, Request, Response } from 'express';
import { CATEGORY_TAG, categoryOfAnswer } from '../../src/classify';
import { getTelemetry } from '../../src/telemetry';
import { effectiveStatus, filteredStatus, isFilteredOut } from '../client-error-filter';
import { checkBoolean, checkFunction, checkOptionsObject } from '../shared/options';
import { guarded } from '../shared/request-scope';
import { isIgnoreRule, matchesOwnRules, matchesSentryRules, statelessRules, type IgnoreRule } from './ignore';
import { errorBody, sendError } from './respond';

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions {
  /** Errors not reported (but still answered): message substrings, RegExps or error names (S15). @default [] */
  ignoreErrors?: ReadonlyArray<string | RegExp> | undefined;
  /** Last word on reporting; return false to skip. Its throw counts as true. @default undefined */
  shouldReport?: ((error: unknown, req: Request) => boolean) | undefined;
  /** Answer the client (JSON). Set false to leave the response to your own handler after this one. @default true */
  respond?: boolean | undefined;
  /** Include message and stack in 5xx answers. @default true when the environment is 'development' */
  exposeDetails?: boolean | undefined;
}

/**
 * The event id Sentry's own Express error handler (`Sentry.setupExpressErrorHandler`, mounted before ours)
 * left on the response when it reported the error first: the answer names that event.
 */
function sentryHandlersEventId(res: Response): string | undefined {
  try {
    const id = (res as { sentry?: unknown }).sentry;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reports each reportable error exactly once, tagged with `error.category` and tied to the request, then
 * answers the client: 5xx → `{ error, eventId }` without internals (outside development); 4xx → its own
 * status and message. A response already sent is left alone. Mount it after the routes.
 */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  checkOptionsObject('errorHandler', options, ['ignoreErrors', 'shouldReport', 'respond', 'exposeDetails']);
  checkFunction('errorHandler', 'shouldReport', options.shouldReport);
  checkBoolean('errorHandler', 'respond', options.respond);
  checkBoolean('errorHandler', 'exposeDetails', options.exposeDetails);
  const { ignoreErrors = [] } = options;
  if (!Array.isArray(ignoreErrors) || !ignoreErrors.every(isIgnoreRule)) {
    throw new TypeError("errorHandler({ ignoreErrors }): ignoreErrors must be an array of strings or RegExps, e.g. ['ECONNRESET', /timeout/i]");
  }
  const ignored = statelessRules(ignoreErrors);
  const respond = options.respond ?? true;
  // initTelemetry's ignoreErrors: Sentry drops those events, so they count as not reportable here too
  // (else the answer would carry the id of an event that never arrives). Copied once per configuration.
  let telemetryRulesSource: unknown;
  let telemetryRules: IgnoreRule[] = [];
  const ignoredByTelemetry = (rules: unknown): IgnoreRule[] => {
    if (rules !== telemetryRulesSource) {
      telemetryRules = statelessRules(rules);
      telemetryRulesSource = rules;
    }
    return telemetryRules;
  };

  return function errorHandlerMiddleware(error, req, res, next) {
    const status = effectiveStatus(error, res);
    const telemetry = getTelemetry();
    const reportable =
      !isFilteredOut(req, error, filteredStatus(error, res)) &&
      !matchesOwnRules(error, ignored) &&
      !matchesSentryRules(error, ignoredByTelemetry(telemetry?.config.ignoreErrors)) &&
      guarded('errorHandler shouldReport', () => options.shouldReport?.(error, req) ?? true) !== false;
    let eventId: string | undefined;
    if (reportable) {
      eventId = guarded('errorHandler capture', () =>
        safeCaptureException(error, {
          mechanism: { type: 'auto.http.express_otel_sentry', handled: false },
          captureContext: { tags: { [CATEGORY_TAG]: categoryOfAnswer(telemetry ? telemetry.categorize(error) : 'http_5xx', status), 'http.status_code': String(status) } },
        }),
      ) || sentryHandlersEventId(res);
    }
    if (res.headersSent || !respond) return next(error);
    const development = options.exposeDetails ?? telemetry?.config.environment === 'development';
    sendError(res, status, errorBody(error, status, eventId, development), error);
  };
}

import type { ErrorRequestHandler, Request, Response } from 'express';
import { statusOf } from '../../src/classify';
import { checkOptionsObject } from '../shared/options';

/** Options of {@link clientErrorFilter}. */
export interface ClientErrorFilterOptions {
  /** 4xx statuses that are reported all the same, e.g. [429]. @default [] */
  report?: ReadonlyArray<number> | undefined;
}

/** The error a filter let through unreported, per request: a different error later in the same request is reported. */
const notReported = new WeakMap<Request, unknown>();

/** Whether a filter ahead of the error handler decided that this error of this request is not reported. */
export function isFilteredOut(req: Request, error: unknown): boolean {
  return notReported.has(req) && notReported.get(req) === error;
}

/** The status an error will be answered with: the error's own, else one already set on the response, else 500. */
export function effectiveStatus(error: unknown, res: Response): number {
  const own = statusOf(error);
  if (own !== undefined && own >= 400) return own;
  return res.statusCode >= 400 && res.statusCode <= 599 ? res.statusCode : 500;
}

/**
 * Errors whose effective status is 4xx are not reported (S14): validation, not-found and auth
 * failures are the client's, not bugs. Unlike Sentry's own rule (the error's status only, missing means
 * 500), a status already set on the response counts too. Mount it before `errorHandler`.
 */
export function clientErrorFilter(options: ClientErrorFilterOptions = {}): ErrorRequestHandler {
  checkOptionsObject('clientErrorFilter', options, ['report']);
  if (options.report !== undefined && (!Array.isArray(options.report) || options.report.some((s) => !Number.isInteger(s) || s < 400 || s > 499))) {
    throw new TypeError('clientErrorFilter({ report }): report must be an array of 4xx statuses, e.g. { report: [429] }');
  }
  const reported = new Set(options.report ?? []);

  return function clientErrorFilterMiddleware(error, req, res, next) {
    const status = effectiveStatus(error, res);
    if (status >= 400 && status < 500 && !reported.has(status)) notReported.set(req, error);
    next(error);
  };
}

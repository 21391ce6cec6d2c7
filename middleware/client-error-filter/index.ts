import type { ErrorRequestHandler, Request, Response } from 'express';
import { statusOf } from '../../src/classify';
import { checkOptionsObject } from '../shared/options';

/** Options of {@link clientErrorFilter}. */
export interface ClientErrorFilterOptions {
  /** 4xx statuses that are reported all the same, e.g. [429]. @default [] */
  report?: ReadonlyArray<number> | undefined;
}

/** What a filter decided for a request: the error it let through unreported, and its rule for others. */
interface FilterDecision {
  error: unknown;
  filters(status: number): boolean;
}

const decisions = new WeakMap<Request, FilterDecision>();

/**
 * Whether a filter ahead of the error handler decided that this error of this request is not reported:
 * the error it filtered, or another one its rule filters too (an app's error normalizer may have wrapped
 * the 404 in an error of its own). A 500 that follows a filtered 404 is reported.
 */
export function isFilteredOut(req: Request, error: unknown, status: number): boolean {
  const decision = decisions.get(req);
  return decision !== undefined && (decision.error === error || decision.filters(status));
}

/**
 * The status an error will be answered with: the error's own, else one already set on the response, else
 * 500. Once the headers are sent it is the one the client got (an error after `res.json` is no 500).
 */
export function effectiveStatus(error: unknown, res: Response): number {
  if (res.headersSent) return res.statusCode;
  const own = statusOf(error);
  if (own !== undefined && own >= 400) return own;
  return res.statusCode >= 400 && res.statusCode <= 599 ? res.statusCode : 500;
}

/**
 * The status a filter judges an error by: its effective status, but once the headers are sent, an error of
 * the server's own (5xx, or no status) is judged as one, not by the 4xx the client already got (a 404 page
 * whose rendering then failed is a bug), and a 4xx error by what the client got.
 */
export function filteredStatus(error: unknown, res: Response): number {
  if (!res.headersSent) return effectiveStatus(error, res);
  const own = statusOf(error);
  if (own !== undefined && own >= 400 && own < 500) return res.statusCode;
  return own !== undefined && own > 500 && own <= 599 ? own : 500;
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
  const filters = (status: number) => status >= 400 && status < 500 && !reported.has(status);

  return function clientErrorFilterMiddleware(error, req, res, next) {
    if (filters(filteredStatus(error, res))) decisions.set(req, { error, filters });
    next(error);
  };
}

import type { ErrorRequestHandler, RequestHandler } from 'express';
import { breadcrumbs, type BreadcrumbsOptions } from '../breadcrumbs';
import { clientErrorFilter, type ClientErrorFilterOptions } from '../client-error-filter';
import { errorHandler, type ErrorHandlerOptions } from '../error-handler';
import { scrubbing, type ScrubbingOptions } from '../scrubbing';
import { checkOptionsObject } from '../shared/options';
import { userContext, type UserContextOptions, type UserResolver } from '../user-context';

/** Each part: its options object, `true` (defaults) or `false` (off). */
export type Part<T> = T | boolean;

/** Options of {@link observability}. */
export interface ObservabilityOptions {
  /**
   * The userContext resolver, or `{ resolve, ...userContext's options }` (e.g. `{ resolve, timeoutMs: 300 }`);
   * omit for no user context. @default undefined
   */
  user?: UserResolver | (UserContextOptions & { resolve: UserResolver }) | undefined;
  /** @default true */
  breadcrumbs?: Part<BreadcrumbsOptions> | undefined;
  /** @default true */
  scrubbing?: Part<ScrubbingOptions> | undefined;
  /** @default true */
  clientErrorFilter?: Part<ClientErrorFilterOptions> | undefined;
  /** @default true */
  errorHandler?: Part<ErrorHandlerOptions> | undefined;
}

/** `app.use(obs.request)` before the routes, `app.use(obs.errors)` after them. */
export interface Observability {
  request: RequestHandler;
  errors: ErrorRequestHandler;
}

function optionsOf<T extends object>(name: string, part: Part<T> | undefined): T | undefined {
  if (part === undefined || part === true) return {} as T;
  if (part === false) return undefined;
  if (part === null || typeof part !== 'object') {
    throw new TypeError(`observability({ ${name} }): use an options object, true or false; received ${String(part)}`);
  }
  return part;
}

function chainRequest(handlers: RequestHandler[]): RequestHandler {
  if (handlers.length === 1) return handlers[0];
  return function observabilityRequest(req, res, next) {
    let index = 0;
    const step = (error?: unknown) => {
      if (error !== undefined && error !== null) return next(error);
      const handler = handlers[index++];
      if (!handler) return next();
      handler(req, res, step);
    };
    step();
  };
}

function chainErrors(handlers: ErrorRequestHandler[]): ErrorRequestHandler {
  return function observabilityErrors(error, req, res, next) {
    let index = 0;
    const step = (nextError?: unknown) => {
      const handler = handlers[index++];
      if (!handler) return next(nextError);
      handler(nextError, req, res, step);
    };
    step(error);
  };
}

const passThrough: RequestHandler = (_req, _res, next) => next();
const rethrow: ErrorRequestHandler = (error, _req, _res, next) => next(error);

function userPart(user: NonNullable<ObservabilityOptions['user']>): RequestHandler {
  if (typeof user === 'function' || user === null || typeof user !== 'object') return userContext(user as UserResolver);
  const { resolve, ...userOptions } = user;
  if (typeof resolve !== 'function') {
    throw new TypeError('observability({ user }): use a resolver function, or { resolve, timeoutMs? } with resolve a function');
  }
  return userContext(resolve, userOptions);
}

/**
 * The whole suite, helmet-style: scrubbing, breadcrumbs and user context before the routes; the 4xx
 * filter and the error handler after them. Each part is also usable on its own.
 */
export function observability(options: ObservabilityOptions = {}): Observability {
  checkOptionsObject('observability', options, ['user', 'breadcrumbs', 'scrubbing', 'clientErrorFilter', 'errorHandler']);
  const requestParts: RequestHandler[] = [];
  const scrubbingOptions = optionsOf('scrubbing', options.scrubbing);
  if (scrubbingOptions) requestParts.push(scrubbing(scrubbingOptions));
  const breadcrumbsOptions = optionsOf('breadcrumbs', options.breadcrumbs);
  if (breadcrumbsOptions) requestParts.push(breadcrumbs(breadcrumbsOptions));
  if (options.user !== undefined) requestParts.push(userPart(options.user));

  const errorParts: ErrorRequestHandler[] = [];
  const filterOptions = optionsOf('clientErrorFilter', options.clientErrorFilter);
  if (filterOptions) errorParts.push(clientErrorFilter(filterOptions));
  const handlerOptions = optionsOf('errorHandler', options.errorHandler);
  if (handlerOptions) errorParts.push(errorHandler(handlerOptions));

  return {
    request: requestParts.length > 0 ? chainRequest(requestParts) : passThrough,
    errors: errorParts.length > 0 ? chainErrors(errorParts) : rethrow,
  };
}

import type { Request, RequestHandler } from 'express';
import type { EventProcessor } from '@sentry/core';
import { currentServerSpan, sentryUserOf, setUserContext, type UserContext } from '../../src/helpers';
import { writeTo } from '../../src/sentry/otel-scopes';
import { getTelemetry } from '../../src/telemetry';
import { checkOptionsObject, checkPositiveInteger } from '../shared/options';
import { describeThrown, guarded, requestTarget } from '../shared/request-scope';

/** Returns the request's user, `undefined`, or a promise of either. */
export type UserResolver = (req: Request) => UserContext | null | undefined | PromiseLike<UserContext | null | undefined>;

/** Options of {@link userContext}. */
export interface UserContextOptions {
  /** How long an async resolver may take before the request goes on without a user. @default 1000 */
  timeoutMs?: number | undefined;
}

export const DEFAULT_RESOLVE_TIMEOUT_MS = 1000;

function isUser(value: unknown): value is UserContext {
  if (value === null || typeof value !== 'object') return false;
  const { id, email, username } = value as Record<string, unknown>;
  const validId = id === undefined || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
  return validId && (id !== undefined || typeof email === 'string' || typeof username === 'string');
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

function apply(value: unknown): void {
  if (isUser(value)) setUserContext(value);
  else if (value !== undefined && value !== null) getTelemetry()?.logger.debug('userContext: the resolver returned something that is not a user; ignored');
}

type SentryUser = ReturnType<typeof sentryUserOf>;

/**
 * An event processor for a request that had no user when the middleware ran: at the request's first
 * event the resolver is asked again (a synchronous answer only: an event cannot wait), and the user it
 * names goes on that event and the request's later ones, and on its server span, if it is still open.
 * Once only: a promise it returns is let go with its rejection handled, and an event it captures itself
 * is not asked about, since either would otherwise be an event of the request that asks again, and so on.
 */
function userAtEventTime(resolve: UserResolver, req: Request): EventProcessor {
  let user: SentryUser | undefined;
  let asked = false;
  return (event) => {
    // Sentry's setUser(null) leaves a user whose fields are all undefined: that is no user either.
    if (event.user && Object.values(event.user).some((value) => value !== undefined)) return event;
    if (!asked) {
      asked = true;
      user = lateUser(resolve, req);
    }
    return user ? { ...event, user: { ...event.user, ...user } } : event;
  };
}

function lateUser(resolve: UserResolver, req: Request): SentryUser | undefined {
  const late = guarded('userContext resolver', () => resolve(req));
  if (guarded('userContext', () => isThenable(late))) {
    guarded('userContext', () => void Promise.resolve(late).then(undefined, () => undefined));
    return undefined;
  }
  if (!guarded('userContext', () => isUser(late))) return undefined;
  const user = guarded('userContext', () => sentryUserOf(late as UserContext));
  const span = currentServerSpan();
  if (user?.id !== undefined && span?.isRecording()) guarded('userContext', () => span.setAttribute('user.id', user.id!));
  return user;
}

/**
 * Ties every event of the request to the user `resolve(req)` returns and marks its server span with
 * `user.id` (S7). A resolver that throws, rejects, hangs or returns garbage never breaks the request:
 * it goes on without a user.
 */
export function userContext(resolve: UserResolver, options: UserContextOptions = {}): RequestHandler {
  if (typeof resolve !== 'function') {
    throw new TypeError('userContext(resolve): resolve must be a function, e.g. userContext((req) => req.user)');
  }
  checkOptionsObject('userContext', options, ['timeoutMs']);
  checkPositiveInteger('userContext', 'timeoutMs', options.timeoutMs);
  const timeoutMs = options.timeoutMs ?? DEFAULT_RESOLVE_TIMEOUT_MS;

  return function userContextMiddleware(req, _res, next) {
    const target = requestTarget();
    if (!target) return next();
    const result = guarded('userContext resolver', () => resolve(req));
    // What the resolver returned is the app's object: reading it (then, id, ...) may throw as well.
    if (!guarded('userContext', () => isThenable(result))) {
      guarded('userContext', () => apply(result));
      // No user yet: the app's authentication may run after this middleware (mounted later, or in a
      // router). An event of the request asks the resolver again; most requests send none.
      if (result === undefined || result === null) writeTo(target, (scope) => scope.addEventProcessor(userAtEventTime(resolve, req)));
      return next();
    }
    let done = false;
    const proceed = (value: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      guarded('userContext', () => apply(value));
      next();
    };
    const timer = setTimeout(() => {
      getTelemetry()?.logger.debug(`userContext: the resolver took more than ${timeoutMs} ms; going on without a user`);
      proceed(undefined);
    }, timeoutMs);
    const rejected = (error: unknown) => {
      getTelemetry()?.logger.debug(`userContext resolver rejected and was ignored: ${describeThrown(error)}`);
      proceed(undefined);
    };
    try {
      // A promise of the app's own making may throw from its `then` (or its constructor getter).
      Promise.resolve(result).then(proceed, rejected);
    } catch (error) {
      rejected(error);
    }
  };
}

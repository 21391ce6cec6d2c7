import { context } from '@opentelemetry/api';
import { getRPCMetadata, suppressTracing } from '@opentelemetry/core';
import * as Sentry from '@sentry/core';
import type { SeverityLevel } from '@sentry/core';
import { readSafely } from './safe-read';
import { writeIsolationScope } from './sentry/otel-scopes';
import { getTelemetry } from './telemetry';

/** The user an event is tied to (S7). */
export interface UserContext {
  id?: string | number;
  email?: string;
  username?: string;
}

/** A step of the trail shown with an error (S8). */
export interface BreadcrumbInput {
  message?: string;
  category?: string;
  level?: SeverityLevel;
  data?: Record<string, unknown>;
}

const LEVELS: ReadonlySet<string> = new Set<SeverityLevel>(['fatal', 'error', 'warning', 'log', 'info', 'debug']);

function isLevel(value: unknown): value is SeverityLevel {
  return typeof value === 'string' && LEVELS.has(value);
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function captureContextOf(details: Record<string, unknown> | undefined) {
  return isPlainRecord(details) ? { contexts: { details } } : undefined;
}

/**
 * A stand-in for a thrown value the SDK cannot read (getters that throw, hostile proxies): its name,
 * message and stack where readable, so that the error is still reported rather than lost.
 */
function readableCopy(error: unknown): Error {
  const name = readSafely(error, 'name');
  const message = readSafely(error, 'message');
  const stack = readSafely(error, 'stack');
  const copy = new Error(typeof message === 'string' ? message : '[unreadable error]');
  copy.name = typeof name === 'string' ? name : 'Error';
  if (typeof stack === 'string') copy.stack = stack;
  return copy;
}

/**
 * Whether the SDK can read the value without an exception. It must be checked up front: a getter that
 * throws inside the SDK's asynchronous processing loses the event and leaves every later flush waiting
 * for its full timeout.
 */
function isSafelyReadable(error: unknown): boolean {
  if (error === null || (typeof error !== 'object' && typeof error !== 'function')) return true;
  try {
    const record = error as Record<string, unknown>;
    void record.name;
    void record.message;
    void record.stack;
    void record.cause;
    Object.prototype.toString.call(error);
    Object.keys(error);
    return true;
  } catch {
    return false;
  }
}

/**
 * `Sentry.captureException` on the current scope, without the scope's `new Error('Sentry
 * syntheticException')`: that error is made on every capture (its stack captured and formatted, ~63 k
 * machine instructions per event, bench/NOTES.md item 35) to give a stack to a thrown value that has
 * none, and an Error brings its own, so the event is the same. Other values take the scope's path.
 */
function captureOnCurrentScope(error: unknown, hint: Sentry.EventHint | undefined): string {
  const scope = Sentry.getCurrentScope();
  const client = scope.getClient();
  if (!client || !Sentry.isError(error)) return scope.captureException(error, hint);
  const eventId = hint?.event_id || Sentry.uuid4();
  client.captureException(error, { originalException: error, ...hint, event_id: eventId }, scope);
  return eventId;
}

function capture(error: unknown, hint: Sentry.EventHint | undefined): string {
  try {
    return captureOnCurrentScope(isSafelyReadable(error) ? error : readableCopy(error), hint);
  } catch {
    try {
      return captureOnCurrentScope(readableCopy(error), hint);
    } catch {
      return '';
    }
  }
}

/** Sentry's mark on an error object it captured (`checkOrSetAlreadyCaught` in @sentry/core). */
const CAPTURED_MARK = '__sentry_captured__';

/** Lets Sentry capture an object again; a frozen object was never marked, so failing to write is fine. */
function clearCapturedMark(error: object): void {
  try {
    (error as Record<string, unknown>)[CAPTURED_MARK] = false;
  } catch {
    // frozen or a proxy that refuses: Sentry could not mark it either
  }
}

/**
 * Sentry.captureException that never throws; a value the SDK cannot read is reported as a readable copy.
 * Sentry reports an error object once and drops later captures of it (the S6 pattern:
 * `captureException(err, details)`, then `throw err`): a later capture in the same request (isolation
 * scope) returns the first event's id, or '' when the first was not ours (`Sentry.captureException`
 * called directly), never the id of an event that is not sent. One error object that fails several
 * requests (a cached promise that rejected) is an event for each of them, with its own user and trail:
 * handing one request another's event id would tie it to another user's event.
 */
export function safeCaptureException(error: unknown, hint?: Sentry.EventHint): string {
  const reported = typeof error === 'object' && error !== null ? getTelemetry()?.reportedErrors : undefined;
  if (!reported) return capture(error, hint);
  const isolationScope = Sentry.getIsolationScope();
  const earlier = reported.get(error as object);
  if (earlier?.isolationScope.deref() === isolationScope) return earlier.eventId;
  if (earlier) clearCapturedMark(error as object);
  else if (Sentry.isAlreadyCaptured(error) === true) return '';
  const eventId = capture(error, hint);
  if (eventId) reported.set(error as object, { eventId, isolationScope: new WeakRef(isolationScope) });
  return eventId;
}

/**
 * Reports an error (any value: strings, null and circular objects included) with optional details,
 * which land on the event as `contexts.details`, scrubbed. Returns the event id. Never throws.
 */
export function captureException(error: unknown, details?: Record<string, unknown>): string {
  const hint: Sentry.EventHint = {};
  const captureContext = captureContextOf(details);
  if (captureContext) hint.captureContext = captureContext;
  const syntheticException = stackOfCaller(error);
  if (syntheticException) hint.syntheticException = syntheticException;
  return safeCaptureException(error, hint);
}

/**
 * The stack for a value that has none (a string, a plain object), taken where the app called
 * `captureException`, as `Sentry.captureException` takes it. Sentry's own is made four of our calls
 * deeper, and V8 keeps 10 frames: ours would take the place of the app's outer ones.
 */
function stackOfCaller(error: unknown): Error | undefined {
  try {
    if (Sentry.isError(error)) return undefined;
  } catch {
    return undefined; // a hostile value is reported as a readable copy, an Error with its own stack
  }
  const synthetic = new Error('Sentry syntheticException');
  Error.captureStackTrace(synthetic, captureException);
  return synthetic;
}

/** Reports a message at a level (default `info`), e.g. `warning` "Suspicious payment amount: N" (S5). */
export function captureMessage(message: string, level: SeverityLevel = 'info', details?: Record<string, unknown>): string {
  try {
    const context = captureContextOf(details);
    return Sentry.captureMessage(String(message), { level: isLevel(level) ? level : 'info', ...context });
  } catch {
    return '';
  }
}

/** The server span of the current request, where `http.route` and `user.id` belong. */
export function currentServerSpan() {
  return getRPCMetadata(context.active())?.span;
}

/**
 * Ties every event of the current request (or, outside a request, of the process, requests excepted) to this user, and
 * marks the request's server span with `user.id`.
 */
export function setUserContext(user: UserContext | null | undefined): void {
  try {
    if (!isPlainRecord(user)) {
      writeIsolationScope((scope) => scope.setUser(null));
      return;
    }
    const sentryUser = sentryUserOf(user);
    // What Sentry.setUser does, deferred while the request's scope is not made (see writeIsolationScope).
    writeIsolationScope((scope) => scope.setUser(sentryUser));
    if (sentryUser.id !== undefined) currentServerSpan()?.setAttribute('user.id', sentryUser.id);
  } catch {
    // Observability never breaks the request.
  }
}

/** The user as Sentry records it: a string id, and email and username when they are strings. */
export function sentryUserOf(user: UserContext): { id?: string; email?: string; username?: string } {
  const sentryUser: { id?: string; email?: string; username?: string } = {};
  if (typeof user.id === 'number' || typeof user.id === 'string') sentryUser.id = String(user.id);
  if (typeof user.email === 'string') sentryUser.email = user.email;
  if (typeof user.username === 'string') sentryUser.username = user.username;
  return sentryUser;
}

/** Adds a step to the current request's trail (or, outside a request, the process's, which requests do not inherit). */
export function addBreadcrumb(crumb: BreadcrumbInput): void {
  try {
    if (!isPlainRecord(crumb)) return;
    Sentry.addBreadcrumb({
      message: typeof crumb.message === 'string' ? crumb.message : undefined,
      category: typeof crumb.category === 'string' ? crumb.category : undefined,
      level: isLevel(crumb.level) ? crumb.level : 'info',
      data: isPlainRecord(crumb.data) ? crumb.data : undefined,
      timestamp: Date.now() / 1000,
    });
  } catch {
    // See setUserContext.
  }
}

/**
 * Runs `fn` without tracing: start-up migrations, health probes of your own, anything that is not
 * worth a trace. Works for sync and async functions (the context follows the promise).
 */
export function withoutTracing<T>(fn: () => T): T {
  return context.with(suppressTracing(context.active()), fn);
}

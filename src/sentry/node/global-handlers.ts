/**
 * @sentry/node 11.12.0's OnUncaughtException and OnUnhandledRejection integrations and their shared
 * logAndExitProcess, built on @sentry/core alone (@sentry/node's entry costs ~0.3 s of start-up).
 * Behaviour, mechanism types, levels, log lines and exit codes are upstream's; on the way out the OpenTelemetry
 * tracer provider is flushed too (upstream closes only the Sentry client).
 */
import { isMainThread } from 'node:worker_threads';
import { withTimeout } from '../../with-timeout';
import { flushTracerProvider } from './flush-spans';
import {
  captureException, consoleSandbox, debug, defineIntegration, getClient, isMatchingPattern, isObjectLike,
  withActiveSpan, type Client, type Span,
} from '@sentry/core';
import type { ServerRuntimeOptions } from '@sentry/core/server';

/** Used when the client sets no positive `shutdownTimeout`. */
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 2000;

type FatalOptions = Pick<ServerRuntimeOptions, 'onFatalError' | 'shutdownTimeout'>;
type FatalErrorCallback = (this: void, firstError: Error, secondError?: Error) => void;

let isShuttingDown = false;

/**
 * Prints the error, lets the current client deliver what it holds (its `shutdownTimeout`, 2 s by
 * default), then exits with 1. Only the first call acts, so a second fatal error cannot cut the flush short.
 */
export function logAndExitProcess(error: unknown): void {
  if (isShuttingDown) return;
  isShuttingDown = true;
  consoleSandbox(() => {
    console.error(error);
  });
  const client = getClient();
  if (client === undefined) {
    debug.warn('No NodeClient was defined, we are exiting the process now.');
    process.exit(1);
  }
  const { shutdownTimeout } = client.getOptions() as FatalOptions;
  const timeout = shutdownTimeout && shutdownTimeout > 0 ? shutdownTimeout : DEFAULT_SHUTDOWN_TIMEOUT_MS;
  // Not upstream's: the spans that ended before the crash (the traces the fatal event belongs with) wait
  // in the tracer provider's batch; they leave with the events, within the same bound.
  const spansExported = withTimeout(flushTracerProvider(), timeout, false);
  client.close(timeout).then(
    async (result) => {
      if (!result) debug.warn('We reached the timeout for emptying the request buffer, still exiting now!');
      await spansExported;
      process.exit(1);
    },
    async (closeError: unknown) => {
      debug.error(closeError);
      await spansExported;
      process.exit(1);
    },
  );
}


// ---------------------------------------------------------------- uncaught exceptions

export interface OnUncaughtExceptionOptions {
  /**
   * `true`: exit on every uncaught error. `false`: exit only when no other `uncaughtException`
   * listener is attached (the app took over, as Node itself would let it). @default false
   */
  exitEvenIfOtherHandlersAreRegistered: boolean;
  /**
   * Called instead of logAndExitProcess when an uncaught error would end the process. `secondError`
   * is set when the app's listener took the first error and nothing took a later one. If it throws,
   * the process ends as with logAndExitProcess (printing what it threw).
   */
  onFatalError?: FatalErrorCallback;
}

type ErrorHandler = ((error: Error) => void) & { _errorHandler: boolean };

/** Upstream's marker: our own listener (and Node's domain one) is not "the app handles it". */
function userListenerCount(): number {
  return process.listeners('uncaughtException').filter((listener) =>
    listener.name !== 'domainUncaughtExceptionClear' && (listener as Partial<ErrorHandler>)._errorHandler !== true,
  ).length;
}

function makeErrorHandler(client: Client, options: OnUncaughtExceptionOptions): ErrorHandler {
  const secondErrorGraceMs = 2000;
  let caughtFirstError = false;
  let caughtSecondError = false;
  let calledFatalError = false;
  let firstError: Error;
  const clientOptions = client.getOptions() as FatalOptions;

  // Upstream lets a throwing onFatalError escape the listener, and Node then exits with 7 before the
  // fatal event is sent. Upstream documents that throw as a second error, so it is handled as one here.
  const callFatal = (first: Error, second?: Error): void => {
    const onFatalError: FatalErrorCallback = options.onFatalError || clientOptions.onFatalError || logAndExitProcess;
    try {
      onFatalError(first, second);
    } catch (thrown) {
      handler(thrown as Error);
    }
  };

  const handler = (error: Error): void => {
    const shouldApplyFatalHandlingLogic = options.exitEvenIfOtherHandlersAreRegistered || userListenerCount() === 0;

    if (!caughtFirstError) {
      firstError = error;
      caughtFirstError = true;
      if (getClient() === client) {
        captureException(error, {
          originalException: error,
          captureContext: { level: 'fatal' },
          mechanism: { handled: false, type: 'auto.node.onuncaughtexception' },
        });
      }
      if (!calledFatalError && shouldApplyFatalHandlingLogic) {
        calledFatalError = true;
        callFatal(error);
      }
      return;
    }
    if (!shouldApplyFatalHandlingLogic) return;
    if (calledFatalError) {
      debug.warn('uncaught exception after calling fatal error shutdown callback - this is bad! forcing shutdown');
      logAndExitProcess(error);
    } else if (!caughtSecondError) {
      // The app's handler took the first error but nothing takes this one: as upstream, onFatalError
      // gets both after a 2 s grace (the second is not captured).
      caughtSecondError = true;
      setTimeout(() => {
        if (!calledFatalError) {
          calledFatalError = true;
          callFatal(firstError, error);
        }
      }, secondErrorGraceMs);
    }
  };
  return Object.assign(handler, { _errorHandler: true });
}

/** Captures uncaught exceptions (level fatal, unhandled) and, when Node would exit, flushes and exits with 1. */
export const onUncaughtExceptionIntegration = defineIntegration((options: Partial<OnUncaughtExceptionOptions> = {}) => {
  const optionsWithDefaults: OnUncaughtExceptionOptions = { exitEvenIfOtherHandlersAreRegistered: false, ...options };
  return {
    name: 'OnUncaughtException' as const,
    setup(client: Client) {
      // A worker's uncaught error surfaces in its parent, whose SDK reports it.
      if (!isMainThread) return;
      process.on('uncaughtException', makeErrorHandler(client, optionsWithDefaults));
    },
  };
});

// ---------------------------------------------------------------- unhandled rejections

export type UnhandledRejectionMode = 'none' | 'warn' | 'strict';

export interface IgnoreMatcher {
  /** Exact match on a string, test on a RegExp. */
  name?: string | RegExp;
  /** Substring match on a string, test on a RegExp. */
  message?: string | RegExp;
}

export interface OnUnhandledRejectionOptions {
  /** What to do after capturing, like Node's --unhandled-rejections flag. @default 'warn' */
  mode: UnhandledRejectionMode;
  /** Rejections not to capture nor warn about, on top of the defaults. */
  ignore?: IgnoreMatcher[];
}

/** Upstream's defaults: rejections the Vercel AI SDK leaves behind when a stream is aborted (V5, V6). */
const DEFAULT_IGNORES: IgnoreMatcher[] = [{ name: 'AI_NoOutputGeneratedError' }, { name: 'AbortError' }];

const REJECTION_WARNING =
  'This error originated either by throwing inside of an async function without a catch block, or by rejecting a promise which was not handled with .catch(). The promise rejected with the reason:';

function errorInfo(reason: unknown): { name: string; message: string } {
  if (!isObjectLike(reason)) return { name: '', message: String(reason ?? '') };
  const { name, message } = reason as { name?: unknown; message?: unknown };
  return { name: typeof name === 'string' ? name : '', message: typeof message === 'string' ? message : String(reason) };
}

function isIgnored(list: IgnoreMatcher[], reason: unknown): boolean {
  const info = errorInfo(reason);
  return list.some((m) =>
    (m.name === undefined || isMatchingPattern(info.name, m.name, true))
    && (m.message === undefined || isMatchingPattern(info.message, m.message)));
}

function hasStack(reason: unknown): reason is { stack: unknown } {
  return isObjectLike(reason) && 'stack' in reason;
}

function handleRejection(reason: unknown, mode: UnhandledRejectionMode): void {
  if (mode === 'warn') {
    consoleSandbox(() => {
      console.warn(REJECTION_WARNING);
      console.error(hasStack(reason) ? reason.stack : reason);
    });
  } else if (mode === 'strict') {
    // logAndExitProcess prints the reason; a stack already says where it came from.
    if (!hasStack(reason)) {
      consoleSandbox(() => {
        console.warn(REJECTION_WARNING);
      });
    }
    logAndExitProcess(reason);
  }
}

function makeUnhandledPromiseHandler(client: Client, options: Required<OnUnhandledRejectionOptions>) {
  return function sendUnhandledPromise(reason: unknown, _promise: unknown): void {
    if (getClient() !== client) return;
    if (isIgnored(options.ignore, reason)) return;
    // Tracing may pin the span that was active where the error was made: report it under that span.
    const span = isObjectLike(reason) ? (reason as { _sentry_active_span?: Span })._sentry_active_span : undefined;
    const capture = (): void => {
      captureException(reason, {
        originalException: reason,
        captureContext: { extra: { unhandledPromiseRejection: true }, level: options.mode === 'strict' ? 'fatal' : 'error' },
        mechanism: { handled: false, type: 'auto.node.onunhandledrejection' },
      });
    };
    if (span) withActiveSpan(span, capture);
    else capture();
    handleRejection(reason, options.mode);
  };
}

/**
 * Captures unhandled rejections (unhandled; level error, fatal in 'strict'), then warns ('warn'),
 * exits ('strict') or stays quiet ('none'). Being a listener, it keeps Node from exiting on its own.
 */
export const onUnhandledRejectionIntegration = defineIntegration((options: Partial<OnUnhandledRejectionOptions> = {}) => {
  const opts: Required<OnUnhandledRejectionOptions> = {
    mode: options.mode ?? 'warn',
    ignore: [...DEFAULT_IGNORES, ...(options.ignore ?? [])],
  };
  return {
    name: 'OnUnhandledRejection' as const,
    setup(client: Client) {
      process.on('unhandledRejection', makeUnhandledPromiseHandler(client, opts));
    },
  };
});

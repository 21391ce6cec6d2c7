/** @sentry/node 11.12.0's NodeSystemError integration, built on @sentry/core alone. */
import * as util from 'node:util';
import { defineIntegration, type Client, type Event, type EventHint } from '@sentry/core';

export interface SystemErrorOptions {
  /** Keep `path` and `dest` in the context even when the client does not collect user info. */
  includePaths?: boolean;
}

/** What libuv puts on the errors of fs, net, dns, child_process... (Node's SystemError). */
interface SystemError extends Error {
  errno: number;
  code?: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

/** Node's own test: a real Error whose errno is one libuv knows. */
function isSystemError(error: unknown): error is SystemError {
  if (!(error instanceof Error)) return false;
  if (!('errno' in error) || typeof error.errno !== 'number') return false;
  if (typeof util.getSystemErrorMap !== 'function') return false;
  return util.getSystemErrorMap().has(error.errno);
}

/**
 * Puts a system error's fields (errno, code, syscall, path, dest...) in a `node_system_error` context
 * and takes the quoted paths out of the exception value, so that one failure on many files groups
 * as one issue. Paths are user data: dropped when the client does not collect user info, unless `includePaths`.
 */
export const systemErrorIntegration = defineIntegration((options: SystemErrorOptions = {}) => {
  return {
    name: 'NodeSystemError' as const,
    processEvent(event: Event, hint: EventHint, client: Client): Event {
      const error = hint.originalException;
      if (!isSystemError(error)) return event;

      const errorContext: Record<string, unknown> = { ...error };
      if (!client.getDataCollectionOptions().userInfo && options.includePaths !== true) {
        delete errorContext.path;
        delete errorContext.dest;
      }
      event.contexts = { ...event.contexts, node_system_error: errorContext };

      for (const exception of event.exception?.values ?? []) {
        if (!exception.value) continue;
        if (error.path && exception.value.includes(error.path)) {
          exception.value = exception.value.replace(`'${error.path}'`, '').trim();
        }
        if (error.dest && exception.value.includes(error.dest)) {
          exception.value = exception.value.replace(`'${error.dest}'`, '').trim();
        }
      }
      return event;
    },
  };
});

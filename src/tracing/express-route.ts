import type { Attributes, Exception } from '@opentelemetry/api';
import { readSafely } from '../safe-read';

/**
 * Pure helpers of the Express instrumentation (express-instrumentation.ts): route templates and span
 * names computed as @opentelemetry/instrumentation-express 0.72 computes them (utils.ts there), and
 * error details read without ever throwing.
 */

/** What a route layer's span carries, for one chain of mount paths (computed once, then reused). */
export interface RouteSpanInfo {
  /** The span name when the layer has a matched path (Express 4); upstream names it 'request handler' otherwise. */
  name: string;
  /** Shared by every span of this route: the SDK copies attributes, it never keeps this object. */
  attributes: Attributes;
  /** The template given to the server span (`http.route`). */
  httpRoute: string;
}

function pathSegment(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof RegExp || typeof arg === 'number') return arg.toString();
  return undefined;
}

/** The path a layer was made for, as upstream's getLayerPath writes it (arrays joined with ','). */
export function layerPathOf(args: ArrayLike<unknown>): string | undefined {
  const first = args[0];
  if (Array.isArray(first)) return first.map((arg) => pathSegment(arg) || '').join(',');
  return pathSegment(first);
}

/**
 * The mount path given to `use()`, or undefined when there is none (then Express mounts at '/'). Decided
 * as Express decides it: the first argument is a path unless it (or the first item of nested arrays) is
 * a function.
 */
export function mountPathOf(args: ArrayLike<unknown>): string | undefined {
  let arg = args[0];
  while (Array.isArray(arg) && arg.length !== 0) arg = arg[0];
  return typeof arg === 'function' ? undefined : layerPathOf(args);
}

const SPLAT_ONLY = /^\/\{[*][^}]*\}$/;

/** Paths that add nothing to a template (upstream drops them): '/', '/*' and Express 5's '/{*splat}'. */
export function contributes(path: string | undefined): path is string {
  return path !== undefined && path !== '' && path !== '/' && path !== '/*' && !SPLAT_ONLY.test(path);
}

/**
 * The span info of a route whose mount paths (outermost first, only those that `contribute`) and own path
 * are given. Same strings as upstream: its `getConstructedRoute` for the name and `express.name`, its
 * `getActualMatchedRoute` for `http.route`, minus the comparison with the request URL (which only guards
 * middleware layers there: for a route layer that Express dispatched, the template is the answer).
 */
export function describeRoute(mounts: readonly string[], own: string | undefined): RouteSpanInfo {
  const paths = contributes(own) ? [...mounts, own] : [...mounts];
  const constructed = paths.length === 1 && paths[0] === '*' ? '*' : paths.join('').replace(/\/{2,}/g, '/');
  let httpRoute: string;
  if (constructed === '*') httpRoute = constructed;
  else if (constructed.includes('/') && /[,\\*[]/.test(constructed)) httpRoute = constructed; // arrays, regexps, wildcards: as written
  else httpRoute = constructed.startsWith('/') ? constructed : `/${constructed}`;
  return {
    name: `request handler - ${constructed || own}`,
    attributes: {
      'http.route': httpRoute,
      'express.name': (constructed || own) ?? 'request handler',
      'express.type': 'request_handler',
    },
    httpRoute,
  };
}

/** Whether a value given to `next` is an error (Express's routing signals and "nothing" are not). */
export function isFailure(value: unknown): boolean {
  return value !== undefined && value !== null && value !== 'route' && value !== 'router';
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '<unprintable error>';
  }
}

function textField(error: object, key: string): string | undefined {
  const value = readSafely(error, key);
  return value === undefined || value === null || typeof value === 'string' ? (value ?? undefined) : safeString(value);
}

/** The name of the error's class, for an error whose `name` cannot be read. */
function className(error: object): string {
  const constructor = readSafely(error, 'constructor');
  const name = typeof constructor === 'function' ? readSafely(constructor, 'name') : undefined;
  return typeof name === 'string' && name !== '' ? name : 'Error';
}

function isErrorInstance(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false; // a Proxy whose getPrototypeOf trap throws
  }
}

/**
 * What `span.recordException` and the status message get for a failure: the same values upstream passes
 * (an Error's code/name/message/stack, `String(value)` for anything else), each read on its own so that a
 * getter that throws, or a value that cannot be printed, costs only that field.
 */
export function describeFailure(error: unknown): { exception: Exception; message: string | undefined } {
  if (!isErrorInstance(error)) {
    const text = safeString(error);
    return { exception: text, message: text };
  }
  const code = readSafely(error, 'code');
  const message = textField(error, 'message');
  return {
    // Fields may be missing: the SDK records whichever are there, as it does for the error itself.
    exception: {
      code: code ? safeString(code) : undefined,
      // Unreadable: the class's name instead, so that the exception is still recorded (the SDK drops
      // one with neither type nor message).
      name: textField(error, 'name') ?? className(error),
      message,
      stack: textField(error, 'stack'),
    } as Exception,
    message,
  };
}

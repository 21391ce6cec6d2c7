import { IncomingMessage, ServerResponse } from 'node:http';
import { context, type Context } from '@opentelemetry/api';
import { http2RequestClasses } from './request-servers';

type Listener = (...args: unknown[]) => unknown;
type Method = (this: Emitter, event: string | symbol, listener?: Listener) => unknown;
interface Emitter {
  [BINDING]?: EmitterBinding;
}

/**
 * What one request or response is bound to. One object of our own per emitter, set before Express gives
 * the request and response their new prototypes: properties added to them after that cost V8 a new
 * hidden class per request (see request-record.ts); fields of this class do not.
 */
class EmitterBinding {
  /** Flat triples (event, listener, wrapper): a request wraps few listeners, a scan beats maps here. */
  wrapped: unknown[] | undefined = undefined;

  constructor(
    readonly context: Context,
    /** The response of the request (the response itself for a response): once it has finished, nothing is bound. */
    readonly response: { writableFinished?: boolean },
  ) {}
}

const BINDING = Symbol('express-otel-sentry.emitter-binding');
/** Marks a listener that needs no context (our own bookkeeping): it is added as is. */
export const NO_CONTEXT = Symbol.for('express-otel-sentry.no-context');
const PATCHED = Symbol.for('express-otel-sentry.emitter-context-patched');
const ADD_METHODS = ['addListener', 'on', 'prependListener'] as const;
const ONCE_METHODS = ['once', 'prependOnceListener'] as const;
const REMOVE_METHODS = ['removeListener', 'off'] as const;

/** Set while an add method runs: `once` calls `on` itself, and the listener must be wrapped only once. */
let adding = false;

/** Drops the triple of `wrapped`: a once-listener that has run is gone, and Node removes it by its own wrapper. */
function forget(binding: EmitterBinding, wrapped: Listener): void {
  const triples = binding.wrapped;
  if (!triples) return;
  for (let i = 2; i < triples.length; i += 3) {
    if (triples[i] === wrapped) {
      triples.splice(i - 2, 3);
      return;
    }
  }
}

function wrappedAdd(original: Method, once: boolean): Method {
  return function addWithContext(this: Emitter, event, listener) {
    const binding = this[BINDING];
    if (
      binding === undefined || adding || typeof listener !== 'function' || (listener as { [NO_CONTEXT]?: boolean })[NO_CONTEXT] ||
      // After the response, Node's own cleanup (`req.on('end', clearIncoming)` on every request whose
      // body was not read) is what adds listeners; the request's context has nothing left to give them.
      binding.response.writableFinished === true
    ) {
      return original.call(this, event, listener);
    }
    const bound = binding.context;
    const wrapped: Listener = function (this: unknown, ...args: unknown[]) {
      // A streaming response that waits for 'drain' with `once` 60 000 times would otherwise keep
      // 60 000 triples, and scan them on every removal.
      if (once) forget(binding, wrapped);
      return context.with(bound, () => listener.apply(this, args));
    };
    const triples = binding.wrapped;
    if (triples) triples.push(event, listener, wrapped);
    else binding.wrapped = [event, listener, wrapped];
    adding = true;
    try {
      return original.call(this, event, wrapped);
    } finally {
      adding = false;
    }
  };
}

/** The record of `listener` whose wrapper `entry` is (a once-listener's entry is Node's wrapper around ours). */
function recordOf(triples: unknown[], event: string | symbol, listener: Listener, entry: Listener & { listener?: Listener }): number {
  for (let i = 0; i < triples.length; i += 3) {
    if (triples[i] === event && triples[i + 1] === listener && (triples[i + 2] === entry || triples[i + 2] === entry.listener)) return i;
  }
  return -1;
}

function wrappedRemove(original: Method): Method {
  return function removeWithContext(this: Emitter, event, listener) {
    const triples = this[BINDING]?.wrapped;
    if (triples && listener && triples.length > 0) {
      let only = -1;
      let matches = 0;
      for (let i = 0; i < triples.length; i += 3) {
        if (triples[i] === event && triples[i + 1] === listener) {
          only = i;
          matches++;
        }
      }
      if (matches === 0) return original.call(this, event, listener);
      if (matches === 1) {
        const wrapped = triples[only + 2] as Listener;
        triples.splice(only, 3);
        return original.call(this, event, wrapped);
      }
      // The same listener more than once: Node removes the last in its list that matches (prepended
      // ones sit first), the same here.
      const entries = (this as unknown as { rawListeners(event: string | symbol): Array<Listener & { listener?: Listener }> }).rawListeners(event);
      for (let r = entries.length - 1; r >= 0; r--) {
        const entry = entries[r];
        if (entry === listener || entry.listener === listener) break; // added unwrapped: Node's own removal
        const at = recordOf(triples, event, listener, entry);
        if (at !== -1) {
          const wrapped = triples[at + 2] as Listener;
          triples.splice(at, 3);
          return original.call(this, event, wrapped);
        }
      }
    }
    return original.call(this, event, listener);
  };
}

function wrappedRemoveAll(original: Method): Method {
  return function removeAllWithContext(this: Emitter, event) {
    const binding = this[BINDING];
    // eslint-disable-next-line prefer-rest-params
    const result = original.apply(this, arguments as unknown as [string]);
    const triples = binding?.wrapped;
    if (binding && triples) {
      binding.wrapped = arguments.length === 0 ? undefined : triples.filter((_, i) => triples[i - (i % 3)] !== event);
    }
    return result;
  };
}

function patchPrototype(proto: Record<string | symbol, unknown>): () => void {
  if (proto[PATCHED]) return () => undefined;
  const saved: Array<[string, unknown, boolean]> = [];
  const replace = (name: string, make: (original: Method) => Method) => {
    const original = proto[name] as Method | undefined;
    if (typeof original !== 'function') return;
    saved.push([name, original, Object.prototype.hasOwnProperty.call(proto, name)]);
    proto[name] = make(original);
  };
  for (const name of ADD_METHODS) replace(name, (original) => wrappedAdd(original, false));
  for (const name of ONCE_METHODS) replace(name, (original) => wrappedAdd(original, true));
  for (const name of REMOVE_METHODS) replace(name, wrappedRemove);
  replace('removeAllListeners', wrappedRemoveAll);
  proto[PATCHED] = true;
  return () => {
    for (const [name, original, own] of saved) {
      if (own) proto[name] = original;
      else delete proto[name];
    }
    delete proto[PATCHED];
  };
}

/**
 * Listeners added to a request or response of a traced request run in that request's context, as
 * with `context.bind(ctx, emitter)`, but without patching eight methods onto every request and
 * response: the prototypes' add/remove methods are patched once, and a request only records its
 * context. (Body parsers resume the request from socket callbacks, outside the request's context.)
 */
export function installEmitterContext(): () => void {
  const prototypes = [IncomingMessage.prototype, ServerResponse.prototype, ...http2RequestClasses()];
  const undo = prototypes.map((proto) => patchPrototype(proto as unknown as Record<string | symbol, unknown>));
  return () => undo.forEach((fn) => fn());
}

/**
 * Binds the listeners later added to the request and the response to `ctx` (see
 * {@link installEmitterContext}), until the response has finished.
 */
export function bindRequestContext(request: object, response: object, ctx: Context): void {
  (request as Emitter)[BINDING] = new EmitterBinding(ctx, response);
  (response as Emitter)[BINDING] = new EmitterBinding(ctx, response);
}

/** How many bound listeners an emitter's binding still records (what tests check stays bounded). */
export function recordedListenerCount(emitter: object): number {
  return ((emitter as Emitter)[BINDING]?.wrapped?.length ?? 0) / 3;
}

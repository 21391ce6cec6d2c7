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
/** Marks our wrappers: one handed back to an add method (from rawListeners) is not wrapped again. */
const WRAPPER = Symbol('express-otel-sentry.context-wrapper');

/** A wrapper carries its listener as `.listener`, as Node's own once-wrappers do. */
type Wrapper = Listener & { listener: Listener; [WRAPPER]: true };

/** The context `listener` is to run in, or undefined when it is added as is. */
function contextFor(emitter: Emitter, listener: unknown): Context | undefined {
  const binding = emitter[BINDING];
  if (
    binding === undefined || typeof listener !== 'function' || (listener as { [WRAPPER]?: boolean })[WRAPPER] === true ||
    // Ours, or Node's once-wrapper around ours (EventEmitter's `once` adds through `on`).
    (listener as { [NO_CONTEXT]?: boolean })[NO_CONTEXT] === true || (listener as { listener?: { [NO_CONTEXT]?: boolean } }).listener?.[NO_CONTEXT] === true ||
    // After the response, Node's own cleanup (`req.on('end', clearIncoming)` on every request whose
    // body was not read) is what adds listeners; the request's context has nothing left to give them.
    binding.response.writableFinished === true
  ) {
    return undefined;
  }
  return binding.context;
}

function marked(wrapper: Listener, listener: Listener): Wrapper {
  const marking = wrapper as Wrapper;
  marking.listener = listener;
  marking[WRAPPER] = true;
  return marking;
}

/**
 * on / addListener / prependListener add the listener wrapped. Node reads a wrapper's `.listener` as the
 * listener itself (its once-wrappers are made so): removeListener(event, listener), listeners(),
 * listenerCount(event, listener), 'newListener' and 'removeListener' see the app's function, with no
 * bookkeeping of ours to go stale.
 */
function wrappedAdd(original: Method): Method {
  return function addWithContext(this: Emitter, event, listener) {
    const bound = contextFor(this, listener);
    if (bound === undefined) return original.call(this, event, listener);
    const fn = listener!;
    return original.call(this, event, marked(function (this: unknown, ...args: unknown[]) {
      return context.with(bound, () => fn.apply(this, args));
    }, fn));
  };
}

/**
 * once / prependOnceListener as Node's onceWrapper does it (removed before it runs, at most one run, the
 * emitter as `this`), added as Node adds it: through the emitter's own `on` or `prependListener`, which
 * an instance may override (compression's `res.on` sends 'drain' listeners to its gzip stream). Our
 * wrapper is marked, so our own add method adds it as is; Node's `once` would have wrapped it again, and
 * that wrapper's `.listener` would have been ours, not the app's.
 */
function wrappedOnce(original: Method, add: 'on' | 'prependListener'): Method {
  return function onceWithContext(this: Emitter, event, listener) {
    const bound = contextFor(this, listener);
    if (bound === undefined) return original.call(this, event, listener);
    const fn = listener!;
    const target = this as unknown as Record<'on' | 'prependListener' | 'removeListener', (event: string | symbol, listener: Listener) => unknown>;
    let fired = false;
    const wrapper: Wrapper = marked(function (...args: unknown[]) {
      if (fired) return undefined;
      fired = true;
      target.removeListener(event, wrapper);
      return context.with(bound, () => fn.apply(target, args));
    }, fn);
    target[add](event, wrapper);
    return this;
  };
}

const PATCHED_METHODS = ['addListener', 'on', 'prependListener', 'once', 'prependOnceListener'] as const;
type Originals = Partial<Record<(typeof PATCHED_METHODS)[number], Method>>;

/**
 * Patches the prototype's add methods. A copy of this module loaded again in the same process with a
 * fresh global (jest: one per test file, all sharing Node's http) takes over: it wraps the originals the
 * first copy kept, not that copy's wrappers, which bind nothing for the new copy's requests.
 */
function patchPrototype(proto: Record<string | symbol, unknown>): () => void {
  const previous = proto[PATCHED];
  if (previous === true) return () => undefined; // a copy from before originals were kept: it stays
  const originals: Originals = (previous as Originals | undefined) ?? {};
  const saved: Array<[string, unknown, boolean]> = [];
  for (const name of PATCHED_METHODS) {
    saved.push([name, proto[name], Object.prototype.hasOwnProperty.call(proto, name)]);
    if (!previous && typeof proto[name] === 'function') originals[name] = proto[name] as Method;
  }
  const replace = (name: (typeof PATCHED_METHODS)[number], make: (original: Method) => Method) => {
    const original = originals[name];
    if (original) proto[name] = make(original);
  };
  for (const name of ['addListener', 'on', 'prependListener'] as const) replace(name, wrappedAdd);
  replace('once', (original) => wrappedOnce(original, 'on'));
  replace('prependOnceListener', (original) => wrappedOnce(original, 'prependListener'));
  proto[PATCHED] = originals;
  return () => {
    for (const [name, value, own] of saved) {
      if (own) proto[name] = value;
      else delete proto[name];
    }
    if (previous === undefined) delete proto[PATCHED];
    else proto[PATCHED] = previous;
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

import { ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/**
 * An OpenTelemetry Context, immutable like the API's own, with its methods on the prototype. The API's
 * class (ROOT_CONTEXT's) gives every context three closures over itself; on Node 24 (V8 13), contexts
 * built like that for each request made the request's objects survive young-generation collections,
 * V8 grew the young generation for them, and RSS under load rose by ~150 MB (bench/NOTES.md item 40).
 */
class PrototypeContext implements Context {
  private readonly values: Map<symbol, unknown>;

  constructor(values?: ReadonlyMap<symbol, unknown>) {
    this.values = new Map(values);
  }

  getValue(key: symbol): unknown {
    return this.values.get(key);
  }

  setValue(key: symbol, value: unknown): Context {
    const next = new PrototypeContext(this.values);
    next.values.set(key, value);
    return next;
  }

  deleteValue(key: symbol): Context {
    const next = new PrototypeContext(this.values);
    next.values.delete(key);
    return next;
  }
}

/** The empty context every request starts from (instead of the API's ROOT_CONTEXT). */
export const REQUEST_ROOT_CONTEXT: Context = new PrototypeContext();

/**
 * AsyncLocalStorage context, with {@link REQUEST_ROOT_CONTEXT} as the context outside any request, so
 * that what is derived from `context.active()` there is lean too. Same behaviour otherwise.
 */
export class LeanContextManager extends AsyncLocalStorageContextManager {
  override active(): Context {
    const active = super.active();
    return active === ROOT_CONTEXT ? REQUEST_ROOT_CONTEXT : active;
  }
}
